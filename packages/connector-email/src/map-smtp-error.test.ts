import { ConnectorError } from '@threadline/connector-kit';
import { describe, expect, it } from 'vitest';
import { defaultSmtpRetryAfterMs, mapSmtpError, retryHintMs } from './map-smtp-error.js';

const smtpError = (responseCode: number, response: string, code = 'EMESSAGE') =>
  Object.assign(new Error(`Message failed: ${response}`), { code, responseCode, response });

describe('mapSmtpError', () => {
  it.each([
    [421, '421 4.7.0 Try again later, closing connection'],
    [450, '450 4.2.1 The user you are trying to contact is receiving mail too quickly'],
    [451, '451 4.7.1 Greylisted, please try again later'],
  ])('maps %i to rate_limited with the default wait', (responseCode, response) => {
    const error = mapSmtpError(smtpError(responseCode, response));
    expect(error).toMatchObject({
      code: 'rate_limited',
      retryable: true,
      retryAfterMs: defaultSmtpRetryAfterMs,
      providerCode: String(responseCode),
    });
  });

  it('honours the wait the server names', () => {
    expect(
      mapSmtpError(smtpError(451, '451 4.7.1 Greylisted, please retry in 300 seconds'))
        .retryAfterMs,
    ).toBe(300_000);
  });

  it('maps other 4xx and 503 to retryable provider_unavailable', () => {
    expect(mapSmtpError(smtpError(452, '452 4.3.1 Insufficient system storage'))).toMatchObject({
      code: 'provider_unavailable',
      retryable: true,
      providerCode: '452',
    });
    expect(mapSmtpError(smtpError(503, '503 5.5.1 Bad sequence'))).toMatchObject({
      code: 'provider_unavailable',
      retryable: true,
    });
  });

  it('maps 5xx to permanent provider_rejected with the SMTP code', () => {
    const error = mapSmtpError(
      smtpError(550, '550 5.1.1 <nobody@example.net>: Recipient address rejected', 'EENVELOPE'),
    );
    expect(error).toMatchObject({
      code: 'provider_rejected',
      retryable: false,
      providerCode: '550',
    });
    expect(error.message).toContain('5.1.1');
  });

  it.each(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS'])(
    'maps the connection failure %s to retryable provider_unavailable',
    (code) => {
      const error = mapSmtpError(
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:25'), { code }),
      );
      expect(error).toMatchObject({
        code: 'provider_unavailable',
        retryable: true,
        providerCode: code,
      });
    },
  );

  it('maps authentication failures to configuration_invalid, not retried', () => {
    expect(
      mapSmtpError(
        Object.assign(new Error('Invalid login'), {
          code: 'EAUTH',
          responseCode: 535,
          response: '535 5.7.8 Authentication credentials invalid',
        }),
      ),
    ).toMatchObject({ code: 'configuration_invalid', retryable: false });
  });

  it('treats an unknown failure as a retryable outage and keeps typed errors', () => {
    expect(mapSmtpError(new Error('socket hang up'))).toMatchObject({
      code: 'provider_unavailable',
      retryable: true,
    });
    const typed = new ConnectorError('unsupported_content', 'no');
    expect(mapSmtpError(typed)).toBe(typed);
  });
});

describe('retryHintMs', () => {
  it.each([
    ['try again in 30 seconds', 30_000],
    ['retry in 5 min', 300_000],
    ['please try again after 2 minutes', 120_000],
    ['try again later', undefined],
  ])('%s → %s', (text, expected) => {
    expect(retryHintMs(text)).toBe(expected);
  });
});
