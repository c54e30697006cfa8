import { type ErrorCode, ThreadlineError } from '@threadline/connector-kit';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { channelEnvironment, describeChannelEnvironment } from './channel-environment.js';

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
  channel_not_configured: 422,
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
    const details: Record<string, unknown> = {
      ...error.details,
      ...('path' in error && error.path ? { path: error.path } : {}),
    };
    let message = error.message;
    if (error.code === 'channel_not_configured' && typeof details.channel === 'string') {
      // The engine names the channel; what switches it on is the gateway's to say.
      const hint = describeChannelEnvironment(details.channel);
      if (hint) message = `${message}: ${hint}`;
      details.environment = channelEnvironment[details.channel]?.variables ?? [];
    }
    // RFC 9110: a 401 names the scheme that would be accepted
    if (error.code === 'unauthorized') context.header('www-authenticate', 'Bearer');
    return context.json(
      errorBody(error.code, message, Object.keys(details).length ? details : null),
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
    if (error.status === 415) {
      return context.json(
        errorBody(
          'unsupported_media_type',
          `the body must be JSON: send content-type: application/json (got ${
            context.req.header('content-type') ?? 'none'
          })`,
          { path: '(body)' },
        ),
        415,
      );
    }
    const code =
      error.status === 413
        ? 'payload_too_large'
        : error.status === 401
          ? 'unauthorized'
          : 'validation_failed';
    if (code === 'unauthorized') context.header('www-authenticate', 'Bearer');
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

/**
 * The answer for a path no route serves with this method: `405` with `Allow` when another
 * method serves the path, else `404`. `routes` is the app's route table (`app.routes`).
 */
export function routeNotFound(
  context: Context,
  routes: ReadonlyArray<{ method: string; path: string }>,
): Response {
  const path = context.req.path;
  const allowed = new Set<string>();
  for (const route of routes) {
    if (route.method === 'ALL' || !routePattern(route.path).test(path)) continue;
    allowed.add(route.method);
    if (route.method === 'GET') allowed.add('HEAD');
  }
  if (allowed.size === 0 || allowed.has(context.req.method))
    return context.json(errorBody('not_found', `no route ${context.req.method} ${path}`), 404);
  const allow = [...allowed].sort().join(', ');
  context.header('allow', allow);
  return context.json(
    errorBody('method_not_allowed', `${path} does not accept ${context.req.method}; use ${allow}`, {
      allow: [...allowed].sort(),
    }),
    405,
  );
}

const patterns = new Map<string, RegExp>();
/** A Hono route path (`/v1/messages/:id`, `/docs/*`) as a regular expression. */
function routePattern(routePath: string): RegExp {
  let pattern = patterns.get(routePath);
  if (!pattern) {
    const source = routePath
      .split('/')
      .map((segment) =>
        segment === '*'
          ? '.*'
          : segment.startsWith(':')
            ? '[^/]+'
            : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('/');
    pattern = new RegExp(`^${source}/?$`);
    patterns.set(routePath, pattern);
  }
  return pattern;
}
