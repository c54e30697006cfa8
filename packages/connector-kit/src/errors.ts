const marker = Symbol.for('threadline.error');

/**
 * Every stable error code Threadline answers with, defined once. Apps may switch on them;
 * codes are never renamed, only added.
 */
export const errorCodes = {
  // input from providers and apps
  signature_invalid: 'The request signature is missing or does not match; nothing was stored.',
  payload_invalid: 'The payload does not have the shape the provider documents; see `path`.',
  validation_failed: 'The request body or query is invalid; see `details.issues`.',
  unsupported_content: 'The channel cannot carry this content, even rendered down.',
  // provider outcomes
  rate_limited: 'The provider asked us to slow down; retried after `retryAfterMs`.',
  provider_unavailable: 'The provider failed or timed out; retried with backoff.',
  provider_rejected: 'The provider refused the message for good; see the provider code.',
  recipient_blocked: 'The recipient blocked the sender or cannot be reached on this channel.',
  recipient_opted_out: 'The recipient opted out of this channel (e.g. replied STOP).',
  route_refused: 'A channel rule refuses this route now (e.g. outside WhatsApp 24-hour window).',
  // gateway
  unauthorized: 'A valid API key is required (Authorization: Bearer <key>).',
  forbidden: 'The API key is valid but lacks the scope for this call.',
  not_found: 'No such resource.',
  conflict: 'The request conflicts with the current state.',
  not_in_control:
    'Another integration controls this conversation (switchboard); pass control first, or send with `takeControl: true`.',
  payload_too_large: 'The body is larger than this endpoint accepts.',
  too_many_requests: 'Too many requests for this API key; retry after `Retry-After`.',
  configuration_invalid: 'The gateway or connector configuration is invalid.',
  channel_not_configured:
    'No connector for this channel is configured; `details.channel` names it, `details.environment` the variables that switch it on.',
  unavailable: 'A dependency of the gateway is not reachable.',
  internal: 'An unexpected error; it was logged.',
} as const;

export type ErrorCode = keyof typeof errorCodes;

export interface ThreadlineErrorOptions {
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** The root of every error Threadline throws on purpose. Check with {@link ThreadlineError.isInstance}. */
export class ThreadlineError extends Error {
  readonly [marker] = true;
  override name = 'ThreadlineError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: ThreadlineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }

  /** True for any Threadline error, even one from another copy of this package. */
  static isInstance(error: unknown): error is ThreadlineError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}

export interface ConnectorErrorOptions extends ThreadlineErrorOptions {
  /** HTTP status the provider answered with, when there was one. */
  statusCode?: number;
  /** Whether sending again later may succeed. */
  retryable?: boolean;
  /** How long the provider asked us to wait before trying again. */
  retryAfterMs?: number;
  /** The provider's own error code (Twilio 30003, Meta 131047, ...). */
  providerCode?: string;
  /** For `payload_invalid`: where in the payload the problem is. */
  path?: string;
}

/** An error at the provider boundary: bad input, or a provider that refused or failed. */
export class ConnectorError extends ThreadlineError {
  override name = 'ConnectorError';
  readonly statusCode: number | undefined;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly providerCode: string | undefined;
  readonly path: string | undefined;

  constructor(code: ErrorCode, message: string, options: ConnectorErrorOptions = {}) {
    super(code, message, options);
    this.statusCode = options.statusCode;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.providerCode = options.providerCode;
    this.path = options.path;
  }

  static isConnectorError(error: unknown): error is ConnectorError {
    return ThreadlineError.isInstance(error) && 'retryable' in error;
  }

  /**
   * The request is not from the provider. Answered with `statusCode`: 401 unless the
   * provider documents another status for a refusal (Meta's verification expects 403).
   */
  static signatureInvalid(
    reason: string,
    options: { statusCode?: 401 | 403 } = {},
  ): ConnectorError {
    return new ConnectorError('signature_invalid', `signature rejected: ${reason}`, {
      statusCode: options.statusCode ?? 401,
    });
  }

  static payloadInvalid(path: string, reason: string, cause?: unknown): ConnectorError {
    return new ConnectorError(
      'payload_invalid',
      `invalid payload at ${path || '(root)'}: ${reason}`,
      {
        statusCode: 400,
        path: path || '(root)',
        cause,
      },
    );
  }

  static unsupportedContent(channel: string, reason: string): ConnectorError {
    return new ConnectorError(
      'unsupported_content',
      `${channel} cannot carry this content: ${reason}`,
    );
  }
}

/** The part of an error the engine acts on. */
export interface ErrorDisposition {
  code: ErrorCode | string;
  message: string;
  retryable: boolean;
  retryAfterMs?: number;
  providerCode?: string;
}

/**
 * How to treat any error thrown by a connector: typed errors keep their code; anything else
 * (a bug, a network failure surfacing as a plain Error) is treated as a retryable outage.
 */
export function toErrorDisposition(error: unknown): ErrorDisposition {
  if (ConnectorError.isConnectorError(error)) {
    return {
      code: error.providerCode ?? error.code,
      message: error.message,
      retryable: error.retryable,
      ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
      ...(error.providerCode === undefined ? {} : { providerCode: error.providerCode }),
    };
  }
  if (ThreadlineError.isInstance(error)) {
    return { code: error.code, message: error.message, retryable: false };
  }
  return {
    code: 'provider_unavailable',
    message: error instanceof Error ? error.message : String(error),
    retryable: true,
  };
}

/** Retry-After (seconds or an HTTP date) to milliseconds. */
export function parseRetryAfter(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
