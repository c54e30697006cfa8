import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TestVisitor } from './test/webchat-test-visitor.js';
import { createInMemoryRuntime } from './test-support/in-memory-runtime.js';
import { fixtureBody, httpRequests } from './test-support/webchat-http-requests.js';
import {
  startWebchatTestServer,
  type WebchatTestServer,
} from './test-support/webchat-test-server.js';
import {
  createWebchatConnector,
  type WebchatConnector,
  type WebchatConnectorSettings,
  webchatConnectorFromEnv,
} from './webchat-connector.js';
import { signWebchatIdentityToken } from './webchat-identity-token.js';

const identitySecret = 'site-secret';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A manual clock, so limits and expiries never depend on how fast the machine is. */
function manualClock(start = '2026-06-01T12:00:00.000Z') {
  let now = new Date(start).getTime();
  return {
    now: () => new Date(now),
    advance: (milliseconds: number) => {
      now += milliseconds;
    },
  };
}

async function setup(settings: WebchatConnectorSettings = {}, options: { start?: boolean } = {}) {
  const connector = createWebchatConnector({
    sessionSecret: 'session-secret',
    identitySecret,
    env: {},
    ...settings,
  });
  const memory = createInMemoryRuntime();
  const server = await startWebchatTestServer(connector);
  if (options.start !== false) await connector.start(memory.runtime);
  const visitors: TestVisitor[] = [];
  cleanups.push(async () => {
    for (const visitor of visitors) await visitor.close();
    await connector.stop();
    await server.close();
  });
  const visit = async (hello: Record<string, unknown> = {}, origin?: string) => {
    const visitor = await TestVisitor.start(server.socketUrl, hello, origin ? { origin } : {});
    visitors.push(visitor);
    return visitor;
  };
  const resume = async (visitor: TestVisitor, fields: Record<string, unknown> = {}) => {
    const resumed = await visitor.resume(server.socketUrl, fields);
    visitors.push(resumed.visitor);
    return resumed;
  };
  const connect = async (origin?: string) => {
    const visitor = await TestVisitor.connect(server.socketUrl, origin ? { origin } : {});
    visitors.push(visitor);
    return visitor;
  };
  return { connector, memory, server, visit, resume, connect };
}

const to = (visitor: TestVisitor) => ({ channel: 'webchat', address: visitor.visitorId });

