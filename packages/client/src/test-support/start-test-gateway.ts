import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockConnector, type MockPayload } from '@threadline/connector-kit';
import { createApp } from '@threadline/gateway';

export const apiKey = 'client-test-key-0123456789';

/**
 * A real gateway on 127.0.0.1 over a SQLite file in a temp dir, with mock connectors for
 * sms and whatsapp. `restart()` closes it and starts a new process-equivalent on the same
 * port and data, as a deploy would.
 */
export async function startTestGateway() {
  const directory = mkdtempSync(join(tmpdir(), 'threadline-client-'));
  const sms = new MockConnector({
    channel: 'sms',
    capabilities: { buttons: null, media: [], maxAttachments: 0, text: { maxLength: 1600 } },
  });
  const whatsapp = new MockConnector({ channel: 'whatsapp' });

  async function boot(port: number) {
    const app = createApp({
      dataDirectory: directory,
      apiKeys: [apiKey],
      connectorsFromEnv: false,
      connectors: [sms, whatsapp],
      logLevel: 'silent',
      allowPrivateWebhookUrls: true,
      webhookRetry: { baseMs: 50, maxMs: 500, giveUpAfterMs: 60_000 },
      env: {},
    });
    await app.gateway.start();
    const listening = await app.gateway.listen(port);
    const sockets = new Set<Socket>();
    listening.server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    return { app, port: listening.port, sockets };
  }

  let current = await boot(0);
  const baseUrl = `http://127.0.0.1:${current.port}`;

  return {
    baseUrl,
    sms,
    whatsapp,
    get app() {
      return current.app;
    },
    /** A customer message through the connector's signed ingress. */
    async deliver(connector: MockConnector, payload: MockPayload): Promise<Response> {
      const request = connector.request(payload);
      for (let attempt = 1; ; attempt++) {
        try {
          return await fetch(`${baseUrl}/webhooks/${connector.channel}/${connector.id}`, {
            method: 'POST',
            headers: request.headers,
            body: request.body,
          });
        } catch (error) {
          // a kept-alive connection of the previous process: a provider would redeliver
          if (attempt === 3) throw error;
        }
      }
    },
    /** Drops every connection, as a killed process would, then closes and starts again. */
    async restart(between?: () => Promise<void>): Promise<void> {
      for (const socket of current.sockets) socket.destroy();
      await current.app.gateway.close();
      await between?.();
      current = await boot(current.port);
    },
    async close(): Promise<void> {
      for (const socket of current.sockets) socket.destroy();
      await current.app.gateway.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

export type TestGateway = Awaited<ReturnType<typeof startTestGateway>>;
