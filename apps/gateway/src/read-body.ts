import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { errorBody } from './http-errors.js';

/** The Node request behind a Hono context under @hono/node-server (none under `app.request()`). */
export function nodeIncoming(context: Context): IncomingMessage | undefined {
  return (context.env as { incoming?: IncomingMessage } | undefined)?.incoming;
}

async function readLimited(incoming: IncomingMessage, limit: number): Promise<string | null> {
  if (Number(incoming.headers['content-length'] ?? 0) > limit) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Reads every request body once, at most `limit` bytes (413 past it). Under the Node server
 * the body comes straight from the socket into Hono's body cache, so `c.req.text()` and
 * `c.req.json()` never make the adapter build a Fetch Request and an AbortSignal per request
 * (which showed in the ingest profile). Elsewhere (`app.request()` in tests) Hono's own
 * body limit applies.
 */
export function readBody(limit: number): MiddlewareHandler {
  const tooLarge = `the body is larger than ${limit} bytes`;
  const fallback = bodyLimit({
    maxSize: limit,
    onError: (context) => context.json(errorBody('payload_too_large', tooLarge), 413),
  });
  return async (context, next) => {
    if (context.req.method === 'GET' || context.req.method === 'HEAD') return next();
    const incoming = nodeIncoming(context);
    if (!incoming || incoming.readableEnded || incoming.readableFlowing !== null)
      return fallback(context, next);
    const text = await readLimited(incoming, limit);
    if (text === null) return context.json(errorBody('payload_too_large', tooLarge), 413);
    (context.req.bodyCache as Record<string, unknown>).text = Promise.resolve(text);
    await next();
  };
}