describe('sessions', () => {
  it('refuses sockets before start with not_ready, so widgets retry', async () => {
    const { connect } = await setup({}, { start: false });
    const visitor = await connect();
    expect(await visitor.next('error')).toMatchObject({ code: 'not_ready' });
    expect((await visitor.closed).code).toBe(1013);
  });

  it('issues a visitor id and resume token, and stores a message before acknowledging it', async () => {
    const { visit, memory } = await setup();
    const visitor = await visit({ pageUrl: 'https://shop.example.com/cart' });
    expect(visitor.visitorId).toMatch(/^wv_[0-9a-f]{24}$/);
    expect(visitor.resumeToken).toMatch(/^[0-9a-f]{64}$/);
    const clientId = visitor.sendText('a1', 'Where is my order?');
    const ack = await visitor.next('ack');
    expect(ack).toEqual({ type: 'ack', clientId, messageId: 'msg_0001', duplicate: false });
    expect(memory.inboundMessages()).toEqual([
      {
        externalId: clientId,
        from: { channel: 'webchat', address: visitor.visitorId },
        content: { type: 'text', text: 'Where is my order?' },
        channelData: { pageUrl: 'https://shop.example.com/cart' },
      },
    ]);
    expect(memory.ingested[0]?.raw).toEqual({
      contentType: 'application/json',
      body: JSON.stringify({
        type: 'message',
        clientId,
        content: { type: 'text', text: 'Where is my order?' },
      }),
    });
  });

  it('stores a frame sent again after a reconnect once, and acknowledges both', async () => {
    const { visit, resume, memory } = await setup();
    const visitor = await visit();
    visitor.sendText('a1', 'hello');
    const first = await visitor.next('ack');
    const { visitor: again } = await resume(visitor);
    again.sendText('a1', 'hello');
    const second = await again.next('ack');
    expect(second).toMatchObject({ messageId: first.messageId, duplicate: true });
    expect(memory.messages).toHaveLength(1);
  });

  it('resumes the conversation with its whole history, in order, after a reload', async () => {
    const { connector, visit, resume, memory } = await setup();
    const visitor = await visit();
    visitor.sendText('a1', 'first');
    await visitor.next('ack');
    await memory.deliver(connector, to(visitor), { type: 'text', text: 'second' });
    visitor.sendText('a2', 'third');
    await visitor.next('ack');
    await visitor.close();
    // sent while the visitor is away: stored, and replayed on resume
    const result = await memory.deliver(connector, to(visitor), { type: 'text', text: 'fourth' });
    expect(result.externalId).toBe(`wc_out_${result.id}`);

    const { welcome, history } = await resume(visitor);
    expect(welcome).toMatchObject({ visitorId: visitor.visitorId, resumed: true });
    expect(history.messages.map((message) => [message.direction, message.content])).toEqual([
      ['inbound', { type: 'text', text: 'first' }],
      ['outbound', { type: 'text', text: 'second' }],
      ['inbound', { type: 'text', text: 'third' }],
      ['outbound', { type: 'text', text: 'fourth' }],
    ]);
    expect(history.messages[0]).toMatchObject({ clientId: visitor.clientId('a1'), receipt: false });
    expect(history.messages[3]).toMatchObject({ receipt: true, status: 'sent' });
  });

  it('starts a new visitor when the resume token is not valid', async () => {
    const { visit } = await setup();
    const stranger = await visit({
      visitorId: 'wv_5f0c2a9e41d7b3c86a1e9d02',
      resumeToken: 'f'.repeat(64),
    });
    expect(await stranger.next('error')).toMatchObject({ code: 'resume_invalid' });
    expect(stranger.visitorId).not.toBe('wv_5f0c2a9e41d7b3c86a1e9d02');
  });

  it('keeps resume tokens valid across restarts with the session secret in the data directory', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'webchat-'));
    cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
    const context = { env: {}, publicUrl: undefined, dataDirectory: directory };
    const before = webchatConnectorFromEnv(context);
    const afterRestart = webchatConnectorFromEnv(context);
    const file = join(directory, 'webchat', 'session-secret');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const request = httpRequests(readFileSync(file, 'utf8').trim()).signed(
      fixtureBody('http-text-message.json'),
    );
    expect(await afterRestart.parse(request)).toEqual(await before.parse(request));
    expect([before.id, before.channel]).toEqual(['webchat', 'webchat']);
  });
});

