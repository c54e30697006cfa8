import {
  ConnectorError,
  hmacSha256Hex,
  type IdentityClaim,
  safeEqual,
  toCanonicalEmail,
  toE164,
} from '@threadline/connector-kit';
import { z } from 'zod';

/** What the host website vouches for: the logged-in customer's email and/or phone. */
export interface WebchatIdentity {
  email?: string;
  phone?: string;
  name?: string;
  /** Expiry, in seconds since the Unix epoch. */
  exp: number;
}

/** The longest lifetime a token may have left when it is presented: one day. */
export const defaultMaxIdentityTokenLifetimeSeconds = 24 * 60 * 60;

const identityPayloadSchema = z
  .object({
    email: z.string().min(3).max(320).optional(),
    phone: z.string().min(3).max(40).optional(),
    name: z.string().min(1).max(200).optional(),
    exp: z.number().int().positive(),
  })
  .refine((payload) => payload.email !== undefined || payload.phone !== undefined, {
    message: 'the token names neither an email nor a phone',
  });

/**
 * Signs an identity token on the host website's server:
 * `base64url(JSON payload) + "." + hex(HMAC-SHA256(secret, base64url(JSON payload)))`.
 * Mint one per page view with a short `exp`; never ship the secret to the browser.
 */
export function signWebchatIdentityToken(identity: WebchatIdentity, secret: string): string {
  const encoded = Buffer.from(JSON.stringify(identity), 'utf8').toString('base64url');
  return `${encoded}.${hmacSha256Hex(secret, encoded)}`;
}

export type IdentityTokenResult =
  | {
      ok: true;
      identity: WebchatIdentity;
      /** Verified addresses to link the visitor to (email; SMS and WhatsApp for a phone). */
      claims: IdentityClaim[];
    }
  | { ok: false; code: 'identity_invalid' | 'identity_expired'; reason: string };

/**
 * Checks an identity token: the signature (constant-time), then the expiry, then the claims.
 * Never throws: a forged, malformed or expired token is an answer, not an error.
 */
export function verifyWebchatIdentityToken(
  token: string,
  secret: string | undefined,
  options: { now: Date; maxLifetimeSeconds?: number },
): IdentityTokenResult {
  if (!secret) {
    return {
      ok: false,
      code: 'identity_invalid',
      reason: 'identity tokens are not enabled: WEBCHAT_IDENTITY_SECRET is not set',
    };
  }
  const separator = token.lastIndexOf('.');
  const encoded = separator > 0 ? token.slice(0, separator) : '';
  const signature = separator > 0 ? token.slice(separator + 1) : '';
  if (!encoded || !safeEqual(hmacSha256Hex(secret, encoded), signature)) {
    return { ok: false, code: 'identity_invalid', reason: 'the signature does not match' };
  }
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, code: 'identity_invalid', reason: 'the payload is not JSON' };
  }
  const parsed = identityPayloadSchema.safeParse(payload);
  if (!parsed.success) {
    return {
      ok: false,
      code: 'identity_invalid',
      reason: parsed.error.issues[0]?.message ?? 'invalid payload',
    };
  }
  const identity = parsed.data;
  const nowSeconds = Math.floor(options.now.getTime() / 1000);
  if (identity.exp <= nowSeconds) {
    return { ok: false, code: 'identity_expired', reason: 'the token has expired' };
  }
  const maxLifetime = options.maxLifetimeSeconds ?? defaultMaxIdentityTokenLifetimeSeconds;
  if (identity.exp - nowSeconds > maxLifetime) {
    return {
      ok: false,
      code: 'identity_invalid',
      reason: `the token is valid for more than ${maxLifetime} seconds; mint short-lived tokens`,
    };
  }
  try {
    return { ok: true, identity, claims: identityClaims(identity) };
  } catch (error) {
    const reason = ConnectorError.isConnectorError(error) ? error.message : String(error);
    return { ok: false, code: 'identity_invalid', reason };
  }
}

/** The verified addresses a token proves, canonical per channel. */
export function identityClaims(
  identity: Pick<WebchatIdentity, 'email' | 'phone'>,
): IdentityClaim[] {
  const claims: IdentityClaim[] = [];
  if (identity.email) {
    claims.push({
      address: { channel: 'email', address: toCanonicalEmail(identity.email, { path: 'email' }) },
      verified: true,
      source: 'identity_token',
    });
  }
  if (identity.phone) {
    const phone = toE164(identity.phone, { path: 'phone' });
    for (const channel of ['sms', 'whatsapp'] as const) {
      claims.push({
        address: { channel, address: phone },
        verified: true,
        source: 'identity_token',
      });
    }
  }
  return claims;
}
