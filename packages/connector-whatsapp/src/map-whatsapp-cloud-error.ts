import { ConnectorError, parseRetryAfter } from '@threadline/connector-kit';
import type { MessageError } from '@threadline/schema';
import { z } from 'zod';
import type { WhatsAppCloudError } from './whatsapp-cloud-webhook-schema.js';

/** Meta error codes the connector treats specially. */
export const whatsAppCloudErrorCodes = {
  /** Re-engagement message: more than 24 h since the customer last wrote. */
  reEngagement: 131047,
  /** Pair rate limit: too many messages to the same recipient in a short time. */
  pairRateLimit: 131056,
  /** Cloud API throughput reached for the business number. */
  throughput: 130429,
  /** WhatsApp Business Account rate limit. */
  accountRateLimit: 80007,
  /** Message undeliverable (recipient not on WhatsApp, blocked the business, ...). */
  undeliverable: 131026,
  /** The recipient stopped marketing messages from this business. */
  marketingOptOut: 131050,
} as const;

/** How long to wait when Meta names no time, by error code. */
const defaultBackoffMs: Record<number, number> = {
  [whatsAppCloudErrorCodes.pairRateLimit]: 6_000,
  [whatsAppCloudErrorCodes.throughput]: 1_000,
  [whatsAppCloudErrorCodes.accountRateLimit]: 60_000,
  4: 60_000,
  613: 60_000,
};

const rateLimitCodes = new Set<number>(Object.keys(defaultBackoffMs).map(Number));
/** Meta outages: "something went wrong", "service unavailable", "temporarily unavailable". */
const outageCodes = new Set<number>([1, 2, 131000, 131016, 133004]);

/** True when a send that failed with this Meta error code may succeed later. */
export function isRetryableWhatsAppCloudCode(code: number | undefined): boolean {
  return code !== undefined && (rateLimitCodes.has(code) || outageCodes.has(code));
}

const graphErrorSchema = z.object({
  error: z.object({
    code: z.union([z.number(), z.string()]).nullish(),
    message: z.string().nullish(),
    error_subcode: z.union([z.number(), z.string()]).nullish(),
    error_data: z.object({ details: z.string().nullish() }).nullish(),
    fbtrace_id: z.string().nullish(),
  }),
});

function numericCode(value: number | string | null | undefined): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const code = Number(value);
  return Number.isInteger(code) ? code : undefined;
}

export interface GraphFailure {
  /** HTTP status of the Graph API answer. */
  status: number;
  /** The raw response body. */
  body: string;
  /** The `Retry-After` header, when the answer had one. */
  retryAfter?: string | null;
  now?: number;
}

/**
 * A failed Graph API call as a typed error: 131047 (outside the 24-hour window) refuses the
 * route for good; 131056, 130429 and 80007 are rate limits, retried after `Retry-After` or a
 * per-code backoff; 131026 means the recipient cannot be reached; 5xx and Meta outages are
 * retryable; any other refusal is permanent. The Meta code is kept as `providerCode`.
 */
export function mapWhatsAppCloudError(failure: GraphFailure): ConnectorError {
  let parsed: z.infer<typeof graphErrorSchema> | undefined;
  try {
    const result = graphErrorSchema.safeParse(JSON.parse(failure.body));
    parsed = result.success ? result.data : undefined;
  } catch {
    parsed = undefined;
  }
  const code = numericCode(parsed?.error.code);
  const details = parsed?.error.error_data?.details;
  const description = [parsed?.error.message ?? `HTTP ${failure.status}`, details]
    .filter(Boolean)
    .join(': ');
  const message = `WhatsApp Cloud API${code === undefined ? '' : ` error ${code}`}: ${description}`;
  const common = {
    statusCode: failure.status,
    ...(code === undefined ? {} : { providerCode: String(code) }),
    details: {
      ...(parsed?.error.error_subcode ? { subcode: String(parsed.error.error_subcode) } : {}),
      ...(parsed?.error.fbtrace_id ? { fbtraceId: parsed.error.fbtrace_id } : {}),
    },
  };

  if (code === whatsAppCloudErrorCodes.reEngagement) {
    return new ConnectorError('route_refused', message, { ...common, retryable: false });
  }
  if ((code !== undefined && rateLimitCodes.has(code)) || failure.status === 429) {
    const retryAfterMs =
      parseRetryAfter(failure.retryAfter, failure.now) ??
      (code === undefined ? undefined : defaultBackoffMs[code]) ??
      60_000;
    return new ConnectorError('rate_limited', message, {
      ...common,
      retryable: true,
      retryAfterMs,
    });
  }
  if (code === whatsAppCloudErrorCodes.undeliverable) {
    return new ConnectorError('recipient_blocked', message, { ...common, retryable: false });
  }
  if (code === whatsAppCloudErrorCodes.marketingOptOut) {
    return new ConnectorError('recipient_opted_out', message, { ...common, retryable: false });
  }
  if (failure.status >= 500 || (code !== undefined && outageCodes.has(code))) {
    return new ConnectorError('provider_unavailable', message, { ...common, retryable: true });
  }
  return new ConnectorError('provider_rejected', message, { ...common, retryable: false });
}

/** A Meta error attached to a failed status or an unsupported message, as a message error. */
export function toMessageError(error: WhatsAppCloudError | undefined): MessageError {
  const code = numericCode(error?.code);
  const text =
    [error?.title ?? error?.message, error?.error_data?.details].filter(Boolean).join(': ') ||
    'WhatsApp reported the message as failed';
  return {
    code: code === undefined ? 'provider_rejected' : String(code),
    message: text,
    retryable: isRetryableWhatsAppCloudCode(code),
  };
}
