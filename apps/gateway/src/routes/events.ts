import type { Socket } from 'node:net';
import { createRoute } from '@hono/zod-openapi';
import type { ThreadlineEvent } from '@threadline/schema';
import { streamSSE } from 'hono/streaming';
import type { UpgradeWebSocket } from 'hono/ws';
import { z } from 'zod';
import { eventPageSchema, eventsQuerySchema } from '../api-schemas.js';
import { httpError } from '../http-errors.js';
import { selectFor } from '../should-deliver.js';
import { type App, bearer, errorResponses, json, type RouteRuntime } from './route-helpers.js';

const heartbeatMs = 15_000;
const batch = 500;

/** A WebSocket consumer this far behind (bytes queued to it) waits before more is read for it. */
const socketBufferLimit = 1024 * 1024;

/**
 * Reads of the event log shared by the streams a commit wakes together: a hundred consumers
 * at the same cursor cost one query, one parse and one serialization of each event, not a
 * hundred. A read is shared only until the hub announces the next commit, so every read
 * started after a commit was announced includes it — nobody is handed a page that misses it.
 */
export type EventReader = ReturnType<typeof createEventReader>;

export function createEventReader(runtime: Pick<RouteRuntime, 'store' | 'hub'>) {
  let shared = new Map<string, Promise<ThreadlineEvent[]>>();
  const serialized = new WeakMap<ThreadlineEvent, string>();
  const frames = new WeakMap<ThreadlineEvent, string>();
  runtime.hub.subscribe(() => {
    shared = new Map();
  });
  return {
    list(after: number, limit: number): Promise<ThreadlineEvent[]> {
      const key = `${after}:${limit}`;
      let read = shared.get(key);
      if (!read) {
        const generation = shared;
        read = runtime.store.read.listEvents(after, limit);
        generation.set(key, read);
        read.catch(() => generation.delete(key));
      }
      return read;
    },
    /** The event as one Server-Sent Events frame, built once for every stream that sends it. */
    sse(event: ThreadlineEvent): string {
      let frame = frames.get(event);
      if (frame === undefined) {
        frame = `id: ${event.cursor}\nevent: ${event.type}\ndata: ${this.json(event)}\n\n`;
        frames.set(event, frame);
      }
      return frame;
    },
    /** The event as JSON, serialized once for every stream that sends it. */
    json(event: ThreadlineEvent): string {
      let text = serialized.get(event);
      if (text === undefined) {
        text = JSON.stringify(event);
        serialized.set(event, text);
      }
      return text;
    },
  };
}

/**
 * Follows the event log from a cursor: yields batches of events as they commit, waiting on
 * the hub between them. A consumer that resumes with its last cursor misses nothing and
 * sees nothing twice, because everything is read from the log in cursor order.
 */
export function followEvents(
  runtime: RouteRuntime,
  after: number,
  filter: (event: ThreadlineEvent) => boolean,
  reader: EventReader,
) {
  let cursor = after;
  let dirty = true;
  let wake: (() => void) | null = null;
  let closed = false;
  const unsubscribe = runtime.hub.subscribe(() => {
    dirty = true;
    wake?.();
  });
  const onShutdown = () => {
    closed = true;
    wake?.();
  };
  runtime.shutdown.addEventListener('abort', onShutdown, { once: true });
  return {
    get cursor() {
      return cursor;
    },
    /** The next events after the cursor; [] after a quiet heartbeat interval or on close. */
    async next(): Promise<ThreadlineEvent[]> {
      while (!closed) {
        if (dirty) {
          dirty = false;
          const events = await reader.list(cursor, batch);
          if (events.length === batch) dirty = true;
          if (events.length > 0) {
            cursor = events.at(-1)!.cursor;
            const selected = events.filter(filter);
            if (selected.length > 0) return selected;
            continue;
          }
        }
        const timedOut = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(true), heartbeatMs);
          wake = () => {
            clearTimeout(timer);
            resolve(false);
          };
          if (dirty || closed) wake();
        });
        wake = null;
        if (timedOut) return [];
      }
      return [];
    },
    close() {
      closed = true;
      unsubscribe();
      runtime.shutdown.removeEventListener('abort', onShutdown);
      wake?.();
    },
    get closed() {
      return closed;
    },
  };
}

function typeFilter(types: string | undefined) {
  const wanted = new Set(
    (types ?? '')
      .split(',')
      .map((type) => type.trim())
      .filter(Boolean),
  );
  return (event: ThreadlineEvent) => wanted.size === 0 || wanted.has(event.type);
}

