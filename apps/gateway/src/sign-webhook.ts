import { createHmac } from 'node:crypto';

/**
 * A Standard Webhooks signer for one secret (`whsec_` + base64): `v1,` and the base64
 * HMAC-SHA256 of `<id>.<unix seconds>.<body>`. The same signature as the `standardwebhooks`
 * library's `sign`, computed with node:crypto instead of its pure-JavaScript SHA-256, which
 * was a visible share of a busy subscription's CPU.
 */
export function createWebhookSigner(secret: string) {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  if (key.length === 0) throw new Error('a webhook secret cannot be empty');
  return (messageId: string, timestamp: Date, body: string): string =>
    `v1,${createHmac('sha256', key)
      .update(`${messageId}.${Math.floor(timestamp.getTime() / 1000)}.${body}`)
      .digest('base64')}`;
}
export type WebhookSigner = ReturnType<typeof createWebhookSigner>;
