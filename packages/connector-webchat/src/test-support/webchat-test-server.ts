import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createNodeWebSocket } from '@hono/node-ws';
import { Hono } from 'hono';
import type { WebchatConnector } from '../webchat-connector.js';

/**
 * A real HTTP + WebSocket server with the connector mounted, the way the gateway mounts it:
 * a Hono app, `@hono/node-server` and `@hono/node-ws`, on a free local port.
 */
export async function startWebchatTestServer(connector: WebchatConnector) {
  const app = new Hono();
  const { upgradeWebSocket, injectWebSocket, wss } = createNodeWebSocket({ app });
  connector.mount(app, { upgradeWebSocket });
  const server = await new Promise<Server>((resolve) => {
    const created = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
      resolve(created as Server),
    ) as Server;
  });
  injectWebSocket(server);
  const { port } = server.address() as AddressInfo;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    socketUrl: `ws://127.0.0.1:${port}/webchat/ws`,
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type WebchatTestServer = Awaited<ReturnType<typeof startWebchatTestServer>>;
