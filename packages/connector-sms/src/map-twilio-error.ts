import { ConnectorError, type ErrorCode, parseRetryAfter } from '@threadline/connector-kit';
import { z } from 'zod';

/** What a Twilio error code means for us: a stable Threadline code and whether to retry. */
export interface TwilioErrorMeaning {
  code: ErrorCode;
  retryable: boolean;
  description: string;
}

/**
 * Twilio error codes we act on, from the REST API (2xxxx) and from delivery receipts
 * (3xxxx). Codes not listed are permanent `provider_rejected` failures.
 *
 * 30003, 30005 and 30006 are permanent: the handset or line cannot take SMS now, so the
 * message falls back to another channel instead of being sent again. 30008 ("unknown
 * error") is retryable: Twilio advises sending again, and a transient carrier fault is its
 * usual cause; a retry may deliver twice if the carrier did deliver without saying so,
 * which outbound at-least-once already allows.
 */
const twilioErrors = new Map<string, TwilioErrorMeaning>([
  [
    '20003',
    {
      code: 'configuration_invalid',
      retryable: false,
      description: 'authentication failed: check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN',
    },
  ],
  ['20429', { code: 'rate_limited', retryable: true, description: 'too many requests' }],
  [
    '21211',
    { code: 'provider_rejected', retryable: false, description: 'the To number is not valid' },
  ],
  [
    '21408',
    {
      code: 'provider_rejected',
      retryable: false,
      description: 'sending to this region is not enabled on the account',
    },
  ],
  [
    '21606',
    {
      code: 'configuration_invalid',
      retryable: false,
      description: 'the From number cannot send messages for this account',
    },
  ],
  [
    '21610',
    {
      code: 'recipient_opted_out',
      retryable: false,
      description: 'the recipient replied STOP to this sender (unsubscribed recipient)',
    },
  ],
  [
    '21612',
    {
      code: 'recipient_blocked',
      retryable: false,
      description: 'Twilio cannot route a message from this sender to this number',
    },
  ],
  [
    '21614',
    { code: 'recipient_blocked', retryable: false, description: 'the To number is not a mobile' },
  ],
  ['30001', { code: 'provider_unavailable', retryable: true, description: 'queue overflow' }],
  ['30002', { code: 'configuration_invalid', retryable: false, description: 'account suspended' }],
  [
    '30003',
    {
      code: 'recipient_blocked',
      retryable: false,
      description: 'unreachable destination handset',
    },
  ],
  ['30004', { code: 'recipient_blocked', retryable: false, description: 'message blocked' }],
  [
    '30005',
    { code: 'recipient_blocked', retryable: false, description: 'unknown destination handset' },
  ],
  [
    '30006',
    {
      code: 'recipient_blocked',
      retryable: false,
      description: 'landline or unreachable carrier',
    },
  ],
  [
    '30007',
    { code: 'provider_rejected', retryable: false, description: 'message filtered by the carrier' },
  ],
  ['30008', { code: 'provider_unavailable', retryable: true, description: 'unknown error' }],
  [
    '30010',
    {
      code: 'provider_rejected',
      retryable: false,
      description: 'message price exceeds the max price',
    },
  ],
  [
    '30022',
    { code: 'rate_limited', retryable: true, description: 'US A2P 10DLC rate limit exceeded' },
  ],
  [
    '30034',
    {
      code: 'provider_rejected',
      retryable: false,
      description: 'message from an unregistered number (US A2P 10DLC)',
    },
  ],
]);

/** The meaning of a Twilio error code; unknown codes are permanent rejections. */
export function mapTwilioErrorCode(twilioCode: string | undefined): TwilioErrorMeaning {
  const known = twilioCode === undefined ? undefined : twilioErrors.get(twilioCode);
  return (
    known ?? {
      code: 'provider_rejected',
      retryable: false,
      description: twilioCode ? `Twilio error ${twilioCode}` : 'Twilio gave no error code',
    }
  );
}

/** Twilio's JSON error body: `{ code, message, more_info, status }`. */
const twilioErrorBodySchema = z.object({
  code: z.union([z.number(), z.string()]).nullish(),
  message: z.string().nullish(),
  more_info: z.string().nullish(),
});

function readErrorBody(body: string): z.infer<typeof twilioErrorBodySchema> {
  try {
    const result = twilioErrorBodySchema.safeParse(JSON.parse(body));
    return result.success ? result.data : {};
  } catch {
    return {};
  }
}

/**
 * A failed Twilio REST call as a typed error: 429 is `rate_limited` with `Retry-After`;
 * 5xx (and anything else unexpected) is a retryable `provider_unavailable`; 4xx is permanent,
 * with Twilio's code as `providerCode` (21610 → `recipient_opted_out`, 401 →
 * `configuration_invalid`).
 */
export function mapTwilioApiError(
  response: { status: number; retryAfter: string | null; body: string },
  now = Date.now(),
): ConnectorError {
  const { status } = response;
  const errorBody = readErrorBody(response.body);
  const providerCode =
    errorBody.code === undefined || errorBody.code === null ? undefined : String(errorBody.code);
  const meaning = mapTwilioErrorCode(providerCode);
  const detail = errorBody.message ?? (providerCode ? meaning.description : 'no error details');
  const message = `Twilio answered ${status}${providerCode ? ` (error ${providerCode})` : ''}: ${detail}`;
  const common = {
    statusCode: status,
    ...(providerCode === undefined ? {} : { providerCode }),
    ...(errorBody.more_info ? { details: { moreInfo: errorBody.more_info } } : {}),
  };
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(response.retryAfter, now);
    return new ConnectorError('rate_limited', message, {
      ...common,
      retryable: true,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (status >= 400 && status < 500) {
    const code: ErrorCode =
      status === 401
        ? 'configuration_invalid'
        : meaning.retryable || providerCode === undefined
          ? 'provider_rejected'
          : meaning.code;
    return new ConnectorError(code, message, { ...common, retryable: false });
  }
  return new ConnectorError('provider_unavailable', message, { ...common, retryable: true });
}
