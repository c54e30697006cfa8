import { createHmac } from 'node:crypto';
import type { InboundRequest } from '@threadline/connector-kit';
import { describe, expect, it } from 'vitest';
import { verifyTwilioRequest } from './verify-twilio-request.js';

const token = '7c1e9a4f2b8d6e0a3c5f9b1d7e2a4c68';

/** Twilio's algorithm spelled out: HMAC-SHA1 over the URL and the name+value pairs, base64. */
const hmac = (data: string, key = token) =>
  createHmac('sha1', key).update(data, 'utf8').digest('base64');

const request = (url: string, body: string, signature?: string): InboundRequest => ({
  method: 'POST',
  url,
  headers: {
    'content-type': 'application/x-www-form-urlencoded',
    ...(signature === undefined ? {} : { 'x-twilio-signature': signature }),
  },
  body,
});

const signatureInvalid = expect.objectContaining({ code: 'signature_invalid', statusCode: 401 });

describe('verifyTwilioRequest', () => {
  const url = 'https://public.example.com/webhooks/sms/sms';

  it('accepts the signature over the URL and the parameters sorted by name', () => {
    const body = 'To=%2B14155550100&From=%2B14155550123&Body=Hello+%F0%9F%91%8B';
    const signature = hmac(`${url}Body${'Hello 👋'}From+14155550123To+14155550100`);
    const form = verifyTwilioRequest(token, request(url, body, signature));
    expect(form.fields).toEqual({ To: '+14155550100', From: '+14155550123', Body: 'Hello 👋' });
  });

  it('rejects a missing, empty or wrong signature, and another token', () => {
    const body = 'Body=hi&From=%2B14155550123';
    const good = hmac(`${url}BodyhiFrom+14155550123`);
    expect(() => verifyTwilioRequest(token, request(url, body))).toThrowError(signatureInvalid);
    expect(() => verifyTwilioRequest(token, request(url, body, ''))).toThrowError(signatureInvalid);
    expect(() =>
      verifyTwilioRequest(token, request(url, body, `${good.slice(0, -2)}A=`)),
    ).toThrowError(signatureInvalid);
    expect(() => verifyTwilioRequest('another-token', request(url, body, good))).toThrowError(
      signatureInvalid,
    );
    expect(verifyTwilioRequest(token, request(url, body, good)).fields.Body).toBe('hi');
  });

  describe('a body with a repeated parameter', () => {
    const first = 'https://api.twilio.com/media/ME2';
    const second = 'https://api.twilio.com/media/ME1';
    const body = `Body=hi&MediaUrl0=${encodeURIComponent(first)}&MediaUrl0=${encodeURIComponent(second)}`;

    it("validates Twilio's form: the repeated values sorted", () => {
      const signature = hmac(`${url}BodyhiMediaUrl0${second}MediaUrl0${first}`);
      expect(verifyTwilioRequest(token, request(url, body, signature)).pairs).toHaveLength(3);
    });

    it('rejects a body where a parameter was added, dropped or changed', () => {
      const signature = hmac(`${url}BodyhiMediaUrl0${second}MediaUrl0${first}`);
      const added = `${body}&MediaUrl0=${encodeURIComponent('https://evil.example.com/x')}`;
      const dropped = `Body=hi&MediaUrl0=${encodeURIComponent(first)}`;
      const changed = body.replace('Body=hi', 'Body=hj');
      for (const tampered of [added, dropped, changed]) {
        expect(() => verifyTwilioRequest(token, request(url, tampered, signature))).toThrowError(
          signatureInvalid,
        );
      }
    });

    it('rejects a second value smuggled in for a signed single parameter', () => {
      const signature = hmac(`${url}Bodyhi`);
      expect(verifyTwilioRequest(token, request(url, 'Body=hi', signature)).fields.Body).toBe('hi');
      expect(() =>
        verifyTwilioRequest(token, request(url, 'Body=evil&Body=hi', signature)),
      ).toThrowError(signatureInvalid);
    });
  });

  describe('behind a proxy', () => {
    const publicUrl = 'https://public.example.com/webhooks/sms/sms?x=1';
    const internalUrl = 'http://10.0.0.5:8787/webhooks/sms/sms?x=1';
    const body = 'Body=hi&From=%2B14155550123';
    const signature = hmac(`${publicUrl}BodyhiFrom+14155550123`);

    it('validates when request.url is the public URL Twilio called, query included', () => {
      expect(verifyTwilioRequest(token, request(publicUrl, body, signature)).fields.Body).toBe(
        'hi',
      );
    });

    it('fails for the internal URL the request reached the gateway on', () => {
      expect(() => verifyTwilioRequest(token, request(internalUrl, body, signature))).toThrowError(
        signatureInvalid,
      );
    });

    it('fails without the query Twilio called with', () => {
      expect(() =>
        verifyTwilioRequest(
          token,
          request('https://public.example.com/webhooks/sms/sms', body, signature),
        ),
      ).toThrowError(signatureInvalid);
    });

    it("tolerates the default port being added or dropped, as Twilio's validators do", () => {
      const withPort = 'https://public.example.com:443/webhooks/sms/sms?x=1';
      expect(verifyTwilioRequest(token, request(withPort, body, signature)).fields.Body).toBe('hi');
      const signedWithPort = hmac(`${withPort}BodyhiFrom+14155550123`);
      expect(verifyTwilioRequest(token, request(publicUrl, body, signedWithPort)).fields.Body).toBe(
        'hi',
      );
      const otherPort = 'https://public.example.com:8443/webhooks/sms/sms?x=1';
      expect(() => verifyTwilioRequest(token, request(otherPort, body, signature))).toThrowError(
        signatureInvalid,
      );
    });
  });
});
