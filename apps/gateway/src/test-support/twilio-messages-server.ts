import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Twilio's Messages API as a real HTTP server on 127.0.0.1, for tests that run the gateway as
 * a child process (msw cannot reach into it): every send is recorded with its body and when it
 * arrived, and answered 201 as Twilio answers a queued message.
 */
export async function startTwilioMessagesServer() {
  const received: { body: string; at: number }[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const form = new URLSearchParams(body);
      received.push({ body: form.get('Body') ?? '', at: Date.now() });
      response.writeHead(201, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          sid: `SMout${String(received.length).padStart(28, '0')}`,
          status: 'queued',
          to: form.get('To'),
          from: form.get('From'),
          body: form.get('Body'),
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Each send, in arrival order. */
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