describe('pushes', () => {
  it('pushes business messages to every open socket of the visitor, and echoes their own', async () => {
    const { connector, visit, resume, memory } = await setup();
    const tab = await visit();
    const { visitor: otherTab } = await resume(tab);
    const stored = await memory.deliver(connector, to(tab), {
      type: 'interactive',
      text: 'How would you like to continue?',
      buttons: [
        { id: 'track', title: 'Track my order' },
        { id: 'agent', title: 'Talk to a person' },
      ],
    });
    for (const socket of [tab, otherTab]) {
      expect(await socket.next('message')).toMatchObject({
        message: { id: stored.id, direction: 'outbound', receipt: true, status: 'sent' },
      });
    }
    tab.send({
      type: 'message',
      clientId: tab.clientId('b1'),
      content: { type: 'postback', payload: 'track', title: 'Track my order' },
    });
    await tab.next('ack');
    expect(await otherTab.next('message')).toMatchObject({
      message: {
        direction: 'inbound',
        clientId: tab.clientId('b1'),
        content: { type: 'postback', payload: 'track', title: 'Track my order' },
      },
    });
    expect(memory.inboundMessages()[0]?.content).toEqual({
      type: 'postback',
      payload: 'track',
      title: 'Track my order',
    });
  });

  it('turns widget receipts into status updates, only for messages sent to that visitor', async () => {
    const { connector, visit, memory } = await setup();
    const visitor = await visit();
    const stored = await memory.deliver(connector, to(visitor), { type: 'text', text: 'hi' });
    await visitor.next('message');
    visitor.send({ type: 'receipt', messageId: stored.id, status: 'delivered' });
    visitor.send({ type: 'receipt', messageId: stored.id, status: 'read' });
    visitor.send({ type: 'receipt', messageId: 'someone-elses-message', status: 'read' });
    expect(await visitor.next('error')).toMatchObject({
      code: 'unknown_message',
      messageId: 'someone-elses-message',
    });
    expect(memory.statusEvents()).toEqual([
      { type: 'status', externalId: `wc_out_${stored.id}`, status: 'delivered' },
      { type: 'status', externalId: `wc_out_${stored.id}`, status: 'read' },
    ]);
    expect(memory.messages[0]?.status).toBe('read');
  });

  it('shows typing both ways', async () => {
    const typing: Array<{ visitorId: string; typing: boolean }> = [];
    const { connector, visit } = await setup({ onVisitorTyping: (event) => typing.push(event) });
    const visitor = await visit();
    expect(connector.setTyping(visitor.visitorId, true)).toBe(1);
    expect(await visitor.next('typing')).toEqual({ type: 'typing', typing: true });
    visitor.send({ type: 'typing', typing: true });
    await visitor.barrier();
    expect(typing).toEqual([{ visitorId: visitor.visitorId, typing: true }]);
    expect(connector.setTyping('wv_000000000000000000000000', true)).toBe(0);
  });

  it('refuses media without a URL, which the widget could not link to', async () => {
    const { connector, visit } = await setup();
    const visitor = await visit();
    await expect(
      connector.send({
        id: 'm1',
        conversationId: 'c1',
        to: to(visitor),
        content: { type: 'media', kind: 'image', mediaId: 'MM123' },
      }),
    ).rejects.toMatchObject({ code: 'unsupported_content' });
  });

  it('limits messages to one visitor per window with rate_limited and when to retry', async () => {
    const clock = manualClock();
    const { connector, visit } = await setup({
      clock,
      outboundLimit: { messages: 2, windowMs: 10_000 },
    });
    const visitor = await visit();
    const send = (id: string) =>
      connector.send({
        id,
        conversationId: 'c1',
        to: to(visitor),
        content: { type: 'text', text: id },
      });
    await send('m1');
    clock.advance(4000);
    await send('m2');
    await expect(send('m3')).rejects.toMatchObject({
      code: 'rate_limited',
      retryable: true,
      retryAfterMs: 6000,
    });
    clock.advance(6000);
    await expect(send('m3')).resolves.toMatchObject({ externalId: 'wc_out_m3' });
  });
});

describe('identity tokens', () => {
  const token = (exp: number, secret = identitySecret) =>
    signWebchatIdentityToken({ email: 'Ada@Example.com', name: 'Ada', exp }, secret);

  it('links the visitor through verified claims on their messages', async () => {
    const clock = manualClock();
    const { visit, memory } = await setup({ clock });
    const exp = Math.floor(clock.now().getTime() / 1000) + 300;
    const visitor = await visit({ identityToken: token(exp) });
    expect(visitor.frames[0]).toMatchObject({ type: 'welcome', identified: true });
    visitor.sendText('a1', 'hello');
    await visitor.next('ack');
    expect(memory.inboundMessages()[0]).toMatchObject({
      senderName: 'Ada',
      identityClaims: [
        {
          address: { channel: 'email', address: 'ada@example.com' },
          verified: true,
          source: 'identity_token',
        },
      ],
    });
  });

  it.each([
    ['forged', () => token(2_000_000_000, 'not-the-site-secret'), 'identity_invalid'],
    [
      'expired',
      () => token(Math.floor(Date.parse('2026-06-01T11:00:00Z') / 1000)),
      'identity_expired',
    ],
  ])('refuses a %s token and links nothing', async (_name, makeToken, code) => {
    const clock = manualClock();
    const { visit, memory } = await setup({ clock });
    const visitor = await visit({ identityToken: makeToken() });
    expect(visitor.frames[0]).toMatchObject({ type: 'error', code });
    expect(visitor.frames[1]).toMatchObject({ type: 'welcome', identified: false });
    visitor.sendText('a1', 'hello');
    await visitor.next('ack');
    const message = memory.inboundMessages()[0]!;
    expect(message.identityClaims).toBeUndefined();
    expect(message.senderName).toBeUndefined();
  });

  it('refuses identity tokens when no site secret is configured', async () => {
    const { visit } = await setup({ identitySecret: undefined });
    const visitor = await visit({ identityToken: token(2_000_000_000) });
    expect(visitor.frames[0]).toMatchObject({ type: 'error', code: 'identity_invalid' });
  });
});

