import { describe, expect, it } from 'vitest';
import { canonicalAddress } from './address.js';

describe('canonical addresses', () => {
  it.each([
    ['+1 (415) 555-0100', '+14155550100'],
    ['whatsapp:+14155550100', '+14155550100'],
    ['14155550100@c.us', '+14155550100'],
    ['447700900123', '+447700900123'],
  ])('reads the phone %s as %s', (raw, e164) => {
    expect(canonicalAddress('sms', raw)).toBe(e164);
    expect(canonicalAddress('whatsapp', raw)).toBe(e164);
  });

  it('reads national numbers with a default country', () => {
    expect(canonicalAddress('sms', '(415) 555-0100', { defaultCountry: 'US' })).toBe(
      '+14155550100',
    );
  });

  it('lower-cases email and drops the display name', () => {
    expect(canonicalAddress('email', 'Ada Lovelace <Ada@Example.COM>')).toBe('ada@example.com');
  });

  it('rejects what is not an address, naming the path', () => {
    expect(() => canonicalAddress('sms', 'hello', { path: 'From' })).toThrowError(/From/);
    expect(() => canonicalAddress('email', 'not-an-email')).toThrowError(/not an email/);
    expect(() => canonicalAddress('telegram', '12ab')).toThrowError(/Telegram/);
  });
});