/** `GET /v1/events` (SSE or JSON polling) and the WebSocket stream with the same cursors. */
export function registerEventRoutes(
  app: App,
  runtime: RouteRuntime,
  upgradeWebSocket: UpgradeWebSocket,
): void {
  const read = runtime.auth.require('read');
  const reader = createEventReader(runtime);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/events',
      operationId: 'events.list',
      tags: ['Events'],
      summary: 'The event stream: Server-Sent Events, or a JSON page with format=json',
      description:
        'SSE: each event carries `id: <cursor>`; reconnect with `Last-Event-ID` (or `?after=<cursor>`) to resume with nothing missed and nothing twice. Without a cursor the stream starts at the newest event. `format=json` returns the events after `after` (default 0) for polling.',
      security: bearer,
      middleware: [read] as const,
      request: {
        query: eventsQuerySchema,
        headers: z.object({ 'last-event-id': z.string().regex(/^\d+$/).optional() }),
      },
      responses: {
        200: {
          description: 'An event stream (text/event-stream) or a page of events',
          content: {
            'text/event-stream': { schema: z.string() },
            ...json(eventPageSchema, 'A page of events').content,
          },
        },
        ...errorResponses,
      },
    }),
    async (context) => {
      const query = context.req.valid('query');
      const lastEventId = context.req.header('last-event-id');
      const filter = typeFilter(query.types);
      if (query.format === 'json') {
        const after = query.after ?? (lastEventId ? Number(lastEventId) : 0);
        const events = await runtime.store.read.listEvents(after, query.limit);
        const nextCursor = events.at(-1)?.cursor ?? after;
        const data = await selectFor(runtime.store, query.integrationId, events.filter(filter));
        return context.json({ data, nextCursor }, 200);
      }
      const after = lastEventId
        ? Number(lastEventId)
        : (query.after ?? (await runtime.store.read.latestCursor()));
      return streamSSE(context, async (stream) => {
        const follower = followEvents(runtime, after, filter, reader);
        runtime.metrics.openStreams.inc();
        stream.onAbort(() => follower.close());
        try {
          await stream.writeSSE({
            event: 'ready',
            data: JSON.stringify({ cursor: after }),
            retry: 1000,
          });
          while (!follower.closed) {
            const batch = await follower.next();
            const events = await selectFor(runtime.store, query.integrationId, batch);
            if (batch.length === 0) {
              if (!follower.closed) await stream.write(': keep-alive\n\n');
              continue;
            }
            if (events.length === 0) continue;
            // one write for the batch (JSON never holds a raw line break, so data is one line)
            await stream.write(events.map((event) => reader.sse(event)).join(''));
          }
        } finally {
          follower.close();
          runtime.metrics.openStreams.dec();
        }
      }) as never;
    },
  );

  app.get(
    '/v1/events/ws',
    read,
    upgradeWebSocket((context) => {
      const afterParameter = context.req.query('after');
      if (afterParameter !== undefined && !/^\d+$/.test(afterParameter))
        throw httpError('validation_failed', 'after must be a cursor');
      const filter = typeFilter(context.req.query('types'));
      const integrationId = context.req.query('integrationId');
      let follower: ReturnType<typeof followEvents> | undefined;
      return {
        async onOpen(_event, socket) {
          const after =
            afterParameter !== undefined
              ? Number(afterParameter)
              : await runtime.store.read.latestCursor();
          follower = followEvents(runtime, after, filter, reader);
          runtime.metrics.openStreams.inc();
          socket.send(JSON.stringify({ type: 'ready', cursor: after }));
          const raw = socket.raw as { bufferedAmount?: number; _socket?: Socket } | undefined;
          // the TCP socket under the ws connection: corked while a batch is written, its frames
          // leave in one write (ws keeps no public handle on it)
          const tcp = raw?._socket;
          while (!follower.closed) {
            const events = await selectFor(runtime.store, integrationId, await follower.next());
            tcp?.cork();
            try {
              for (const event of events) {
                if (follower.closed) break;
                socket.send(reader.json(event));
              }
            } finally {
              tcp?.uncork();
            }
            // a consumer that reads slowly waits here; its events stay in the log meanwhile
            while (!follower.closed && (raw?.bufferedAmount ?? 0) > socketBufferLimit)
              await new Promise((resolve) => setTimeout(resolve, 20));
          }
        },
        onClose() {
          if (follower && !follower.closed) {
            follower.close();
            runtime.metrics.openStreams.dec();
          }
        },
        onError() {
          follower?.close();
        },
      };
    }),
  );
}