describe('limits and abuse', () => {
  it('refuses pages from origins outside the allow-list', async () => {
    const { connect, visit } = await setup({ allowedOrigins: 'https://shop.example.com' });
    const outsider = await connect('https://evil.example');
    expect(await outsider.next('error')).toMatchObject({ code: 'origin_not_allowed' });
    expect((await outsider.closed).code).toBe(1008);
    const noOrigin = await connect();
    expect((await noOrigin.closed).code).toBe(1008);
    const allowed = await visit({}, 'https://shop.example.com');
    expect(allowed.visitorId).toMatch(/^wv_/);
  });

  it('answers invalid frames with frame_invalid and the path, and keeps the socket', async () => {
    const { connect } = await setup();
    const visitor = await connect();
    visitor.send({ type: 'message', clientId: 'x', content: { type: 'text', text: 'early' } });
    expect(await visitor.next('error')).toMatchObject({ code: 'hello_required' });
    await visitor.hello();
    visitor.send('{not json');
    expect(await visitor.next('error')).toMatchObject({ code: 'frame_invalid', path: '(frame)' });
    visitor.send({
      type: 'message',
      clientId: visitor.clientId('a1'),
      content: { type: 'text', text: 'x'.repeat(4001) },
    });
    expect(await visitor.next('error')).toMatchObject({
      code: 'frame_invalid',
      path: 'content.text',
      clientId: visitor.clientId('a1'),
    });
    visitor.send({
      type: 'message',
      clientId: 'wc_someone_else_1',
      content: { type: 'text', text: 'x' },
    });
    expect(await visitor.next('error')).toMatchObject({ code: 'frame_invalid', path: 'clientId' });
    visitor.send({ type: 'hello' });
    expect(await visitor.next('error')).toMatchObject({ code: 'frame_invalid', path: 'type' });
    visitor.sendText('a2', 'still here');
    expect(await visitor.next('ack')).toMatchObject({ clientId: visitor.clientId('a2') });
  });

  it('closes the socket on a frame larger than the limit', async () => {
    const { visit } = await setup({ limits: { maxFrameBytes: 1024 } });
    const visitor = await visit();
    visitor.sendText('a1', 'y'.repeat(2000));
    expect(await visitor.next('error')).toMatchObject({ code: 'frame_too_large' });
    expect((await visitor.closed).code).toBe(1009);
  });

  it('refuses messages over the per-visitor rate with when to retry, storing nothing', async () => {
    const clock = manualClock();
    const { visit, resume, memory } = await setup({
      clock,
      limits: { messagesPerSecond: 1, burst: 2 },
    });
    const visitor = await visit();
    visitor.sendText('a1', 'one');
    visitor.sendText('a2', 'two');
    visitor.sendText('a3', 'three');
    expect(await visitor.next('error')).toMatchObject({
      code: 'rate_limited',
      clientId: visitor.clientId('a3'),
      retryAfterMs: 1000,
    });
    // a second socket of the same visitor shares the limit
    const { visitor: otherTab } = await resume(visitor);
    otherTab.sendText('a4', 'four');
    expect(await otherTab.next('error')).toMatchObject({ code: 'rate_limited' });
    expect(memory.messages.map((message) => message.content)).toEqual([
      { type: 'text', text: 'one' },
      { type: 'text', text: 'two' },
    ]);
    clock.advance(1000);
    visitor.sendText('a3', 'three');
    expect(
      await visitor.next('ack', (ack) => ack.clientId === visitor.clientId('a3')),
    ).toMatchObject({
      duplicate: false,
    });
  });

  it('closes a socket that keeps flooding frames', async () => {
    const { visit } = await setup({ limits: { framesPerSecond: 1 } });
    const visitor = await visit();
    for (let index = 0; index < 60; index += 1) visitor.send({ type: 'ping' });
    const closed = await visitor.closed;
    expect(closed.code).toBe(1008);
    expect(
      visitor.frames.some((frame) => frame.type === 'error' && frame.code === 'rate_limited'),
    ).toBe(true);
  });

  it('answers unavailable when the message could not be stored, so the widget sends it again', async () => {
    const { visit, memory } = await setup();
    const visitor = await visit();
    memory.failIngests(1);
    const clientId = visitor.sendText('a1', 'hello');
    expect(await visitor.next('error')).toMatchObject({ code: 'unavailable', clientId });
    visitor.sendText('a1', 'hello');
    expect(await visitor.next('ack')).toMatchObject({ clientId, duplicate: false });
    expect(memory.messages).toHaveLength(1);
  });

  it('blocks a visitor: sockets closed, sends refused for good, hellos refused', async () => {
    const { connector, visit, server } = await setup();
    const visitor = await visit();
    connector.blockVisitor(visitor.visitorId);
    expect(await visitor.next('error')).toMatchObject({ code: 'visitor_blocked' });
    expect((await visitor.closed).code).toBe(1008);
    await expect(
      connector.send({
        id: 'm1',
        conversationId: 'c1',
        to: to(visitor),
        content: { type: 'text', text: 'x' },
      }),
    ).rejects.toMatchObject({ code: 'recipient_blocked', retryable: false });
    const again = await TestVisitor.connect(server.socketUrl);
    again.send({ type: 'hello', visitorId: visitor.visitorId, resumeToken: visitor.resumeToken });
    expect(await again.next('error')).toMatchObject({ code: 'visitor_blocked' });
    expect((await again.closed).code).toBe(1008);
  });

  it('closes every socket on stop and refuses sends until started again', async () => {
    const { connector, visit, memory } = await setup();
    const visitor = await visit();
    await connector.stop();
    expect((await visitor.closed).code).toBe(1001);
    expect(connector.status().state).toBe('starting');
    await expect(
      connector.send({
        id: 'm1',
        conversationId: 'c1',
        to: to(visitor),
        content: { type: 'text', text: 'x' },
      }),
    ).rejects.toMatchObject({ code: 'provider_unavailable', retryable: true });
    await connector.start(memory.runtime);
    expect(connector.status().state).toBe('ready');
    expect(memory.statuses.at(-1)).toEqual({ state: 'ready' });
  });
});

