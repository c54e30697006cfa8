import http from 'node:http';
import https from 'node:https';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';

/**
 * A `fetch` for provider API calls, on `node:http` with keep-alive connection pools.
 *
 * Node's built-in `fetch` (undici) spends ~0.4 ms of CPU on every call in its WHATWG
 * machinery (Request, AbortSignal, web streams); a send through `node:http` costs a fifth of
 * that, which is most of a busy gateway's outbound CPU. The answer is a real `Response`
 * built from the buffered body, so connectors keep using the fetch API. Anything this fast
 * path does not carry — a `Request` object, a streamed, `FormData` or `Blob` body, a redirect
 * to follow — goes to `globalThis.fetch` unchanged. It calls `http.request` through the module
 * object, so msw's Node interceptor sees these calls as it sees `fetch`.
 *
 * Idle connections are closed after 4 s (under Node's and most servers' 5 s keep-alive, and
 * sooner when the server's `Keep-Alive: timeout` hint says so). A GET or HEAD on a reused
 * connection that the server had just closed (ECONNRESET before any answer) is sent once more
 * on a fresh one; a POST is not — the server may have acted on it — and fails as a retryable
 * outage for the engine to retry with backoff.
 */
export function createHttpFetch(
  options: { maxSockets?: number; fallback?: typeof globalThis.fetch } = {},
): typeof globalThis.fetch {
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.maxSockets ?? 128,
    timeout: 4_000,
    scheduling: 'lifo' as const,
  };
  const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
  const fallback = options.fallback ?? ((input, init) => globalThis.fetch(input, init));

  return async function httpFetch(input, init) {
    const body = fastBody(init?.body);
    if (typeof input !== 'string' && !(input instanceof URL)) return fallback(input, init);
    if (body === undefined) return fallback(input, init);
    const url = typeof input === 'string' ? new URL(input) : input;
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return fallback(input, init);
    const signal = init?.signal ?? undefined;
    signal?.throwIfAborted();
    const verb = (init?.method ?? 'GET').toUpperCase();

    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, name) => {
      headers[name] = value;
    });
    headers['accept-encoding'] ??= 'gzip, deflate, br';
    if (body.byteLength > 0 || !['GET', 'HEAD'].includes(verb)) {
      headers['content-length'] = String(body.byteLength);
      if (typeof init?.body === 'string') headers['content-type'] ??= 'text/plain;charset=UTF-8';
      if (init?.body instanceof URLSearchParams)
        headers['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8';
    }

    const answer = await send(url, verb, headers, body, signal, agents, true);
    const redirect = init?.redirect ?? 'follow';
    if (redirectStatuses.has(answer.status) && answer.headers.has('location')) {
      if (redirect === 'follow') return fallback(input, init);
      if (redirect === 'error')
        throw new TypeError(`fetch failed: redirected to ${answer.headers.get('location')}`);
    }
    return toResponse(answer, verb, url);
  };
}

const redirectStatuses = new Set([301, 302, 303, 307, 308]);
const nullBodyStatuses = new Set([101, 204, 205, 304]);

interface Answer {
  status: number;
  statusText: string;
  headers: Headers;
  body: Buffer;
}

/** The body as bytes when the fast path can send it, else `undefined`. */
function fastBody(body: RequestInit['body']): Buffer | undefined {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof URLSearchParams) return Buffer.from(body.toString(), 'utf8');
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return undefined;
}

function send(
  url: URL,
  verb: string,
  headers: Record<string, string>,
  body: Buffer,
  signal: AbortSignal | undefined,
  agents: { http: http.Agent; https: https.Agent },
  mayRetry: boolean,
): Promise<Answer> {
  const secure = url.protocol === 'https:';
  return new Promise<Answer>((resolve, reject) => {
    let answered = false;
    const request = (secure ? https : http).request(
      {
        protocol: url.protocol,
        hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
        port: url.port || (secure ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        method: verb,
        headers,
        agent: secure ? agents.https : agents.http,
      },
      (response) => {
        answered = true;
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', fail);
        response.on('aborted', () =>
          fail(new Error('the connection closed before the answer ended')),
        );
        response.on('end', () => {
          signal?.removeEventListener('abort', abort);
          const responseHeaders = new Headers();
          for (let index = 0; index < response.rawHeaders.length; index += 2)
            responseHeaders.append(response.rawHeaders[index]!, response.rawHeaders[index + 1]!);
          try {
            resolve({
              status: response.statusCode ?? 0,
              statusText: response.statusMessage ?? '',
              headers: responseHeaders,
              body: decode(Buffer.concat(chunks), responseHeaders.get('content-encoding')),
            });
          } catch (error) {
            reject(
              new TypeError('fetch failed: the answer could not be decoded', { cause: error }),
            );
          }
        });
      },
    );
    const reused = () => (request as http.ClientRequest & { reusedSocket?: boolean }).reusedSocket;
    function fail(error: Error) {
      signal?.removeEventListener('abort', abort);
      request.destroy();
      const code = (error as NodeJS.ErrnoException).code;
      const idempotent = verb === 'GET' || verb === 'HEAD';
      if (
        idempotent &&
        !answered &&
        mayRetry &&
        reused() &&
        code === 'ECONNRESET' &&
        !signal?.aborted
      ) {
        send(url, verb, headers, body, signal, agents, false).then(resolve, reject);
        return;
      }
      reject(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: error }));
    }
    function abort() {
      request.destroy(signal!.reason);
      reject(signal!.reason);
    }
    signal?.addEventListener('abort', abort, { once: true });
    request.on('error', fail);
    request.end(body.byteLength ? body : undefined);
  });
}

