import { describe, expect, it } from 'vitest';
import { readFieldBlock } from './mail-headers.js';
import { readAuthenticationResults } from './read-authentication-results.js';

const headers = (text: string) => readFieldBlock(text);

describe('readAuthenticationResults', () => {
  it('reads spf, dkim and dmarc from a trusted server', () => {
    const result = readAuthenticationResults(
      headers(
        [
          'Authentication-Results: mx.acme.example;',
          '\tdkim=pass header.d=example.com header.s=s2024;',
          '\tspf=pass (domain of ada@example.com designates 192.0.2.10) smtp.mailfrom=example.com;',
          '\tdmarc=pass (p=REJECT) header.from=example.com',
        ].join('\n'),
      ),
      ['mx.acme.example'],
    );
    expect(result).toEqual({
      spf: 'pass',
      dkim: 'pass',
      dmarc: 'pass',
      authservId: 'mx.acme.example',
      trusted: true,
      verified: true,
    });
  });

  it('prefers the trusted header over a forged one above it', () => {
    const result = readAuthenticationResults(
      headers(
        [
          'Authentication-Results: evil.example; dmarc=pass header.from=bank.example',
          'Authentication-Results: MX.ACME.EXAMPLE 1; spf=softfail smtp.mailfrom=bank.example; dkim=none; dmarc=fail header.from=bank.example',
        ].join('\n'),
      ),
      ['mx.acme.example'],
    );
    expect(result).toMatchObject({
      spf: 'softfail',
      dkim: 'none',
      dmarc: 'fail',
      authservId: 'mx.acme.example',
      trusted: true,
      verified: false,
    });
  });

  it('reports results from an untrusted server as untrusted and never verified', () => {
    const result = readAuthenticationResults(
      headers('Authentication-Results: mx.google.com; dmarc=pass header.from=example.com'),
    );
    expect(result).toMatchObject({ dmarc: 'pass', trusted: false, verified: false });
  });

  it('counts one passing DKIM signature among several', () => {
    const result = readAuthenticationResults(
      headers(
        'Authentication-Results: mx.acme.example; dkim=fail header.d=esp.example; dkim=pass header.d=example.com',
      ),
      ['mx.acme.example'],
    );
    expect(result?.dkim).toBe('pass');
  });

  it('falls back to Received-SPF for spf', () => {
    const result = readAuthenticationResults(
      headers(
        'Received-SPF: Pass (mx.acme.example: domain of example.com designates 192.0.2.10) client-ip=192.0.2.10; envelope-from=ada@example.com; receiver=mx.acme.example;',
      ),
      ['mx.acme.example'],
    );
    expect(result).toEqual({
      spf: 'pass',
      dkim: null,
      dmarc: null,
      authservId: null,
      trusted: true,
      verified: false,
    });
  });

  it('reads "none" as no results', () => {
    const result = readAuthenticationResults(
      headers('Authentication-Results: mx.acme.example 1; none'),
      ['mx.acme.example'],
    );
    expect(result).toMatchObject({ spf: null, dkim: null, dmarc: null, trusted: true });
  });

  it('returns undefined when the message carries no results', () => {
    expect(readAuthenticationResults(headers('Subject: hello'))).toBeUndefined();
  });
});
