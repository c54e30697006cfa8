import { describe, expect, it } from 'vitest';
import { mapTwilioApiError, mapTwilioErrorCode } from './map-twilio-error.js';

const errorBody = (code: number, message: string, status: number) =>
  JSON.stringify({
    code,
    message,
    more_info: `https://www.twilio.com/docs/errors/${code}`,
    status,
  });

describe('mapTwilioErrorCode', () => {
  it('treats unreachable, unknown and landline handsets as permanent', () => {
    for (const code of ['30003', '30005', '30006']) {
      expect(mapTwilioErrorCode(code)).toMatchObject({
        code: 'recipient_blocked',
        retryable: false,
      });
    }
  });

  it('retries an unknown carrier error (30008) and a queue overflow (30001)', () => {
    expect(mapTwilioErrorCode('30008')).toMatchObject({
      code: 'provider_unavailable',
      retryable: true,
    });
    expect(mapTwilioErrorCode('30001')).toMatchObject({ retryable: true });
  });

  it('names an unsubscribed recipient (21610) as opted out', () => {
    expect(mapTwilioErrorCode('21610')).toMatchObject({
      code: 'recipient_opted_out',
      retryable: false,
    });
  });

  it('treats codes it does not know, or no code, as permanent rejections', () => {
    expect(mapTwilioErrorCode('39999')).toEqual({
      code: 'provider_rejected',
      retryable: false,
      description: 'Twilio error 39999',
    });
    expect(mapTwilioErrorCode(undefined)).toMatchObject({ code: 'provider_rejected' });
  });
});

describe('mapTwilioApiError', () => {
  const now = Date.parse('2026-11-22T09:00:00Z');

  it('maps 429 to a retryable rate_limited error with Retry-After', () => {
    const error = mapTwilioApiError(
      { status: 429, retryAfter: '3', body: errorBody(20429, 'Too Many Requests', 429) },
      now,
    );
    expect(error.code).toBe('rate_limited');
    expect(error.retryable).toBe(true);
    expect(error.retryAfterMs).toBe(3000);
    expect(error.providerCode).toBe('20429');
    expect(error.statusCode).toBe(429);
  });

  it('reads Retry-After given as an HTTP date', () => {
    const error = mapTwilioApiError(
      { status: 429, retryAfter: 'Sun, 22 Nov 2026 09:00:05 GMT', body: '' },
      now,
    );
    expect(error.retryAfterMs).toBe(5000);
  });

  it('maps 5xx to a retryable provider_unavailable, even without a JSON body', () => {
    const json = mapTwilioApiError({
      status: 503,
      retryAfter: null,
      body: errorBody(20503, 'Service Unavailable', 503),
    });
    expect(json).toMatchObject({ code: 'provider_unavailable', retryable: true, statusCode: 503 });
    const html = mapTwilioApiError({
      status: 502,
      retryAfter: null,
      body: '<html>Bad Gateway</html>',
    });
    expect(html).toMatchObject({ code: 'provider_unavailable', retryable: true });
    expect(html.providerCode).toBeUndefined();
  });

  it("maps 4xx to a permanent provider_rejected with Twilio's code and message", () => {
    const error = mapTwilioApiError({
      status: 400,
      retryAfter: null,
      body: errorBody(21211, "The 'To' number +1555 is not a valid phone number.", 400),
    });
    expect(error.code).toBe('provider_rejected');
    expect(error.retryable).toBe(false);
    expect(error.providerCode).toBe('21211');
    expect(error.message).toContain("The 'To' number +1555 is not a valid phone number.");
    expect(error.details).toEqual({ moreInfo: 'https://www.twilio.com/docs/errors/21211' });
  });

  it('maps 21610 (unsubscribed recipient) to recipient_opted_out', () => {
    const error = mapTwilioApiError({
      status: 400,
      retryAfter: null,
      body: errorBody(21610, 'Attempt to send to unsubscribed recipient', 400),
    });
    expect(error).toMatchObject({
      code: 'recipient_opted_out',
      retryable: false,
      providerCode: '21610',
    });
  });

  it('maps 401 to configuration_invalid: the credentials are wrong', () => {
    const error = mapTwilioApiError({
      status: 401,
      retryAfter: null,
      body: errorBody(20003, 'Authenticate', 401),
    });
    expect(error).toMatchObject({ code: 'configuration_invalid', retryable: false });
  });

  it('never retries a 4xx, even with a code that is retryable in a delivery receipt', () => {
    const error = mapTwilioApiError({
      status: 400,
      retryAfter: null,
      body: errorBody(30008, 'Unknown error', 400),
    });
    expect(error).toMatchObject({ code: 'provider_rejected', retryable: false });
  });
});
