import {
  ThreadlineApiError,
  ThreadlineClientError,
  ThreadlineConnectionError,
} from './threadline-client-error.js';

export interface RetrySettings {
  /** Further attempts after a retryable failure (connection lost, 429, 502–504). Default 2. */
  maxRetries?: number;
  /** The first wait, doubled on each retry unless the gateway says `Retry-After`. Default 250 ms. */
  initialDelayMs?: number;
  /** The longest wait between attempts. Default 5 s. */
  maxDelayMs?: number;
}

export interface TransportSettings {
  baseUrl: string;
  apiKey: string;
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
  headers: Record<string, string>;
  retry: Required<RetrySettings>;
}

export interface CallOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** Whether a retryable failure may be tried again (GETs, and sends with an idempotency key). */
  retry: boolean;
}

export type Transport = ReturnType<typeof createTransport>;

/** Seconds or an HTTP date, as `Retry-After` carries them. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Turns an answer that is not 2xx into a typed error carrying the gateway's `code`. */
export async function toApiError(
  response: Response,
  method: string,
  path: string,
): Promise<ThreadlineApiError> {
  const text = await response.text().catch(() => '');
  let code = `http_${response.status}`;
  let message = `${response.status} ${response.statusText}`.trim();
  let details: Record<string, unknown> | null = null;
  try {
    const parsed = JSON.parse(text) as {
      error?: { code?: unknown; message?: unknown; details?: unknown };
    };
    if (typeof parsed.error?.code === 'string') code = parsed.error.code;
    if (typeof parsed.error?.message === 'string') message = parsed.error.message;
    if (parsed.error?.details && typeof parsed.error.details === 'object')
      details = parsed.error.details as Record<string, unknown>;
  } catch {
    if (text) message = `${message}: ${text.slice(0, 200)}`;
  }
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  return new ThreadlineApiError({
    status: response.status,
    code,
    message,
    details,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    method,
    path,
  });
}

/** Authenticated calls to the gateway with timeouts, typed errors and bounded retries. */
export function createTransport(settings: TransportSettings) {
  const base = settings.baseUrl.replace(/\/+$/, '');

  function url(path: string, query: CallOptions['query'] = {}): string {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) search.set(name, String(value));
    }
    const suffix = search.size > 0 ? `?${search}` : '';
    return `${base}${path}${suffix}`;
  }

  /** One attempt: the response when it is 2xx, else a typed error. */
  async function attempt(method: string, path: string, options: CallOptions): Promise<Response> {
    const signals = [AbortSignal.timeout(settings.timeoutMs)];
    if (options.signal) signals.push(options.signal);
    let response: Response;
    try {
      response = await settings.fetch(url(path, options.query), {
        method,
        headers: {
          accept: 'application/json',
          ...settings.headers,
          authorization: `Bearer ${settings.apiKey}`,
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        signal: AbortSignal.any(signals),
      });
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      throw new ThreadlineConnectionError(
        timedOut ? 'timeout' : 'connection_failed',
        timedOut
          ? `${method} ${path}: no answer within ${settings.timeoutMs} ms`
          : `${method} ${path}: the gateway at ${base} could not be reached (${error instanceof Error ? error.message : String(error)})`,
        error,
      );
    }
    if (!response.ok) throw await toApiError(response, method, path);
    return response;
  }

  async function call(method: string, path: string, options: CallOptions): Promise<Response> {
    for (let retry = 0; ; retry += 1) {
      try {
        return await attempt(method, path, options);
      } catch (error) {
        const retryable =
          options.retry &&
          retry < settings.retry.maxRetries &&
          ThreadlineClientError.isInstance(error) &&
          error.retryable;
        if (!retryable) throw error;
        const asked = error instanceof ThreadlineApiError ? error.retryAfterMs : undefined;
        const backoff = Math.min(
          settings.retry.maxDelayMs,
          settings.retry.initialDelayMs * 2 ** retry,
        );
        await delay(asked ?? backoff, options.signal);
      }
    }
  }

  return {
    baseUrl: base,
    apiKey: settings.apiKey,
    fetch: settings.fetch,
    url,
    call,
    async json<T>(method: string, path: string, options: CallOptions): Promise<T> {
      const response = await call(method, path, options);
      return (await response.json()) as T;
    },
    async empty(method: string, path: string, options: CallOptions): Promise<void> {
      const response = await call(method, path, options);
      await response.arrayBuffer().catch(() => undefined);
    },
  };
}
