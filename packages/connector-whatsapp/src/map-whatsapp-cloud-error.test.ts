import { describe, expect, it } from 'vitest';
import { mapWhatsAppCloudError, toMessageError } from './map-whatsapp-cloud-error.js';
import { readFixture } from './test-support/read-fixture.js';

const graph = (name: string) => readFixture(`cloud/graph/${name}.json`);

describe('mapWhatsAppCloudError', () => {
  it('treats 131047 (outside the 24-hour window) as a permanent route refusal', () => {
    const error = mapWhatsAppCloudError({ status: 400, body: graph('error-131047') });
    expect(error).toMatchObject({
      code: 'route_refused',
      retryable: false,
      providerCode: '131047',
      statusCode: 400,
      details: { subcode: '2494010', fbtraceId: 'AZw4bXcL9QoJ1m2nO3pQ4rS' },
    });
    expect(error.message).toContain('more than 24 hours have passed');
  });

  it.each([
    ['error-131056', '131056', 6_000],
    ['error-130429', '130429', 1_000],
    ['error-80007', '80007', 60_000],
  ])(
    'retries %s after a backoff when Meta names no wait',
    (fixture, providerCode, retryAfterMs) => {
      expect(mapWhatsAppCloudError({ status: 400, body: graph(fixture) })).toMatchObject({
        code: 'rate_limited',
        retryable: true,
        providerCode,
        retryAfterMs,
      });
    },
  );

  it('honours Retry-After when the answer carries one', () => {
    expect(
      mapWhatsAppCloudError({ status: 429, body: graph('error-130429'), retryAfter: '12' }),
    ).toMatchObject({ code: 'rate_limited', retryAfterMs: 12_000 });
  });

  it('treats 131026 (undeliverable) as a blocked recipient', () => {
    expect(mapWhatsAppCloudError({ status: 400, body: graph('error-131026') })).toMatchObject({
      code: 'recipient_blocked',
      retryable: false,
      providerCode: '131026',
    });
  });

  it('retries server errors and Meta outages', () => {
    expect(mapWhatsAppCloudError({ status: 500, body: graph('error-131000') })).toMatchObject({
      code: 'provider_unavailable',
      retryable: true,
      providerCode: '131000',
    });
    expect(mapWhatsAppCloudError({ status: 502, body: '<html>Bad gateway</html>' })).toMatchObject({
      code: 'provider_unavailable',
      retryable: true,
      providerCode: undefined,
    });
  });

  it('refuses for good on any other client error', () => {
    expect(mapWhatsAppCloudError({ status: 400, body: graph('error-100') })).toMatchObject({
      code: 'provider_rejected',
      retryable: false,
      providerCode: '100',
    });
    expect(mapWhatsAppCloudError({ status: 401, body: graph('error-190') })).toMatchObject({
      code: 'provider_rejected',
      retryable: false,
      providerCode: '190',
    });
  });
});

describe('toMessageError', () => {
  it('keeps the Meta code and says whether a retry may help', () => {
    expect(toMessageError({ code: 131056, title: 'Pair rate limit hit' })).toEqual({
      code: '131056',
      message: 'Pair rate limit hit',
      retryable: true,
    });
    expect(toMessageError(undefined)).toEqual({
      code: 'provider_rejected',
      message: 'WhatsApp reported the message as failed',
      retryable: false,
    });
  });
});
