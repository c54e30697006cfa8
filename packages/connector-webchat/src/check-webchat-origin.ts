import { ConnectorError } from '@threadline/connector-kit';

/** `https://Shop.example.com/` → `https://shop.example.com`; `*` stays `*`. */
export function normalizeOrigin(value: string): string {
  const trimmed = value.trim();
  if (trimmed === '*') return '*';
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new ConnectorError(
      'configuration_invalid',
      `allowed origin "${value}" is not an origin such as https://shop.example.com`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConnectorError(
      'configuration_invalid',
      `allowed origin "${value}" must be http or https`,
    );
  }
  return url.origin;
}

/** The comma-separated `WEBCHAT_ALLOWED_ORIGINS`, normalized; undefined when unset (any origin). */
export function parseAllowedOrigins(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = (Array.isArray(value) ? value : value.split(','))
    .map((item) => item.trim())
    .filter(Boolean);
  if (items.length === 0) return undefined;
  return items.map(normalizeOrigin);
}

/**
 * Whether a socket opened from a page at `origin` may chat. Without an allow-list any origin
 * may. With one, the `Origin` header must match an entry exactly (browsers always send it on
 * WebSocket handshakes), and a handshake without it is refused.
 */
export function isOriginAllowed(
  allowed: string[] | undefined,
  origin: string | undefined,
): boolean {
  if (!allowed || allowed.includes('*')) return true;
  if (!origin) return false;
  let normalized: string;
  try {
    normalized = new URL(origin).origin;
  } catch {
    return false;
  }
  return allowed.includes(normalized);
}
