import { serve } from '@hono/node-server';
import { Hono } from 'hono';

/** The machine's ceiling: a bare Hono endpoint that reads the same ~1 KB JSON body and answers. */
const app = new Hono();
app.post('/webhooks/bare', async (context) => {
  const body = await context.req.json<{ update_id: number }>();
  return context.json({ ok: true, id: body.update_id });
});
serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 8790), hostname: '127.0.0.1' }, () => {
  process.send?.('ready');
});
