import { serve } from '@hono/node-server';
import { httpFetch } from '@threadline/connector-kit';
import { Hono } from 'hono';

/**
 * The outbound baseline: a bare Hono endpoint that takes the same `POST /v1/messages` body,
 * answers 202 at once and forwards the text to the provider through the connectors' HTTP client,
 * with no validation, storage or queue. What is left of a gateway's app→provider latency
 * above this relay's is what the gateway adds.
 */
const providerBase = process.env.PROVIDER_URL ?? 'http://127.0.0.1:9';
const app = new Hono();
app.post('/v1/messages', async (context) => {
  const body = await context.req.json<{
    to: { address: string };
    content: { text: string };
  }>();
  void httpFetch(`${providerBase}/2010-04-01/Accounts/AC0/Messages.json`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ To: body.to.address, Body: body.content.text }).toString(),
  })
    .then((response) => response.arrayBuffer())
    .catch(() => {});
  return context.json({ accepted: true }, 202);
});
serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 8791), hostname: '127.0.0.1' }, () => {
  process.send?.('ready');
});
