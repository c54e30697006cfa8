import { parseRetryAfter } from '@threadline/connector-kit';
import type { WebhookSigner } from './sign-webhook.js';

export type WebhookOutcome =
  | { ok: true; statusCode: number }
  | {
      ok: false;
      /** The subscriber's HTTP status; absent when it did not answer. */
      statusCode?: number;
      error: string;
      /** The endpoint looks down (no answer, 5xx, 429), not just refusing this delivery. */
      endpointDown: boolean;
      /** The endpoint's `Retry-After`, on a 429 or 503. */
      retryAfterMs?: number;
    };

/**
 * One signed delivery per the Standard Webhooks spec: `webhook-id` (the event id, or the
 * batch id), `webhook-timestamp` and `webhook-signature` over the exact body sent.
 */
export async function postWebhook(options: {
  fetch: typeof fetch;
  url: string;
  sign: WebhookSigner;
  messageId: string;
  body: string;
  timestamp: Date;
  timeoutMs: number;
}): Promise<WebhookOutcome> {
  const signature = options.sign(options.messageId, options.timestamp, options.body);
  try {
    const response = await options.fetch(options.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Threadline-Webhooks/1',
        'webhook-id': options.messageId,
        'webhook-timestamp': String(Math.floor(options.timestamp.getTime() / 1000)),
        'webhook-signature': signature,
      },
      body: options.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    await response.arrayBuffer().catch(() => undefined);
    if (response.ok) return { ok: true, statusCode: response.status };
    const status = response.status;
    const retryAfterMs =
      status === 429 || status === 503
        ? parseRetryAfter(response.headers.get('retry-after'))
        : undefined;
    return {
      ok: false,
      statusCode: status,
      error: `HTTP ${status}`,
      endpointDown: status >= 500 || status === 429,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  } catch (error) {
    return {
      ok: false,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      endpointDown: true,
    };
  }
}
