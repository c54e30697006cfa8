import { describe, expect, it } from 'vitest';
import { connectorsFromEnv } from './connectors-from-env.js';

describe('connectors from the environment', () => {
  const context = (env: Record<string, string>) => ({
    env,
    publicUrl: 'https://gw.example',
    dataDirectory: '/tmp/threadline-env-test',
  });

  it('mounts only web chat when nothing is configured', () => {
    expect(connectorsFromEnv(context({})).map((connector) => connector.id)).toEqual(['webchat']);
  });

  it('mounts every channel whose variables are set', () => {
    const connectors = connectorsFromEnv(
      context({
        WHATSAPP_ACCESS_TOKEN: 'token',
        WHATSAPP_PHONE_NUMBER_ID: '106540352242922',
        WHATSAPP_APP_SECRET: 'secret',
        WHATSAPP_VERIFY_TOKEN: 'verify',
        TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000000',
        TWILIO_AUTH_TOKEN: 'token',
        TWILIO_FROM_NUMBER: '+14155550100',
        TELEGRAM_BOT_TOKEN: '7123456789:AAHfakeTokenForThreadlineTests0000',
        SMTP_URL: 'smtp://127.0.0.1:2525',
        EMAIL_FROM: 'support@acme.test',
      }),
    );
    expect(connectors.map((connector) => `${connector.channel}/${connector.id}`)).toEqual([
      'whatsapp/whatsapp',
      'sms/sms',
      'telegram/telegram',
      'email/email',
      'webchat/webchat',
    ]);
  });

  it('mounts email that only reads an IMAP mailbox, and runs it on one instance', () => {
    const [email] = connectorsFromEnv(
      context({
        EMAIL_FROM: 'support@acme.test',
        IMAP_URL: 'imaps://support:secret@imap.acme.test',
      }),
    );
    expect(email).toMatchObject({ channel: 'email', id: 'email', singleListener: true });
  });

  it('refuses IMAP_URL without EMAIL_FROM, naming both', () => {
    expect(() => connectorsFromEnv(context({ IMAP_URL: 'imaps://u:p@imap.acme.test' }))).toThrow(
      'IMAP_URL is set but EMAIL_FROM is missing',
    );
  });
});
