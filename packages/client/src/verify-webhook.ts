import type { ThreadlineEvent } from '@threadline/schema';
import { Webhook } from 'standardwebhooks';
import { WebhookVerificationError } from './threadline-client-error.js';

/** Request headers as a `Headers`, a Node `IncomingHttpHeaders`, or a plain record. */
export type WebhookHeaders =
  | Headers
  | Record<string, string | string[] | undefined>
  | Iterable<[string, string]>;

function headerRecord(headers: WebhookHeaders): Record<string, string> {
  const record: Record<string, string> = {};
  const entries: Iterable<[string, string | string[] | undefined]> =
    headers instanceof Headers || Symbol.iterator in headers
      ? (headers as Iterable<[string, string]>)
      : Object.entries(headers);
  for (const [name, value] of entries) {
    if (value === undefined) continue;
    record[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return record;
}

/**
 * Checks a webhook delivery from the gateway (Standard Webhooks: `webhook-id`,
 * `webhook-timestamp`, `webhook-signature`) and returns the event it carries. Pass the raw
 * body exactly as received, before any JSON parsing. Throws `WebhookVerificationError` when
 * the signature does not match the secret, a header is missing, or the timestamp is more
 * than five minutes away (a replay).
 *
 * ```ts
 * const event = verifyWebhook(process.env.THREADLINE_WEBHOOK_SECRET!, request.headers, await request.text());
 * ```
 */
export function verifyWebhook(
  secret: string,
  headers: WebhookHeaders,
  body: string | Uint8Array,
): ThreadlineEvent {
  const payload = typeof body === 'string' ? body : Buffer.from(body);
  let verified: unknown;
  try {
    verified = new Webhook(secret).verify(payload, headerRecord(headers));
  } catch (error) {
    throw new WebhookVerificationError(
      `webhook rejected: ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }
  const event = verified as Partial<ThreadlineEvent> | null;
  if (
    !event ||
    typeof event !== 'object' ||
    typeof event.id !== 'string' ||
    typeof event.type !== 'string' ||
    typeof event.cursor !== 'number'
  ) {
    throw new WebhookVerificationError('webhook rejected: the body is not a Threadline event');
  }
  return event as ThreadlineEvent;
}
