import { describe, expect, it } from 'vitest';
import {
  defaultMaxMessageBytes,
  emailSettingsFromEnv,
  parseSenderAddress,
  resolveEmailSettings,
} from './email-settings.js';

const context = (env: Record<string, string>) => ({
  env,
  publicUrl: undefined,
  dataDirectory: '/tmp/threadline',
});

describe('resolveEmailSettings', () => {
  it('applies defaults derived from the sender', () => {
    expect(resolveEmailSettings({ from: 'Acme Support <Support@Acme.Example>', env: {} })).toEqual({
      id: 'email',
      smtpUrl: undefined,
      from: { address: 'support@acme.example', name: 'Acme Support' },
      domain: 'acme.example',
      inboundPort: undefined,
      inboundHost: '127.0.0.1',
      inboundDomains: ['acme.example'],
      maxMessageBytes: defaultMaxMessageBytes,
      inboundSecret: undefined,
      trustedAuthServIds: [],
      defaultSubject: 'Message from Acme Support',
      maxAttachmentBytes: 10 * 1024 * 1024,
      attachmentTimeoutMs: 15_000,
      imap: undefined,
    });
  });

  it('reads the IMAP mailbox from IMAP_URL, IMAP_FOLDER, IMAP_POLL_INTERVAL and IMAP_IDLE', () => {
    const resolved = resolveEmailSettings({
      env: {
        EMAIL_FROM: 'help@acme.example',
        IMAP_URL: 'imaps://help%40acme.example:p%3Ass@imap.acme.example',
        IMAP_FOLDER: 'Support',
        IMAP_POLL_INTERVAL: '30',
        IMAP_IDLE: '0',
      },
    });
    expect(resolved.imap).toEqual({
      host: 'imap.acme.example',
      port: 993,
      secure: true,
      user: 'help@acme.example',
      password: 'p:ss',
      folder: 'Support',
      pollIntervalMs: 30_000,
      idle: false,
      displayUrl: 'imaps://help%40acme.example@imap.acme.example',
    });
    expect(
      resolveEmailSettings({ from: 'help@acme.example', imapUrl: 'imap://u:p@127.0.0.1', env: {} })
        .imap,
    ).toMatchObject({
      port: 143,
      secure: false,
      folder: 'INBOX',
      pollIntervalMs: 60_000,
      idle: true,
    });
  });

  it('refuses an IMAP_URL it cannot use, saying what to write', () => {
    const env = (IMAP_URL: string) => ({ env: { EMAIL_FROM: 'help@acme.example', IMAP_URL } });
    expect(() => resolveEmailSettings(env('pop3://u:p@mail.acme.example'))).toThrow(
      'IMAP_URL must start with imap:// or imaps://',
    );
    expect(() => resolveEmailSettings(env('imaps://imap.acme.example'))).toThrow(
      'IMAP_URL must carry the mailbox user and password',
    );
    expect(() => resolveEmailSettings(env('not a url'))).toThrow('IMAP_URL is not a URL');
    expect(() =>
      resolveEmailSettings({
        env: { EMAIL_FROM: 'help@acme.example', IMAP_URL: 'imap://u:p@h', IMAP_POLL_INTERVAL: 'x' },
      }),
    ).toThrow('IMAP_POLL_INTERVAL must be a whole number');
    expect(() => emailSettingsFromEnv(context({ IMAP_URL: 'imaps://u:p@h' }))).toThrow(
      'IMAP_URL is set but EMAIL_FROM is missing',
    );
  });

  it('reads the environment for what the settings leave out', () => {
    const resolved = resolveEmailSettings({
      env: {
        EMAIL_FROM: 'help@acme.example',
        SMTP_URL: 'smtp://user:pass@smtp.acme.example:587',
        SMTP_INBOUND_PORT: '2525',
        SMTP_INBOUND_HOST: '0.0.0.0',
        EMAIL_INBOUND_DOMAINS: 'Acme.Example, support.acme.example',
        EMAIL_MAX_MESSAGE_BYTES: '1048576',
        EMAIL_INBOUND_SECRET: 's3cret',
        EMAIL_TRUSTED_AUTHSERV_IDS: 'mx.acme.example',
      },
    });
    expect(resolved).toMatchObject({
      smtpUrl: 'smtp://user:pass@smtp.acme.example:587',
      from: { address: 'help@acme.example' },
      inboundPort: 2525,
      inboundHost: '0.0.0.0',
      inboundDomains: ['acme.example', 'support.acme.example'],
      maxMessageBytes: 1_048_576,
      inboundSecret: 's3cret',
      trustedAuthServIds: ['mx.acme.example'],
      defaultSubject: 'Message from acme.example',
    });
  });

  it('refuses a missing sender, a bad port and a non-SMTP URL', () => {
    expect(() => resolveEmailSettings({ env: {} })).toThrow(/EMAIL_FROM/);
    expect(() =>
      resolveEmailSettings({ from: 'a@acme.example', env: { SMTP_INBOUND_PORT: 'abc' } }),
    ).toThrow(/SMTP_INBOUND_PORT/);
    expect(() =>
      resolveEmailSettings({ from: 'a@acme.example', smtpUrl: 'http://x', env: {} }),
    ).toThrow(/smtp:\/\//);
    expect(() => parseSenderAddress('Support')).toThrow(/not an email address/);
  });
});

describe('emailSettingsFromEnv', () => {
  it('is undefined when email is not configured', () => {
    expect(emailSettingsFromEnv(context({}))).toBeUndefined();
  });

  it('refuses SMTP_URL without EMAIL_FROM', () => {
    expect(() => emailSettingsFromEnv(context({ SMTP_URL: 'smtp://localhost' }))).toThrow(
      expect.objectContaining({ code: 'configuration_invalid' }),
    );
  });

  it('configures a receive-only connector from EMAIL_FROM alone', () => {
    expect(emailSettingsFromEnv(context({ EMAIL_FROM: 'a@acme.example' }))).toEqual({
      from: 'a@acme.example',
      env: { EMAIL_FROM: 'a@acme.example' },
    });
  });
});
