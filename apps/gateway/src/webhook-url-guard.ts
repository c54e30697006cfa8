import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** True for loopback, private, link-local, unique-local, CGNAT and unspecified addresses. */
export function isPrivateAddress(address: string): boolean {
  const version = isIP(address);
  if (version === 4) {
    const [a = 0, b = 0] = address.split('.').map(Number);
    return (
      a === 10 ||
      a === 127 ||
      a === 0 ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  if (version === 6) {
    const lower = address.toLowerCase();
    if (lower.startsWith('::ffff:')) return isPrivateAddress(lower.slice(7));
    return (
      lower === '::1' ||
      lower === '::' ||
      lower.startsWith('fe80:') ||
      lower.startsWith('fc') ||
      lower.startsWith('fd')
    );
  }
  return false;
}

/** The addresses a host resolves to, or none if it does not resolve within `timeoutMs`. */
async function resolveWithin(host: string, timeoutMs: number): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string[]>((resolve) => {
    timer = setTimeout(() => resolve([]), timeoutMs);
  });
  const resolved = lookup(host, { all: true })
    .then((results) => results.map((result) => result.address))
    .catch(() => [] as string[]);
  try {
    return await Promise.race([resolved, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Refuses webhook URLs that point inside the network (SSRF): the host, and every address it
 * resolves to, must be public. Returns the reason, or null when the URL is allowed.
 */
export async function webhookUrlProblem(
  raw: string,
  allowPrivate: boolean,
): Promise<string | null> {
  const url = new URL(raw);
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return 'only http and https URLs are allowed';
  if (url.username || url.password) return 'credentials in the URL are not allowed';
  if (allowPrivate) return null;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return `${host} is a loopback host`;
  const addresses = isIP(host) ? [host] : await resolveWithin(host, 2_000);
  if (addresses.length === 0) return `${host} does not resolve`;
  const internal = addresses.find(isPrivateAddress);
  return internal ? `${host} resolves to a private or loopback address (${internal})` : null;
}
