import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  metaSignature,
  safeEqual,
  twilioSignature,
  verifyMetaSignature,
  verifySharedSecret,
  verifyTwilioSignature,
} from './signatures.js';

describe('Twilio signatures', () => {
  // Twilio's own published example (security docs): token 12345, this URL and these params.
  const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const params = {
    CallSid: 'CA1234567890ABCDE',
    Caller: '+14158675309',
    Digits: '1234',
    From: '+14158675309',
    To: '+18005551212',
  };

  it("matches Twilio's published test vector", () => {
    expect(twilioSignature('12345', url, params)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
    expect(verifyTwilioSignature('12345', url, params, 'RSOYDt4T1cUTdK1PDd93/VVr8B8=')).toBe(true);
  });

  it('does not depend on the order parameters arrive in', () => {
    const reversed = Object.entries(params).reverse();
    expect(twilioSignature('12345', url, reversed)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
  });

  it('signs every value of a repeated parameter, sorted as Twilio does', () => {
    const url = 'https://gw.example/webhooks/sms/sms';
    const pairs: Array<[string, string]> = [
      ['MediaUrl', 'https://a.example/2.png'],
      ['Body', 'hi'],
      ['MediaUrl', 'https://a.example/1.png'],
    ];
    const signature = twilioSignature('token', url, pairs);
    const expected = createHmac('sha1', 'token')
      .update(`${url}BodyhiMediaUrlhttps://a.example/1.pngMediaUrlhttps://a.example/2.png`)
      .digest('base64');
    expect(signature).toBe(expected);
    expect(verifyTwilioSignature('token', url, [...pairs].reverse(), signature)).toBe(true);
    const changed: Array<[string, string]> = [
      ['MediaUrl', 'https://a.example/3.png'],
      ['Body', 'hi'],
      ['MediaUrl', 'https://a.example/1.png'],
    ];
    expect(verifyTwilioSignature('token', url, changed, signature)).toBe(false);
  });

  it('fails for another URL, token or a missing signature', () => {
    const signature = twilioSignature('12345', url, params);
    expect(
      verifyTwilioSignature(
        '12345',
        'http://mycompany.com/myapp.php?foo=1&bar=2',
        params,
        signature,
      ),
    ).toBe(false);
    expect(verifyTwilioSignature('54321', url, params, signature)).toBe(false);
    expect(verifyTwilioSignature('12345', url, params, undefined)).toBe(false);
    expect(verifyTwilioSignature('12345', url, { ...params, Digits: '1235' }, signature)).toBe(
      false,
    );
  });
});

describe('Meta signatures', () => {
  it('is sha256= and the hex HMAC of the raw body', () => {
    const body = '{"object":"whatsapp_business_account","entry":[]}';
    const signature = metaSignature('app-secret', body);
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyMetaSignature('app-secret', body, signature)).toBe(true);
    expect(verifyMetaSignature('app-secret', `${body} `, signature)).toBe(false);
    expect(verifyMetaSignature('app-secret', body, signature.toUpperCase())).toBe(false);
    expect(verifyMetaSignature('app-secret', body, null)).toBe(false);
  });
});

describe('shared secrets', () => {
  it('compares in constant time and rejects empty values', () => {
    expect(verifySharedSecret('s3cret', 's3cret')).toBe(true);
    expect(verifySharedSecret('s3cret', 's3cre')).toBe(false);
    expect(verifySharedSecret('s3cret', '')).toBe(false);
    expect(safeEqual('ä', 'a')).toBe(false);
  });
});
