import { ConnectorError } from '@threadline/connector-kit';

/** How long to wait after a 421/450/451 when the server names no time (greylisting waits minutes). */
export const defaultSmtpRetryAfterMs = 60_000;

/** Errors of the connection itself, not of the message: another attempt may go through. */
const connectionCodes = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ETLS',
  'EPROXY',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
const rateLimitCodes = new Set([421, 450, 451]);
const authenticationCodes = new Set([530, 534, 535, 538]);

interface SmtpFailure {
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
  message?: unknown;
}

/** A wait the server asks for in its reply text: "try again in 30 seconds", "retry in 5 min". */
export function retryHintMs(response: string): number | undefined {
  const match = /(?:in|after)\s+(\d{1,6})\s*(s|secs?|seconds?|m|mins?|minutes?|h|hours?)\b/i.exec(
    response,
  );
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = match[2]!.toLowerCase();
  const factor = unit.startsWith('h') ? 3_600_000 : unit.startsWith('m') ? 60_000 : 1000;
  return value * factor;
}

/**
 * Maps a nodemailer/SMTP failure to a typed error the engine can act on:
 * - 421, 450, 451 (too many connections, greylisting, local error): `rate_limited`, retried
 *   after the wait the server names or {@link defaultSmtpRetryAfterMs};
 * - other 4xx, 503, and connection failures (refused, timed out, reset, DNS): retryable
 *   `provider_unavailable`;
 * - authentication failures: `configuration_invalid` (fix `SMTP_URL`), not retried;
 * - other 5xx: permanent `provider_rejected` with the SMTP code as `providerCode`.
 */
export function mapSmtpError(error: unknown): ConnectorError {
  if (ConnectorError.isConnectorError(error)) return error;
  const failure = (typeof error === 'object' && error !== null ? error : {}) as SmtpFailure;
  const code = typeof failure.code === 'string' ? failure.code : undefined;
  const responseCode = typeof failure.responseCode === 'number' ? failure.responseCode : undefined;
  const response =
    typeof failure.response === 'string'
      ? failure.response
      : typeof failure.message === 'string'
        ? failure.message
        : String(error);
  const detail = `SMTP ${responseCode ?? code ?? 'error'}: ${response}`;
  const options = { cause: error, ...(responseCode ? { providerCode: String(responseCode) } : {}) };

  if (responseCode !== undefined && responseCode >= 400 && responseCode < 500) {
    const hint = retryHintMs(response);
    if (rateLimitCodes.has(responseCode)) {
      return new ConnectorError('rate_limited', detail, {
        ...options,
        retryable: true,
        retryAfterMs: hint ?? defaultSmtpRetryAfterMs,
      });
    }
    return new ConnectorError('provider_unavailable', detail, {
      ...options,
      retryable: true,
      ...(hint === undefined ? {} : { retryAfterMs: hint }),
    });
  }
  if (code === 'EAUTH' || code === 'ENOAUTH' || code === 'ECONFIG') {
    return new ConnectorError('configuration_invalid', `${detail} (check SMTP_URL)`, options);
  }
  if (responseCode !== undefined && authenticationCodes.has(responseCode)) {
    return new ConnectorError('configuration_invalid', `${detail} (check SMTP_URL)`, options);
  }
  if (responseCode === 503) {
    return new ConnectorError('provider_unavailable', detail, { ...options, retryable: true });
  }
  if (responseCode !== undefined && responseCode >= 500) {
    return new ConnectorError('provider_rejected', detail, { ...options, retryable: false });
  }
  if (code === 'EENVELOPE') {
    return new ConnectorError('provider_rejected', detail, {
      ...options,
      retryable: false,
      providerCode: code,
    });
  }
  if (code !== undefined && connectionCodes.has(code)) {
    return new ConnectorError('provider_unavailable', detail, {
      ...options,
      retryable: true,
      providerCode: code,
    });
  }
  return new ConnectorError('provider_unavailable', detail, { ...options, retryable: true });
}
