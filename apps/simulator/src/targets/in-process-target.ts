import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectorV1 } from '@threadline/connector-kit';
import { createApp, type ThreadlineApp } from '@threadline/gateway';
import type { GatewayTarget } from './gateway-target.js';

export interface InProcessOptions {
  /** The environment the gateway reads its connectors from (pointing at the fakes). */
  env: Record<string, string>;
  apiKey: string;
  publicUrl: string;
  logLevel?: 'silent' | 'error' | 'warn' | 'info';
  /** Also listen on 127.0.0.1 (the WebSocket stream needs a socket). */
  listen?: boolean;
  /**
   * Changes the connectors before the gateway starts. Tests use it to build a deliberately
   * broken gateway (a connector that loses its ids, say) and check the report fails.
   */
  tamper?: (connectors: Map<string, ConnectorV1>) => void;
}

function refused(): TypeError {
  return new TypeError('fetch failed', {
    cause: Object.assign(new Error('connect ECONNREFUSED: the gateway is restarting'), {
      code: 'ECONNREFUSED',
    }),
  });
}

/**
 * Keeps a streamed body tied to abort signals, as a network `fetch` does: aborting ends the
 * stream (so the gateway's SSE handler sees the consumer go away). The listeners sit on the
 * caller's own signals: a combined `AbortSignal.any` may be collected while still needed.
 */
function tieToSignals(response: Response, signals: AbortSignal[], done: () => void): Response {
  if (!response.body) {
    done();
    return response;
  }
  const reader = response.body.getReader();
  let finished = false;
  let outer: ReadableStreamDefaultController<Uint8Array> | undefined;
  const finish = () => {
    if (finished) return;
    finished = true;
    for (const signal of signals) signal.removeEventListener('abort', onAbort);
    done();
  };
  function onAbort() {
    void reader.cancel().catch(() => undefined);
    try {
      outer?.close();
    } catch {
      // already closed
    }
    finish();
  }
  for (const signal of signals) signal.addEventListener('abort', onAbort, { once: true });
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      outer = controller;
    },
    async pull(controller) {
      try {
        const { value, done: ended } = await reader.read();
        if (finished) return;
        if (ended) {
          controller.close();
          finish();
        } else controller.enqueue(value);
      } catch (error) {
        if (!finished) controller.error(error);
        finish();
      }
    },
    cancel(reason) {
      finish();
      return reader.cancel(reason);
    },
  });
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

/**
 * The gateway built in this process with `createApp`, over an embedded store in a temp
 * directory, configured from the same environment a spawned gateway gets. Requests go to
 * the app directly (no socket); a restart closes it and builds it again on the same data.
 */
export async function startInProcessGateway(options: InProcessOptions): Promise<GatewayTarget> {
  const directory = mkdtempSync(join(tmpdir(), 'threadline-simulator-'));
  let app: ThreadlineApp | undefined;
  let up = false;
  let listeningUrl: string | undefined;
  let port = 0;
  const streams = new Set<AbortController>();
  const sockets = new Set<Socket>();

  async function boot(): Promise<void> {
    const built = createApp({
      env: options.env,
      dataDirectory: directory,
      apiKeys: [options.apiKey],
      publicUrl: options.publicUrl,
      connectorsFromEnv: true,
      logLevel: options.logLevel ?? 'silent',
      allowPrivateWebhookUrls: true,
    });
    options.tamper?.(built.gateway.connectors);
    await built.gateway.start();
    if (options.listen) {
      const listening = await built.gateway.listen(port, '127.0.0.1');
      listening.server.on('connection', (socket: Socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      port = listening.port;
      listeningUrl = `http://127.0.0.1:${port}`;
    }
    app = built;
    up = true;
  }

  const fetchApp = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if (!up || !app) throw refused();
    const request = new Request(input, init);
    const streaming = request.headers.get('accept')?.includes('text/event-stream');
    if (!streaming) return app.fetch(request);
    const controller = new AbortController();
    streams.add(controller);
    const signals = init?.signal ? [init.signal, controller.signal] : [controller.signal];
    const response = await app.fetch(request);
    return tieToSignals(response, signals, () => streams.delete(controller));
  };

  await boot();

  return {
    kind: 'in-process',
    get baseUrl() {
      return listeningUrl ?? options.publicUrl;
    },
    apiKey: options.apiKey,
    fetch: fetchApp as typeof globalThis.fetch,
    link: {
      publicUrl: options.publicUrl,
      fetch: (url, init) => fetchApp(url, init),
      socketUrl() {
        if (!listeningUrl) throw new Error('the in-process gateway does not listen on a socket');
        return listeningUrl;
      },
      smtp() {
        if (!up || !app) return undefined;
        for (const connector of app.gateway.connectors.values()) {
          const inbound = connector as { inboundPort?: number; inboundHost?: string };
          if (connector.channel === 'email' && inbound.inboundPort)
            return { host: inbound.inboundHost ?? '127.0.0.1', port: inbound.inboundPort };
        }
        return undefined;
      },
    },
    async restart() {
      const stoppedAt = performance.now();
      up = false;
      for (const controller of streams) controller.abort(new Error('the gateway restarts'));
      // open streams (a WebSocket above all) would hold a graceful close: drop them
      for (const socket of sockets) socket.destroy();
      await app?.gateway.close();
      await boot();
      return { downForMs: performance.now() - stoppedAt };
    },
    async close() {
      up = false;
      for (const controller of streams) controller.abort(new Error('the gateway stops'));
      for (const socket of sockets) socket.destroy();
      await app?.gateway.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