describe('routes', () => {
  let server: WebchatTestServer;

  it('serves the widget as one script, with an etag', async () => {
    ({ server } = await setup());
    const response = await fetch(`${server.url}/webchat/widget.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const script = await response.text();
    expect(script.length).toBeGreaterThan(1000);
    expect(script.length).toBeLessThan(40_000);
    expect(script).toContain('/webchat/ws');
    const etag = response.headers.get('etag')!;
    const cached = await fetch(`${server.url}/webchat/widget.js`, {
      headers: { 'if-none-match': etag },
    });
    expect(cached.status).toBe(304);
  });

  it('serves a demo page that embeds the widget with one script tag', async () => {
    ({ server } = await setup({ title: 'Ask <us>' }));
    const page = await (await fetch(`${server.url}/`)).text();
    expect(page).toContain('<script src="/webchat/widget.js" data-title="Ask &lt;us&gt;"');
  });

  it('can leave the demo page out', async () => {
    ({ server } = await setup({ env: { WEBCHAT_DEMO_PAGE: 'off' } }));
    expect((await fetch(`${server.url}/`)).status).toBe(404);
  });

  it('tells plain HTTP clients that the chat endpoint is a WebSocket', async () => {
    ({ server } = await setup());
    const response = await fetch(`${server.url}/webchat/ws`);
    expect(response.status).toBe(426);
    expect(await response.json()).toMatchObject({ error: { code: 'validation_failed' } });
  });
});

describe('configuration', () => {
  it('reads the identity secret and allowed origins from the environment', () => {
    const connector: WebchatConnector = webchatConnectorFromEnv({
      env: {
        WEBCHAT_IDENTITY_SECRET: 'from-env',
        WEBCHAT_ALLOWED_ORIGINS: 'https://shop.example.com, https://www.example.com/',
        WEBCHAT_SESSION_SECRET: 'session',
      },
      publicUrl: undefined,
      dataDirectory: '/nonexistent',
    });
    expect(connector.allowedOrigins).toEqual([
      'https://shop.example.com',
      'https://www.example.com',
    ]);
    expect(connector.capabilities).toMatchObject({
      text: { maxLength: 4000 },
      media: ['image', 'file'],
      buttons: { max: 10, titleMaxLength: 40 },
      typing: true,
      readReceipts: true,
    });
  });

  it('refuses an allowed origin that is not an origin', () => {
    expect(() => createWebchatConnector({ allowedOrigins: 'shop.example.com', env: {} })).toThrow(
      expect.objectContaining({ code: 'configuration_invalid' }),
    );
  });
});
