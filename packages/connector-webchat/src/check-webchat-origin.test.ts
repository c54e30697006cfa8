import { describe, expect, it } from 'vitest';
import { isOriginAllowed, parseAllowedOrigins } from './check-webchat-origin.js';

describe('parseAllowedOrigins', () => {
  it('normalizes a comma-separated list and treats an empty one as unset', () => {
    expect(parseAllowedOrigins(' https://Shop.Example.com/ , http://localhost:3000')).toEqual([
      'https://shop.example.com',
      'http://localhost:3000',
    ]);
    expect(parseAllowedOrigins(undefined)).toBeUndefined();
    expect(parseAllowedOrigins(' , ')).toBeUndefined();
    expect(parseAllowedOrigins(['*'])).toEqual(['*']);
  });

  it('refuses entries that are not http(s) origins, naming them', () => {
    expect(() => parseAllowedOrigins('shop.example.com')).toThrow(/shop\.example\.com/);
    expect(() => parseAllowedOrigins('ftp://shop.example.com')).toThrow(/http or https/);
  });
});

describe('isOriginAllowed', () => {
  const allowed = ['https://shop.example.com'];

  it('allows any origin without a list, or with *', () => {
    expect(isOriginAllowed(undefined, 'https://evil.example')).toBe(true);
    expect(isOriginAllowed(undefined, undefined)).toBe(true);
    expect(isOriginAllowed(['*'], 'https://evil.example')).toBe(true);
  });

  it('allows only listed origins, exactly', () => {
    expect(isOriginAllowed(allowed, 'https://shop.example.com')).toBe(true);
    expect(isOriginAllowed(allowed, 'https://SHOP.example.com')).toBe(true);
    expect(isOriginAllowed(allowed, 'http://shop.example.com')).toBe(false);
    expect(isOriginAllowed(allowed, 'https://shop.example.com.evil.example')).toBe(false);
    expect(isOriginAllowed(allowed, 'null')).toBe(false);
    expect(isOriginAllowed(allowed, undefined)).toBe(false);
  });
});
