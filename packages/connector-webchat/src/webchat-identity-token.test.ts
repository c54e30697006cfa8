import { hmacSha256Hex } from '@threadline/connector-kit';
import { describe, expect, it } from 'vitest';
import { signWebchatIdentityToken, verifyWebchatIdentityToken } from './webchat-identity-token.js';

const secret = 'site-secret';
const now = new Date('2026-06-01T12:00:00.000Z');
const nowSeconds = Math.floor(now.getTime() / 1000);

describe('verifyWebchatIdentityToken', () => {
  it('accepts a token signed with the site secret and claims the canonical email', () => {
    const token = signWebchatIdentityToken(
      { email: ' Ada@Example.COM ', name: 'Ada Lovelace', exp: nowSeconds + 300 },
      secret,
    );
    const result = verifyWebchatIdentityToken(token, secret, { now });
    expect(result).toEqual({
      ok: true,
      identity: { email: ' Ada@Example.COM ', name: 'Ada Lovelace', exp: nowSeconds + 300 },
      claims: [
        {
          address: { channel: 'email', address: 'ada@example.com' },
          verified: true,
          source: 'identity_token',
        },
      ],
    });
  });

  it('claims a phone number on SMS and WhatsApp, in E.164', () => {
    const token = signWebchatIdentityToken(
      { phone: '+1 415 555 0100', exp: nowSeconds + 60 },
      secret,
    );
    const result = verifyWebchatIdentityToken(token, secret, { now });
    expect(result.ok && result.claims.map((claim) => claim.address)).toEqual([
      { channel: 'sms', address: '+14155550100' },
      { channel: 'whatsapp', address: '+14155550100' },
    ]);
  });

  it('has the documented format: base64url(JSON).hex(HMAC-SHA256)', () => {
    const token = signWebchatIdentityToken({ email: 'ada@example.com', exp: 1 }, secret);
    const [payload, signature] = token.split('.');
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).toEqual({
      email: 'ada@example.com',
      exp: 1,
    });
    expect(signature).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a token signed with another secret', () => {
    const token = signWebchatIdentityToken(
      { email: 'ada@example.com', exp: nowSeconds + 60 },
      'other',
    );
    expect(verifyWebchatIdentityToken(token, secret, { now })).toMatchObject({
      ok: false,
      code: 'identity_invalid',
    });
  });

  it('refuses a token whose claims were changed after signing', () => {
    const token = signWebchatIdentityToken(
      { email: 'ada@example.com', exp: nowSeconds + 60 },
      secret,
    );
    const signature = token.split('.')[1];
    const forgedPayload = Buffer.from(
      JSON.stringify({ email: 'grace@example.com', exp: nowSeconds + 60 }),
    ).toString('base64url');
    expect(
      verifyWebchatIdentityToken(`${forgedPayload}.${signature}`, secret, { now }),
    ).toMatchObject({ ok: false, code: 'identity_invalid' });
  });

  it('refuses an expired token with identity_expired', () => {
    const token = signWebchatIdentityToken({ email: 'ada@example.com', exp: nowSeconds }, secret);
    expect(verifyWebchatIdentityToken(token, secret, { now })).toMatchObject({
      ok: false,
      code: 'identity_expired',
    });
  });

  it('refuses tokens that stay valid for longer than the maximum lifetime', () => {
    const token = signWebchatIdentityToken(
      { email: 'ada@example.com', exp: nowSeconds + 2 * 24 * 3600 },
      secret,
    );
    expect(verifyWebchatIdentityToken(token, secret, { now })).toMatchObject({
      ok: false,
      code: 'identity_invalid',
    });
    expect(
      verifyWebchatIdentityToken(token, secret, { now, maxLifetimeSeconds: 3 * 24 * 3600 }).ok,
    ).toBe(true);
  });

  it('refuses every token when no site secret is configured', () => {
    const token = signWebchatIdentityToken(
      { email: 'ada@example.com', exp: nowSeconds + 60 },
      secret,
    );
    const result = verifyWebchatIdentityToken(token, undefined, { now });
    expect(result).toMatchObject({ ok: false, code: 'identity_invalid' });
    expect(!result.ok && result.reason).toContain('WEBCHAT_IDENTITY_SECRET');
  });

  it.each([
    ['no separator', 'abc'],
    ['empty', ''],
    ['payload not JSON', signRaw(Buffer.from('nope').toString('base64url'))],
    ['neither email nor phone', signPayload({ name: 'Ada', exp: nowSeconds + 60 })],
    ['not an email', signPayload({ email: 'ada at example', exp: nowSeconds + 60 })],
    ['not a phone', signPayload({ phone: 'call me', exp: nowSeconds + 60 })],
    ['no exp', signPayload({ email: 'ada@example.com' })],
  ])('refuses a malformed token (%s) without throwing', (_name, token) => {
    const result = verifyWebchatIdentityToken(token, secret, { now });
    expect(result).toMatchObject({ ok: false, code: 'identity_invalid' });
  });
});

/** A correctly signed token around any payload. */
function signRaw(encoded: string): string {
  return `${encoded}.${hmacSha256Hex(secret, encoded)}`;
}

function signPayload(payload: unknown): string {
  return signRaw(Buffer.from(JSON.stringify(payload)).toString('base64url'));
}
