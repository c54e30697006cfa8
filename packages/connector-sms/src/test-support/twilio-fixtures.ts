import { readFileSync } from 'node:fs';
import { type InboundRequest, parseFormBody, twilioSignature } from '@threadline/connector-kit';

/** The account the recorded payloads belong to. */
export const accountSid = 'AC5ef8732a3c49700934481addd5ce1659';
export const authToken = '7c1e9a4f2b8d6e0a3c5f9b1d7e2a4c68';
/** Our Twilio number and the customer who writes to it. */
export const ourNumber = '+14155550100';
export const customerNumber = '+14155550123';
export const publicUrl = 'https://threadline.example.com';
export const webhookUrl = `${publicUrl}/webhooks/sms/sms`;
/** The outbound message the recorded status callbacks are about. */
export const outboundSid = 'SM6c4a2e0f8d6b4c2a9e7f5d3b1a0c8e63';

export type FixtureName =
  | 'inbound-text'
  | 'inbound-unicode'
  | 'inbound-mms-two-media'
  | 'inbound-mms-photo-only'
  | 'inbound-stop'
  | 'status-queued'
  | 'status-sending'
  | 'status-sent'
  | 'status-delivered'
  | 'status-undelivered-30003'
  | 'status-failed-30008'
  | 'status-read';

/** A recorded webhook body, exactly as Twilio form-encoded it. */
export function fixtureBody(name: FixtureName): string {
  return readFileSync(new URL(`../__fixtures__/${name}.txt`, import.meta.url), 'utf8').trimEnd();
}

/** Sign a request the way Twilio does for `url` (default: the public webhook URL). */
export function signed(
  body: string,
  options: { url?: string; token?: string; signedUrl?: string } = {},
): InboundRequest {
  const url = options.url ?? webhookUrl;
  const signature = twilioSignature(
    options.token ?? authToken,
    options.signedUrl ?? url,
    parseFormBody(body).pairs,
  );
  return {
    method: 'POST',
    url,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signature,
    },
    body,
  };
}

/** Re-sign a request after its body changed. */
export function resign(request: InboundRequest): InboundRequest {
  return { ...signed(request.body, { url: request.url }), method: request.method };
}

/** A recorded webhook, signed. */
export function signedFixture(name: FixtureName): InboundRequest {
  return signed(fixtureBody(name));
}

/** A recorded status callback rewritten to name another message, signed. */
export function signedStatusFor(name: FixtureName, messageSid: string): InboundRequest {
  const params = new URLSearchParams(fixtureBody(name));
  params.set('MessageSid', messageSid);
  params.set('SmsSid', messageSid);
  return signed(params.toString());
}

/** A recorded body with some fields replaced (or removed with `null`), signed. */
export function signedWith(
  name: FixtureName,
  changes: Record<string, string | null>,
): InboundRequest {
  const params = new URLSearchParams(fixtureBody(name));
  for (const [field, value] of Object.entries(changes)) {
    if (value === null) params.delete(field);
    else params.set(field, value);
  }
  return signed(params.toString());
}
