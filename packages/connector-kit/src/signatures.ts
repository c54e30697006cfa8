import { createHmac, timingSafeEqual } from 'node:crypto';

/** Constant-time string comparison; unequal lengths compare false without leaking where. */
export function safeEqual(expected: string, received: string): boolean {
  const expectedBuffer = Buffer.from(expected, 'utf8');
  const receivedBuffer = Buffer.from(received, 'utf8');
  if (expectedBuffer.length !== receivedBuffer.length) {
    // compare anyway so the time taken does not depend on where the strings differ
    timingSafeEqual(expectedBuffer, expectedBuffer);
    return false;
  }
  return timingSafeEqual(expectedBuffer, receivedBuffer);
}

/**
 * Twilio's request signature: HMAC-SHA1 (auth token as key) over the full URL the provider
 * called, followed by every POST parameter name and value, sorted by name; the values of a
 * repeated name are sorted and de-duplicated, as Twilio's own validators do. Base64.
 */
export function twilioSignature(
  authToken: string,
  url: string,
  params: Iterable<readonly [string, string]> | Record<string, string | string[]> = [],
): string {
  const values = new Map<string, Set<string>>();
  const add = (name: string, value: string) => {
    const set = values.get(name) ?? new Set<string>();
    set.add(value);
    values.set(name, set);
  };
  if (Symbol.iterator in params) {
    for (const [name, value] of params as Iterable<readonly [string, string]>) add(name, value);
  } else {
    for (const [name, value] of Object.entries(params)) {
      for (const item of Array.isArray(value) ? value : [value]) add(name, item);
    }
  }
  const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const data = [...values.keys()]
    .sort(byCodeUnit)
    .map((name) =>
      [...values.get(name)!]
        .sort(byCodeUnit)
        .map((value) => name + value)
        .join(''),
    )
    .join('');
  return createHmac('sha1', authToken)
    .update(Buffer.from(url + data, 'utf8'))
    .digest('base64');
}

export function verifyTwilioSignature(
  authToken: string,
  url: string,
  params: Iterable<readonly [string, string]> | Record<string, string | string[]>,
  signature: string | null | undefined,
): boolean {
  if (!signature) return false;
  return safeEqual(twilioSignature(authToken, url, params), signature);
}

/** Meta's `X-Hub-Signature-256`: `sha256=` + hex HMAC-SHA256 of the raw body with the app secret. */
export function metaSignature(appSecret: string, rawBody: string | Uint8Array): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

export function verifyMetaSignature(
  appSecret: string,
  rawBody: string | Uint8Array,
  signature: string | null | undefined,
): boolean {
  if (!signature) return false;
  return safeEqual(metaSignature(appSecret, rawBody), signature);
}

/** A shared secret sent as a header (Telegram's `X-Telegram-Bot-Api-Secret-Token`). */
export function verifySharedSecret(secret: string, received: string | null | undefined): boolean {
  if (!received) return false;
  return safeEqual(secret, received);
}

/** Hex HMAC-SHA256, for signed tokens such as the web chat identity token. */
export function hmacSha256Hex(secret: string, data: string): string {
  return createHmac('sha256', secret).update(data).digest('hex');
}
