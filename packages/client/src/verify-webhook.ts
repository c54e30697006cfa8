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
  const verified = verifiedBody(secret, headers, body);
  if (!isEvent(verified))
    throw new WebhookVerificationError('webhook rejected: the body is not a Threadline event');
  return verified;
}

/**
 * Checks a batched delivery (a subscription with `batch`) and returns its events, in the
 * order sent: each conversation's in cursor order. The `webhook-id` names the batch and is
 * the same on every retry of it. Throws as `verifyWebhook` does.
 */
export function verifyWebhookBatch(
  secret: string,
  headers: WebhookHeaders,
  body: string | Uint8Array,
): ThreadlineEvent[] {
  const verified = verifiedBody(secret, headers, body);
  if (!Array.isArray(verified) || !verified.every(isEvent))
    throw new WebhookVerificationError(
      'webhook rejected: the body is not an array of Threadline events',
    );
  return verified;
}

function verifiedBody(secret: string, headers: WebhookHeaders, body: string | Uint8Array) {
  const payload = typeof body === 'string' ? body : Buffer.from(body);
  try {
    return new Webhook(secret).verify(payload, headerRecord(headers)) as unknown;
  } catch (error) {
    throw new WebhookVerificationError(
      `webhook rejected: ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }
}

function isEvent(value: unknown): value is ThreadlineEvent {
  const event = value as Partial<ThreadlineEvent> | null;
  return (
    !!event &&
    typeof event === 'object' &&
    typeof event.id === 'string' &&
    typeof event.type === 'string' &&
    typeof event.cursor === 'number'
  );
}
