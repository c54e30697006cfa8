import type { RequestHandler } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll } from 'vitest';

/** A request the fake provider received, with its body read. */
export interface RecordedRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string;
}

/**
 * An msw server for one test file: listens before the tests, resets handlers after each,
 * closes at the end, fails on requests no handler expects, and records every request so
 * tests can assert what the connector sent.
 */
export function createTestServer(...handlers: RequestHandler[]) {
  const server = setupServer(...handlers);
  const pending: Array<Promise<RecordedRequest>> = [];
  server.events.on('request:start', ({ request }) => {
    const copy = request.clone();
    pending.push(
      copy.text().then((body) => ({
        method: copy.method,
        url: new URL(copy.url),
        headers: Object.fromEntries(copy.headers.entries()),
        body,
      })),
    );
  });
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());
  return {
    server,
    use: (...extra: RequestHandler[]) => server.use(...extra),
    /** Every request received so far, oldest first. */
    requests: () => Promise.all(pending),
    clearRequests: () => {
      pending.length = 0;
    },
  };
}
