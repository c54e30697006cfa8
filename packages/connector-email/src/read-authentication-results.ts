import { headerValues, type RawHeaderLine, stripComments } from './mail-headers.js';

/** SPF, DKIM and DMARC results for an inbound email, as a receiving server recorded them. */
export interface EmailAuthentication {
  /** `pass`, `fail`, `softfail`, `neutral`, `none`, `temperror`, `permerror`, ... or null. */
  spf: string | null;
  dkim: string | null;
  dmarc: string | null;
  /** The server that evaluated them (the authserv-id of `Authentication-Results`). */
  authservId: string | null;
  /** True when that server is one the deployment trusts (its own MX or filter). */
  trusted: boolean;
  /**
   * True when a trusted server reported `dmarc=pass`: the From domain is proven. Identity
   * policy uses this before linking a sender to a contact automatically.
   */
  verified: boolean;
}

interface ParsedResults {
  authservId: string;
  results: Map<string, string>;
}

function parseAuthenticationResults(value: string): ParsedResults | undefined {
  const [head, ...statements] = stripComments(value).split(';');
  const authservId = head?.trim().split(/\s+/)[0]?.toLowerCase();
  if (!authservId) return undefined;
  const results = new Map<string, string>();
  for (const statement of statements) {
    const match = /^\s*([a-z0-9_-]+)(?:\/\d+)?\s*=\s*([a-z]+)/i.exec(statement);
    if (!match) continue;
    const method = match[1]!.toLowerCase();
    const result = match[2]!.toLowerCase();
    const previous = results.get(method);
    // several DKIM signatures: one passing signature is enough
    if (previous === undefined || (previous !== 'pass' && result === 'pass')) {
      results.set(method, result);
    }
  }
  return { authservId, results };
}

function parseReceivedSpf(value: string): { result: string; receiver: string | null } | undefined {
  const result = /^\s*([a-z]+)/i.exec(value)?.[1]?.toLowerCase();
  if (!result) return undefined;
  const receiver = /(?:^|[\s;])receiver\s*=\s*([^\s;]+)/i.exec(stripComments(value))?.[1];
  return { result, receiver: receiver?.toLowerCase() ?? null };
}

/**
 * Reads `Authentication-Results` (RFC 8601) and `Received-SPF` (RFC 7208) headers.
 *
 * Anyone can write these headers into a message, so a result only counts as `trusted` when
 * its authserv-id is one of `trustedAuthServIds` (the MX or filter in front of Threadline,
 * which removes forged copies). The topmost trusted header wins; without one, the topmost
 * header is reported with `trusted: false`.
 */
export function readAuthenticationResults(
  headers: readonly RawHeaderLine[],
  trustedAuthServIds: readonly string[] = [],
): EmailAuthentication | undefined {
  const trustedIds = new Set(trustedAuthServIds.map((id) => id.toLowerCase()));
  const parsed = headerValues(headers, 'authentication-results')
    .map(parseAuthenticationResults)
    .filter((entry): entry is ParsedResults => entry !== undefined);
  const trustedEntry = parsed.find((entry) => trustedIds.has(entry.authservId));
  const chosen = trustedEntry ?? parsed[0];
  const spfHeaders = headerValues(headers, 'received-spf')
    .map(parseReceivedSpf)
    .filter((entry) => entry !== undefined);
  const trustedSpf = spfHeaders.find(
    (entry) => entry.receiver !== null && trustedIds.has(entry.receiver),
  );
  if (!chosen && spfHeaders.length === 0) return undefined;
  const trusted = trustedEntry !== undefined;
  const spfFallback = trusted ? trustedSpf : (trustedSpf ?? spfHeaders[0]);
  const dmarc = chosen?.results.get('dmarc') ?? null;
  return {
    spf: chosen?.results.get('spf') ?? spfFallback?.result ?? null,
    dkim: chosen?.results.get('dkim') ?? null,
    dmarc,
    authservId: chosen?.authservId ?? null,
    trusted: chosen ? trusted : trustedSpf !== undefined,
    verified: trusted && dmarc === 'pass',
  };
}
