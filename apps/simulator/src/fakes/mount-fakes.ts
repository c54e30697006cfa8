import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Http2Bindings, type HttpBindings, serve } from '@hono/node-server';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { DropConnection } from './provider-fake.js';

/** An HTTP fake by name: `(request) => response`. */
export interface HttpFake {
  name: string;
  handle(request: Request): Promise<Response>;
}

export interface MountedFakes {
  /** Where each fake answers, by name. */
  origins: Map<string, string>;
  close(): Promise<void>;
}

/** The made-up origins fakes answer on in-process (msw intercepts them). */
export function inProcessOrigin(name: string): string {
  return `https://${name}.simulator.example`;
}

/**
 * In-process: msw intercepts every request the process makes to a fake's origin (the
 * gateway's `fetch` and telegraf's node-fetch alike) and answers it with the fake's handler.
 * Other requests pass through.
 */
export function mountInProcess(fakes: HttpFake[]): MountedFakes {
  const origins = new Map(fakes.map((fake) => [fake.name, inProcessOrigin(fake.name)]));
  const server = setupServer(
    ...fakes.map((fake) =>
      http.all(`${origins.get(fake.name)}/*`, async ({ request }) => {
        let response: Response;
        try {
          response = await fake.handle(request);
        } catch (error) {
          if (error instanceof DropConnection) return HttpResponse.error();
          throw error;
        }
        // a buffered body with its length: clients on node:http (telegraf's node-fetch) wait
        // for the end of a body msw streams without one
        const body = new Uint8Array(await response.arrayBuffer());
        const headers = new Headers(response.headers);
        headers.set('content-length', String(body.byteLength));
        return new HttpResponse(body, {
          status: response.status,
          statusText: response.statusText,
          headers,
        });
      }),
    ),
  );
  server.listen({ onUnhandledRequest: 'bypass' });
  return {
    origins,
    async close() {
      server.close();
    },
  };
}

/** Each fake as a real HTTP server on 127.0.0.1, for a gateway running as its own process. */
export async function serveLocally(
  fakes: HttpFake[],
  ports: Record<string, number> = {},
  hostname = '127.0.0.1',
): Promise<MountedFakes> {
  const servers: Server[] = [];
  const origins = new Map<string, string>();
  for (const fake of fakes) {
    const server = await new Promise<Server>((resolve) => {
      const created = serve(
        {
          fetch: async (request: Request, env: HttpBindings | Http2Bindings) => {
            try {
              return await fake.handle(request);
            } catch (error) {
              if (!(error instanceof DropConnection)) throw error;
              env.incoming.socket.destroy();
              return new Response(null, { status: 599 });
            }
          },
          port: ports[fake.name] ?? 0,
          hostname,
        },
        () => resolve(created as Server),
      ) as Server;
    });
    server.keepAliveTimeout = 30_000;
    servers.push(server);
    origins.set(fake.name, `http://${hostname}:${(server.address() as AddressInfo).port}`);
  }
  return {
    origins,
    async close() {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
    },
  };
}
