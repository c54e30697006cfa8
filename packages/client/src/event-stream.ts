import type { EventType, ThreadlineEvent } from '@threadline/schema';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { type Transport, toApiError } from './http-transport.js';
import {
  ThreadlineApiError,
  ThreadlineClientError,
  ThreadlineConnectionError,
} from './threadline-client-error.js';

/** The part of a WebSocket the stream uses: the browser's `WebSocket` and `ws` both fit. */
export interface WebSocketLike {
  addEventListener(type: 'open', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(
    type: 'close',
    listener: (event: { code: number; reason: string }) => void,
  ): void;
  addEventListener(type: 'error', listener: (event: { message?: string }) => void): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface ReconnectSettings {
  /** The first wait after a lost connection, doubled on each failure. Default 250 ms. */
  initialDelayMs?: number;
  /** The longest wait. Default 5 s. */
  maxDelayMs?: number;
  /** Give up after this many failed connections in a row. Default: never. */
  maxAttempts?: number;
}

export interface EventStreamOptions {
  /**
   * Resume after this cursor. Without it the stream starts at the newest event; the cursor
   * the gateway reports then is kept, so a reconnection still misses nothing.
   */
  after?: number;
  /** Only these event types (all when omitted). */
  types?: EventType[];
  /** Switchboard: only what this integration receives (`receives` of the integration). */
  integrationId?: string;
  /** `sse` (default) or `websocket` (needs a WebSocket: the global one, or `webSocket` in the client settings). */
  transport?: 'sse' | 'websocket';
  /**
   * Called once per event, in cursor order; the next event waits for the promise. The cursor
   * moves past an event only once this resolves, so an event being handled when the
   * connection drops is delivered again. A throw ends the stream: `done` rejects with it.
   */
  onEvent: (event: ThreadlineEvent) => void | Promise<void>;
  /** Connected (again); `cursor` is where the gateway resumes from. */
  onReady?: (info: { cursor: number; reconnected: boolean }) => void;
  /** The connection failed or dropped; the stream reconnects after `retryInMs`. */
  onDisconnect?: (info: { error: unknown; attempt: number; retryInMs: number }) => void;
  reconnect?: ReconnectSettings;
  /**
   * A connection that brings nothing, not even the keep-alive the gateway sends every 15 s,
   * for this long is dropped and made again. Default 45 s. SSE only.
   */
  idleTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface EventStream {
  /** The cursor of the last event handled (or where the gateway started the stream). */
  readonly cursor: number | undefined;
  readonly connected: boolean;
  /**
   * Resolves when the stream is closed (`close()` or the signal); rejects when `onEvent`
   * throws, the gateway refuses the stream (a bad key: a `ThreadlineApiError`), or
   * `maxAttempts` connections failed in a row.
   */
  readonly done: Promise<void>;
  close(): void;
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Errors after which connecting again cannot help: the key or the request is wrong. */
function isFatal(error: unknown): boolean {
  if (error instanceof ThreadlineApiError)
    return (
      error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429
    );
  return !ThreadlineClientError.isInstance(error);
}

class HandlerError extends Error {
  constructor(readonly original: unknown) {
    super('onEvent failed');
  }
}

/**
 * Follows the gateway's event log and reconnects by itself: each connection resumes after
 * the last event handled, so events are seen once each, in cursor order, across dropped
 * connections and gateway restarts.
 */
export function streamEvents(
  transport: Transport,
  options: EventStreamOptions,
  webSocket: WebSocketConstructor | undefined,
): EventStream {
  const stop = new AbortController();
  const initial = options.reconnect?.initialDelayMs ?? 250;
  const maxDelay = options.reconnect?.maxDelayMs ?? 5_000;
  const maxAttempts = options.reconnect?.maxAttempts ?? Number.POSITIVE_INFINITY;
  const idleTimeoutMs = options.idleTimeoutMs ?? 45_000;
  let cursor = options.after;
  let connected = false;
  let everConnected = false;
  let readyThisConnection = false;
  const onAbort = () => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) stop.abort();

  function ready(at: number) {
    cursor ??= at;
    connected = true;
    readyThisConnection = true;
    options.onReady?.({ cursor: cursor, reconnected: everConnected });
    everConnected = true;
  }

  async function handle(event: ThreadlineEvent) {
    if (cursor !== undefined && event.cursor <= cursor) return;
    try {
      await options.onEvent(event);
    } catch (error) {
      throw new HandlerError(error);
    }
    cursor = event.cursor;
  }

  async function connectSse(): Promise<void> {
    const connection = new AbortController();
    const abortConnection = () => connection.abort();
    stop.signal.addEventListener('abort', abortConnection, { once: true });
    let idle: NodeJS.Timeout | undefined;
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => connection.abort(new Error('idle')), idleTimeoutMs);
    };
    try {
      touch();
      const query = {
        ...(cursor === undefined ? {} : { after: cursor }),
        ...(options.types?.length ? { types: options.types.join(',') } : {}),
        ...(options.integrationId ? { integrationId: options.integrationId } : {}),
      };
      let response: Response;
      try {
        response = await transport.fetch(transport.url('/v1/events', query), {
          headers: {
            accept: 'text/event-stream',
            authorization: `Bearer ${transport.apiKey}`,
            ...(cursor === undefined ? {} : { 'last-event-id': String(cursor) }),
          },
          signal: connection.signal,
        });
      } catch (error) {
        throw new ThreadlineConnectionError(
          'connection_failed',
          `the event stream at ${transport.baseUrl} could not be opened`,
          error,
        );
      }
      if (!response.ok) throw await toApiError(response, 'GET', '/v1/events');
      if (!response.body) throw new ThreadlineConnectionError('connection_failed', 'no body');
      const pending: EventSourceMessage[] = [];
      const parser = createParser({ onEvent: (message) => pending.push(message) });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          touch();
          parser.feed(value);
          while (pending.length > 0) {
            const message = pending.shift()!;
            if (message.event === 'ready') {
              ready((JSON.parse(message.data) as { cursor: number }).cursor);
              continue;
            }
            if (!message.id) continue;
            await handle(JSON.parse(message.data) as ThreadlineEvent);
          }
        }
      } finally {
        await reader.cancel().catch(() => undefined);
      }
      throw new ThreadlineConnectionError('connection_failed', 'the event stream ended');
    } catch (error) {
      if (error instanceof HandlerError || ThreadlineClientError.isInstance(error)) throw error;
      throw new ThreadlineConnectionError(
        'connection_failed',
        `the event stream broke: ${error instanceof Error ? error.message : String(error)}`,
        error,
      );
    } finally {
      clearTimeout(idle);
      stop.signal.removeEventListener('abort', abortConnection);
    }
  }

  function connectWebSocket(): Promise<void> {
    const Implementation =
      webSocket ??
      (globalThis as unknown as { WebSocket?: WebSocketConstructor }).WebSocket ??
      undefined;
    if (!Implementation) {
      return Promise.reject(
        new ThreadlineClientError(
          'configuration_invalid',
          'no WebSocket here: pass `webSocket` (e.g. the `ws` package) to createThreadlineClient',
        ),
      );
    }
    const query = {
      api_key: transport.apiKey,
      ...(cursor === undefined ? {} : { after: cursor }),
      ...(options.types?.length ? { types: options.types.join(',') } : {}),
      ...(options.integrationId ? { integrationId: options.integrationId } : {}),
    };
    const url = transport.url('/v1/events/ws', query).replace(/^http/, 'ws');
    return new Promise<void>((_resolve, reject) => {
      const socket = new Implementation(url);
      let chain = Promise.resolve();
      let failure: unknown;
      let settled = false;
      const closeSocket = () => socket.close(1000, 'closed by the client');
      stop.signal.addEventListener('abort', closeSocket, { once: true });
      socket.addEventListener('message', (event) => {
        chain = chain.then(async () => {
          if (failure !== undefined) return;
          const text =
            typeof event.data === 'string'
              ? event.data
              : new TextDecoder().decode(event.data as ArrayBuffer | Uint8Array);
          const parsed = JSON.parse(text) as ThreadlineEvent | { type: 'ready'; cursor: number };
          if (parsed.type === 'ready') ready(parsed.cursor);
          else await handle(parsed as ThreadlineEvent);
        });
        chain = chain.catch((error: unknown) => {
          failure = error;
          socket.close(1011, 'the handler failed');
        });
      });
      socket.addEventListener('error', (event) => {
        const status = /Unexpected server response: (\d{3})/.exec(event.message ?? '')?.[1];
        failure ??= status
          ? new ThreadlineApiError({
              status: Number(status),
              code: Number(status) === 401 ? 'unauthorized' : `http_${status}`,
              message: `the WebSocket upgrade was refused (${status})`,
              method: 'GET',
              path: '/v1/events/ws',
            })
          : new ThreadlineConnectionError(
              'connection_failed',
              `the WebSocket failed: ${event.message ?? 'error'}`,
            );
      });
      socket.addEventListener('close', (event) => {
        stop.signal.removeEventListener('abort', closeSocket);
        void chain.then(() => {
          if (settled) return;
          settled = true;
          reject(
            failure ??
              new ThreadlineConnectionError(
                'connection_failed',
                `the WebSocket closed (${event.code}${event.reason ? ` ${event.reason}` : ''})`,
              ),
          );
        });
      });
    });
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!stop.signal.aborted) {
      readyThisConnection = false;
      try {
        await (options.transport === 'websocket' ? connectWebSocket() : connectSse());
      } catch (error) {
        connected = false;
        if (stop.signal.aborted) break;
        if (error instanceof HandlerError) throw error.original;
        if (isFatal(error)) throw error;
        // a connection that reached `ready` starts the count again
        failures = readyThisConnection ? 1 : failures + 1;
        if (failures > maxAttempts) throw error;
        const retryInMs = Math.min(maxDelay, initial * 2 ** (failures - 1));
        options.onDisconnect?.({ error, attempt: failures, retryInMs });
        await wait(retryInMs, stop.signal);
      }
    }
  }

  const done = run().finally(() => {
    connected = false;
    options.signal?.removeEventListener('abort', onAbort);
    stop.abort();
  });
  // the caller may never look at `done`; an unobserved rejection must not crash the process
  done.catch(() => undefined);

  return {
    get cursor() {
      return cursor;
    },
    get connected() {
      return connected;
    },
    done,
    close() {
      stop.abort();
    },
  };
}
