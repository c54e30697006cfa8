import { ConnectorError } from '@threadline/connector-kit';

/** WhatsApp answers a session that sends too much with `rate-overlimit` (code 429). */
const rateLimitPattern = /rate-overlimit|\b429\b/i;

/**
 * An error thrown by a whatsapp-web.js call as a typed error. WhatsApp's `rate-overlimit`
 * names no wait, so `backoffMs` is used; anything else (a closed page, a lost connection,
 * a timeout) is an outage worth retrying.
 */
export function mapWhatsAppWebError(
  error: unknown,
  options: { backoffMs: number },
): ConnectorError {
  if (ConnectorError.isConnectorError(error)) return error;
  const text = error instanceof Error ? error.message : String(error);
  if (rateLimitPattern.test(text)) {
    return new ConnectorError('rate_limited', `WhatsApp limited this session: ${text}`, {
      statusCode: 429,
      retryable: true,
      retryAfterMs: options.backoffMs,
      providerCode: 'rate-overlimit',
      cause: error,
    });
  }
  return new ConnectorError('provider_unavailable', `WhatsApp Web session failed: ${text}`, {
    retryable: true,
    cause: error,
  });
}
