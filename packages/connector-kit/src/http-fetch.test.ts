import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpFetch } from './http-fetch.js';

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

let handler: Handler = (_request, _body, response) => response.end('ok');
let server: Server;
let base: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => handler(request, Buffer.concat(chunks).toString('utf8'), response));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('createHttpFetch', () => {
  const fetchOverHttp = createHttpFetch();

  it('sends the method, headers and a form body, and answers a real Response', async () => {
    let seen: { method?: string; body?: string; headers?: IncomingMessage['headers'] } = {};
    handler = (request, body, response) => {
      seen = { method: request.method, body, headers: request.headers };
      response.writeHead(201, { 'content-type': 'application/json', 'x-request-id': 'r1' });
      response.end(JSON.stringify({ sid: 'SM1', status: 'queued' }));
    };
    const response = await fetchOverHttp(`${base}/2010-04-01/Messages.json?x=1`, {
      method: 'POST',
      headers: { authorization: 'Basic abc', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ To: '+14155550100', Body: 'Hé ✓' }).toString(),
    });

    expect(response).toBeInstanceOf(Response);
    expect(response.status).toBe(201);
    expect(response.ok).toBe(true);
    expect(response.headers.get('x-request-id')).toBe('r1');
    expect(await response.json()).toEqual({ sid: 'SM1', status: 'queued' });
    expect(seen.method).toBe('POST');
    expect(seen.headers?.authorization).toBe('Basic abc');
    expect(seen.headers?.['content-length']).toBe(String(Buffer.byteLength(seen.body ?? '')));
    expect(new URLSearchParams(seen.body).get('Body')).toBe('Hé ✓');
  });

  it('reads a body once, as text, JSON, bytes or a stream, like any Response', async () => {
    handler = (_request, _body, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"ok":true}');
    };
    const once = await fetchOverHttp(base);
    expect(once).toBeInstanceOf(Response);
    expect(once.bodyUsed).toBe(false);
    expect(await once.json()).toEqual({ ok: true });
    expect(once.bodyUsed).toBe(true);
    await expect(once.text()).rejects.toThrow(TypeError);

    const streamed = await fetchOverHttp(base);
    const reader = streamed.body!.getReader();
    const chunks: Uint8Array[] = [];
    for (let read = await reader.read(); !read.done; read = await reader.read())
      chunks.push(read.value);
    expect(Buffer.concat(chunks).toString('utf8')).toBe('{"ok":true}');

    const original = await fetchOverHttp(base);
    const copy = original.clone();
    expect(await copy.text()).toBe('{"ok":true}');
    expect(new Uint8Array(await original.arrayBuffer())).toEqual(
      new Uint8Array(Buffer.from('{"ok":true}')),
    );
  });

  it('gives URLSearchParams bodies the form content type, as fetch does', async () => {
    let contentType: string | undefined;
    handler = (request, _body, response) => {
      contentType = request.headers['content-type'];
      response.end();
    };
    await fetchOverHttp(base, { method: 'POST', body: new URLSearchParams({ a: '1' }) });
    expect(contentType).toBe('application/x-www-form-urlencoded;charset=UTF-8');
  });

  it('keeps error statuses as answers and decodes compressed bodies', async () => {
    handler = (_request, _body, response) => {
      response.writeHead(429, { 'retry-after': '3', 'content-encoding': 'gzip' });
      response.end(gzipSync('{"code":20429}'));
    };
    const response = await fetchOverHttp(`${base}/limited`);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('3');
    expect(await response.json()).toEqual({ code: 20429 });
  });

  it('answers 204 with an empty body', async () => {
    handler = (_request, _body, response) => {
      response.writeHead(204);
      response.end();
    };
    const response = await fetchOverHttp(base, { method: 'DELETE' });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
  });

  it('hands manual redirects back and follows others as fetch does', async () => {
    handler = (request, _body, response) => {
      if (request.url === '/moved') {
        response.writeHead(302, { location: '/here' });
        response.end();
      } else response.end(`at ${request.url}`);
    };
    const manual = await fetchOverHttp(`${base}/moved`, { redirect: 'manual' });
    expect(manual.status).toBe(302);
    expect(manual.headers.get('location')).toBe('/here');
    const followed = await fetchOverHttp(`${base}/moved`);
    expect(followed.status).toBe(200);
    expect(await followed.text()).toBe('at /here');
    await expect(fetchOverHttp(`${base}/moved`, { redirect: 'error' })).rejects.toThrow(TypeError);
  });

  it('rejects with the signal’s reason when it times out', async () => {
    handler = () => {
      // never answers
    };
    const started = Date.now();
    const error = await fetchOverHttp(base, { signal: AbortSignal.timeout(100) }).catch(
      (failure: unknown) => failure,
    );
    expect((error as DOMException).name).toBe('TimeoutError');
    expect(Date.now() - started).toBeLessThan(5_000);
    for (const socket of sockets) socket.destroy();
  });

  it('rejects at once with an already aborted signal', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(fetchOverHttp(base, { signal: controller.signal })).rejects.toThrow('stop');
  });

  it('rejects with a TypeError when nothing listens, as fetch does', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(fetchOverHttp(`http://127.0.0.1:${port}/`)).rejects.toThrow(TypeError);
  });

  it('reuses one connection for calls in sequence', async () => {
    const ports = new Set<number>();
    handler = (request, _body, response) => {
      ports.add(request.socket.remotePort ?? 0);
      response.end('ok');
    };
    for (let index = 0; index < 5; index += 1) await (await fetchOverHttp(base)).text();
    expect(ports.size).toBe(1);
  });

  it('sends a GET again on a fresh connection when the server closed the kept-alive one', async () => {
    let calls = 0;
    handler = (_request, _body, response) => {
      calls += 1;
      response.end('ok');
    };
    await (await fetchOverHttp(base)).text();
    // the server drops the idle keep-alive connection without telling the client first
    for (const socket of sockets) socket.resetAndDestroy();
    const response = await fetchOverHttp(base);
    expect(await response.text()).toBe('ok');
    expect(calls).toBe(2);
  });

  it('never sends a POST twice: a dropped connection is a failure the caller retries', async () => {
    let calls = 0;
    handler = (request, _body, response) => {
      calls += 1;
      // the provider took the request, then the connection died before the answer
      if (calls === 2) request.socket.resetAndDestroy();
      else response.end('ok');
    };
    await (await fetchOverHttp(base, { method: 'POST', body: 'first' })).text();
    await expect(fetchOverHttp(base, { method: 'POST', body: 'second' })).rejects.toThrow(
      TypeError,
    );
    expect(calls).toBe(2);
  });

  it('sends what it cannot carry itself through the fallback fetch', async () => {
    const seen: string[] = [];
    const withFallback = createHttpFetch({
      fallback: async (input) => {
        seen.push(String(input instanceof Request ? input.url : input));
        return new Response('from fallback');
      },
    });
    const form = new FormData();
    form.set('file', new Blob(['x']), 'x.txt');
    expect(
      await (await withFallback(`${base}/upload`, { method: 'POST', body: form })).text(),
    ).toBe('from fallback');
    expect(await (await withFallback(new Request(`${base}/request`))).text()).toBe('from fallback');
    expect(seen).toEqual([`${base}/upload`, `${base}/request`]);
  });
});

describe('createHttpFetch under msw', () => {
  const mock = setupServer(
    http.post('https://api.provider.test/v1/send', async ({ request }) =>
      HttpResponse.json({ echoed: await request.text() }, { status: 201 }),
    ),
  );
  beforeAll(() => mock.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => mock.resetHandlers());
  afterAll(() => mock.close());

  it('is intercepted like fetch, so provider fakes see every call', async () => {
    const response = await createHttpFetch()('https://api.provider.test/v1/send', {
      method: 'POST',
      body: 'hello',
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ echoed: 'hello' });
  });
});
