import type { OutboundMessage } from '@threadline/connector-kit';
import {
  type ConformanceFixtures,
  type ProviderFailure,
  testConnector,
} from '@threadline/connector-kit/test';
import { afterAll } from 'vitest';
import { TestVisitor } from './test/webchat-test-visitor.js';
import { createInMemoryRuntime } from './test-support/in-memory-runtime.js';
import {
  fixtureBody,
  fixtureVisitorId,
  httpRequests,
} from './test-support/webchat-http-requests.js';
import { startWebchatTestServer } from './test-support/webchat-test-server.js';
import { createWebchatConnector } from './webchat-connector.js';
import { signWebchatIdentityToken } from './webchat-identity-token.js';
import { messageIdFromExternalId, outboundExternalId } from './webchat-protocol.js';

const sessionSecret = 'conformance-session-secret';
const identitySecret = 'conformance-site-secret';
const outboundLimit = { messages: 20, windowMs: 3000 };

const connector = createWebchatConnector({
  sessionSecret,
  identitySecret,
  outboundLimit,
  env: {},
});
const memory = createInMemoryRuntime();
const server = await startWebchatTestServer(connector);
await connector.start(memory.runtime);

/**
 * The "provider" behind `send` is the visitor's widget, played by a real WebSocket client. Each
 * reset starts a fresh visitor (so per-visitor limits start empty); failures are the real ones
 * web chat has: the visitor is blocked (permanent), the server is stopping (retried), or the
 * visitor was sent too many messages in the window (retried after the window frees a slot).
 */
let visitor = await TestVisitor.start(server.socketUrl);
afterAll(async () => {
  await visitor.close();
  await connector.stop();
  await server.close();
});

function fill(): OutboundMessage {
  return {
    id: `fill-${Math.random().toString(16).slice(2)}`,
    conversationId: 'c1',
    to: { channel: 'webchat', address: visitor.visitorId },
    content: { type: 'text', text: 'earlier message' },
  };
}

const requests = httpRequests(sessionSecret);
const text = fixtureBody('http-text-message.json');

const fixtures: ConformanceFixtures = {
  inbound: [
    {
      name: 'text message',
      request: requests.signed(text),
      expect: {
        externalId: 'wc_wv_5f0c2a9e41d7b3c86a1e9d02_3f9a1c7e0b2d4e6f8a1b3c5d7e9f0a2b',
        from: { channel: 'webchat', address: fixtureVisitorId },
        contentType: 'text',
      },
    },
    {
      name: 'button press',
      request: requests.signed(fixtureBody('http-postback.json')),
      expect: { contentType: 'postback' },
    },
    {
      name: 'outbox flushed with a receipt',
      request: requests.signed(fixtureBody('http-outbox-flush.json')),
      expect: { contentType: 'text' },
    },
    {
      name: 'message from an identified visitor',
      request: requests.signed({
        ...text,
        identityToken: signWebchatIdentityToken(
          { email: 'Ada@Example.com', name: 'Ada', exp: Math.floor(Date.now() / 1000) + 600 },
          identitySecret,
        ),
      }),
      expect: { contentType: 'text' },
    },
  ],
  badSignature: [
    { ...requests.unsigned(text), headers: { 'content-type': 'application/json' } },
    requests.unsigned(text),
    {
      ...requests.signed(text),
      headers: { ...requests.signed(text).headers, 'x-webchat-signature': 'ab'.repeat(32) },
    },
    // signed with another visitor's resume token
    {
      ...requests.signed(text, 'wv_000000000000000000000000'),
      headers: {
        ...requests.signed(text, 'wv_000000000000000000000000').headers,
        'x-webchat-visitor': fixtureVisitorId,
      },
    },
    requests.signed(text, 'not-a-visitor'),
    // a forged identity token refuses the whole request
    requests.signed({ ...text, identityToken: 'eyJlbWFpbCI6ImFkYUBleGFtcGxlLmNvbSJ9.forged' }),
  ],
  sign: (request) => requests.sign(request),
  malformed: [
    requests.signed('{"frames": ['),
    requests.signed({ frames: [] }),
    requests.signed({ frames: [{ type: 'message', content: { type: 'text', text: 'hi' } }] }),
    requests.signed({
      frames: [
        {
          type: 'message',
          clientId: 'wc_wv_000000000000000000000000_1',
          content: { type: 'text', text: 'not my client id' },
        },
      ],
    }),
    requests.signed({
      frames: [
        {
          type: 'message',
          clientId: `wc_${fixtureVisitorId}_long`,
          content: { type: 'text', text: 'x'.repeat(4001) },
        },
      ],
    }),
    requests.signed({ frames: [{ type: 'receipt', messageId: 'm1', status: 'seen' }] }),
    requests.signed({ frames: [{ type: 'hello' }] }),
  ],
  statuses: (['delivered', 'read', 'failed'] as const).map((status) => ({
    providerStatus: status,
    expected: status,
    request: (externalId: string) =>
      requests.signed({
        frames: [
          {
            type: 'receipt',
            messageId: messageIdFromExternalId(externalId) ?? externalId,
            status,
            ...(status === 'failed' ? { reason: 'unknown content type' } : {}),
          },
        ],
      }),
  })),
  get recipient() {
    return { channel: 'webchat', address: visitor.visitorId };
  },
  provider: {
    async sent() {
      await visitor.barrier();
      return visitor
        .pushedMessages()
        .map((message) => ({ externalId: outboundExternalId(message.id) }));
    },
    failNext(failure: ProviderFailure) {
      switch (failure.kind) {
        case 'rejected':
          connector.blockVisitor(visitor.visitorId);
          return;
        case 'unavailable':
          void connector.stop();
          return;
        case 'rate_limited':
          // the visitor already got the window's worth of messages (send is synchronous up to
          // the push, so these count before the next send)
          for (let index = 0; index < outboundLimit.messages; index += 1)
            connector.send(fill()).catch(() => {});
          return;
      }
    },
    async reset() {
      connector.unblockVisitor(visitor.visitorId);
      if (connector.status().state !== 'ready') await connector.start(memory.runtime);
      await visitor.close();
      visitor = await TestVisitor.start(server.socketUrl);
    },
  },
  mediaUrl: 'https://media.example.com/cat.png',
};

testConnector({ name: 'WebchatConnector', connector: () => connector, fixtures });
