import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';

/**
 * The machine's ceiling: a bare Hono endpoint that reads the same ~1 KB JSON body and answers.
 * For the inbound→app baseline it also writes each body to the SSE consumers of `/events`
 * before answering — no signature, storage or log.
 */
const app = new Hono();
const consumers = new Set<(data: string) => void>();
app.post('/webhooks/bare', async (context) => {
  const body = await context.req.json<{ update_id: number }>();
  if (consumers.size > 0) {
    const data = JSON.stringify(body);
    for (const write of consumers) write(data);
  }
  return context.json({ ok: true, id: body.update_id });
});
app.get('/events', (context) =>
  streamSSE(context, async (stream) => {
    const pending: string[] = [];
    let wake: (() => void) | undefined;
    const write = (data: string) => {
      pending.push(data);
      wake?.();
    };
    consumers.add(write);
    stream.onAbort(() => {
      consumers.delete(write);
      wake?.();
    });
    while (!stream.aborted) {
      if (pending.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      for (const data of pending.splice(0)) await stream.writeSSE({ data });
    }
  }),
);
serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 8790), hostname: '127.0.0.1' }, () => {
  process.send?.('ready');
});
