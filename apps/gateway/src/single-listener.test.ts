import { describe, expect, it } from 'vitest';
import { connectorsFromEnv } from './connectors-from-env.js';

/** Which connectors run their listeners on one instance only (on the listeners' lease holder). */
describe('single-listener connectors', () => {
  const flags = (env: Record<string, string>) =>
    Object.fromEntries(
      connectorsFromEnv({
        env,
        publicUrl: 'https://gw.example',
        dataDirectory: '/tmp/threadline-sl',
      }).map((connector) => [connector.id, connector.singleListener === true]),
    );
  const telegram = { TELEGRAM_BOT_TOKEN: '7123456789:AAHfakeTokenForThreadlineTests0000' };
  const email = { SMTP_URL: 'smtp://127.0.0.1:2525', EMAIL_FROM: 'support@acme.test' };

  it('marks long polling, the inbound SMTP server and the WhatsApp Web session', () => {
    expect(
      flags({
        ...telegram,
        TELEGRAM_MODE: 'polling',
        ...email,
        SMTP_INBOUND_PORT: '2526',
        WHATSAPP_WEB_ENABLED: '1',
      }),
    ).toEqual({
      'whatsapp-web': true,
      telegram: true,
      email: true,
      webchat: false,
    });
  });

  it('leaves webhook-only connectors free to run on every instance', () => {
    expect(
      flags({
        ...telegram,
        TELEGRAM_MODE: 'webhook',
        ...email,
        TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000000',
        TWILIO_AUTH_TOKEN: 'token',
        TWILIO_FROM_NUMBER: '+14155550100',
      }),
    ).toEqual({ sms: false, telegram: false, email: false, webchat: false });
  });
});
