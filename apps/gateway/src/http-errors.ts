import { type ErrorCode, ThreadlineError } from '@threadline/connector-kit';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

const statusByCode: Partial<Record<ErrorCode, ContentfulStatusCode>> = {
  validation_failed: 400,
  payload_invalid: 400,
  signature_invalid: 401,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  not_in_control: 409,
  payload_too_large: 413,
  unsupported_content: 422,
  route_refused: 422,
  recipient_opted_out: 422,
  recipient_blocked: 422,
  too_many_requests: 429,
  rate_limited: 429,
  provider_rejected: 502,
  provider_unavailable: 502,
  unavailable: 503,
  configuration_invalid: 500,
  internal: 500,
};

export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> | null };
}

export function errorBody(
  code: string,
  message: string,
  details: Record<string, unknown> | null = null,
): ErrorBody {
  return { error: { code, message, details } };
}

/** The one place errors become HTTP answers: JSON with a stable `code`. */
export function errorResponse(context: Context, error: unknown): Response {
  if (ThreadlineError.isInstance(error)) {
    const status = statusByCode[error.code] ?? 500;
    const details = {
      ...error.details,
      ...('path' in error && error.path ? { path: error.path } : {}),
    };
    return context.json(
      errorBody(error.code, error.message, Object.keys(details).length ? details : null),
      status,
    );
  }
  if (error instanceof SyntaxError) {
    return context.json(
      errorBody('validation_failed', 'the body is not valid JSON', { path: '(body)' }),
      400,
    );
  }
  if (error instanceof HTTPException && error.status < 500) {
    // Hono's own validators (e.g. a body that is not JSON) answer 400 through here.
    const code =
      error.status === 413
        ? 'payload_too_large'
        : error.status === 401
          ? 'unauthorized'
          : 'validation_failed';
    return context.json(
      errorBody(code, error.message || 'invalid request', { path: '(body)' }),
      error.status as 400,
    );
  }
  return context.json(errorBody('internal', 'an unexpected error occurred; it was logged'), 500);
}

export function httpError(
  code: ErrorCode,
  message: string,
  details?: Record<string, unknown>,
): ThreadlineError {
  return new ThreadlineError(code, message, details ? { details } : {});
}