function decode(body: Buffer, encoding: string | null): Buffer {
  if (!encoding || body.byteLength === 0) return body;
  switch (encoding.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return gunzipSync(body);
    case 'deflate':
      return inflateSync(body);
    case 'br':
      return brotliDecompressSync(body);
    default:
      return body;
  }
}

/**
 * The real Response class, taken before a server adapter swaps the global for its own
 * (@hono/node-server's lightweight Response builds a second, native one for every `.text()`).
 */
const NativeResponse = globalThis.Response;

/**
 * A Response whose body is already in memory: `text()`, `json()` and `arrayBuffer()` read the
 * buffer directly; everything else (`body`, `clone()`, `blob()`, `formData()`) goes to a native
 * Response built on first use. It is an `instanceof Response`.
 */
class BufferedResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly ok: boolean;
  readonly redirected = false;
  readonly type = 'basic';
  readonly url: string;
  #buffer: Buffer | null;
  #native: Response | undefined;

  constructor(buffer: Buffer | null, answer: Answer, headers: Headers, url: string) {
    this.#buffer = buffer;
    this.status = answer.status;
    this.statusText = answer.statusText;
    this.headers = headers;
    this.ok = answer.status >= 200 && answer.status < 300;
    this.url = url;
  }

  #materialize(): Response {
    if (!this.#native) {
      // Node's buffers are views on a plain ArrayBuffer, never a SharedArrayBuffer
      const body = this.#buffer as Uint8Array<ArrayBuffer> | null;
      this.#native = new NativeResponse(body, {
        status: this.status,
        statusText: this.statusText,
        headers: this.headers,
      });
    }
    return this.#native;
  }

  #used = false;

  #take(): Buffer {
    if (this.#native) throw new TypeError('Body is unusable: read it through the native body');
    if (this.bodyUsed) throw new TypeError('Body is unusable: Body has already been read');
    const buffer = this.#buffer ?? Buffer.alloc(0);
    this.#buffer = null;
    this.#used = true;
    return buffer;
  }

  get bodyUsed(): boolean {
    return this.#native ? this.#native.bodyUsed : this.#used;
  }
  get body(): ReadableStream<Uint8Array> | null {
    return this.#materialize().body;
  }
  async text(): Promise<string> {
    if (this.#native) return this.#native.text();
    return this.#take().toString('utf8');
  }
  async json(): Promise<unknown> {
    if (this.#native) return this.#native.json();
    return JSON.parse(this.#take().toString('utf8'));
  }
  async arrayBuffer(): Promise<ArrayBuffer> {
    if (this.#native) return this.#native.arrayBuffer();
    const buffer = this.#take();
    return buffer.buffer.slice(
      buffer.byteOffset,
      buffer.byteOffset + buffer.byteLength,
    ) as ArrayBuffer;
  }
  async bytes(): Promise<Uint8Array> {
    return new Uint8Array(await this.arrayBuffer());
  }
  blob(): Promise<Blob> {
    return this.#materialize().blob();
  }
  formData(): Promise<FormData> {
    return this.#materialize().formData();
  }
  clone(): Response {
    return this.#materialize().clone();
  }
}
Object.setPrototypeOf(BufferedResponse.prototype, NativeResponse.prototype);

function toResponse(answer: Answer, verb: string, url: URL): Response {
  const headers = answer.headers;
  if (headers.has('content-encoding')) {
    // the body is decoded already, as fetch does
    headers.delete('content-encoding');
    headers.delete('content-length');
  }
  const empty = nullBodyStatuses.has(answer.status) || verb === 'HEAD';
  return new BufferedResponse(
    empty ? null : answer.body,
    answer,
    headers,
    url.href,
  ) as unknown as Response;
}

/** The shared provider `fetch`: one keep-alive pool per process for every connector. */
export const httpFetch: typeof globalThis.fetch = createHttpFetch();
