const marker = Symbol.for('threadline.client.error');

/**
 * The root of every error the client throws. `code` is stable: the gateway's error code
 * (`validation_failed`, `not_found`, ...) for API answers, or one of the client's own
 * (`connection_failed`, `timeout`, `webhook_signature_invalid`, `stream_failed`).
 */
export class ThreadlineClientError extends Error {
  readonly [marker] = true;
  override name = 'ThreadlineClientError';
  readonly code: string;
  /** Whether the same call may succeed if made again later. */
  readonly retryable: boolean;

  constructor(
    code: string,
    message: string,
    options: { retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
  }

  /** True for any error of this client, even one thrown by another copy of the package. */
  static isInstance(error: unknown): error is ThreadlineClientError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}

/** The gateway answered with an error: `{ error: { code, message, details } }`. */
export class ThreadlineApiError extends ThreadlineClientError {
  override name = 'ThreadlineApiError';
  /** The HTTP status of the answer. */
  readonly status: number;
  /** `details.issues` lists each invalid field for `validation_failed`. */
  readonly details: Record<string, unknown> | null;
  /** How long the gateway asked to wait (`Retry-After`), when it did. */
  readonly retryAfterMs: number | undefined;
  readonly method: string;
  readonly path: string;

  constructor(options: {
    status: number;
    code: string;
    message: string;
    details?: Record<string, unknown> | null;
    retryAfterMs?: number;
    method: string;
    path: string;
  }) {
    super(options.code, `${options.method} ${options.path}: ${options.message}`, {
      retryable:
        options.status === 429 ||
        options.status === 502 ||
        options.status === 503 ||
        options.status === 504,
    });
    this.status = options.status;
    this.details = options.details ?? null;
    this.retryAfterMs = options.retryAfterMs;
    this.method = options.method;
    this.path = options.path;
  }

  /** True when the error is an API answer, optionally with this `code`. */
  static is(error: unknown, code?: string): error is ThreadlineApiError {
    return (
      ThreadlineClientError.isInstance(error) &&
      error instanceof Error &&
      'status' in error &&
      (code === undefined || error.code === code)
    );
  }
}

/** The gateway could not be reached, or did not answer in time. Always retryable. */
export class ThreadlineConnectionError extends ThreadlineClientError {
  override name = 'ThreadlineConnectionError';

  constructor(code: 'connection_failed' | 'timeout', message: string, cause?: unknown) {
    super(code, message, { retryable: true, cause });
  }
}

/** A webhook delivery whose signature, timestamp or body does not check out. */
export class WebhookVerificationError extends ThreadlineClientError {
  override name = 'WebhookVerificationError';

  constructor(message: string, cause?: unknown) {
    super('webhook_signature_invalid', message, { retryable: false, cause });
  }
}
