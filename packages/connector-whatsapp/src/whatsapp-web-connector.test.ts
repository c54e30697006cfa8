import { createTestServer } from '@threadline/connector-kit/test';
import { HttpResponse, http } from 'msw';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import library from 'whatsapp-web.js';
import {
  FakeWhatsAppWebClient,
  type RawMessageModel,
} from './test-support/fake-whatsapp-web-client.js';
import { readJsonFixture } from './test-support/read-fixture.js';
import { RecordingRuntime } from './test-support/recording-runtime.js';
import { createWhatsAppWebConnector, type WhatsAppWebConnector } from './whatsapp-web-connector.js';

const labelBytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const server = createTestServer(
  http.get('https://media.example.com/label.png', () =>
    HttpResponse.arrayBuffer(labelBytes.buffer, { headers: { 'content-type': 'image/png' } }),
  ),
  http.get('https://media.example.com/note.ogg', () =>
    HttpResponse.arrayBuffer(new Uint8Array([0x4f, 0x67, 0x67, 0x53]).buffer, {
      headers: { 'content-type': 'audio/ogg' },
    }),
  ),
  http.get(
    'https://media.example.com/missing.pdf',
    () => new HttpResponse('Not found', { status: 404 }),
  ),
);

const model = (name: string) => readJsonFixture<RawMessageModel>(`web/${name}.json`);
const ada = { channel: 'whatsapp', address: '+15551234567' };

let client: FakeWhatsAppWebClient;
let runtime: RecordingRuntime;
let terminal: string[];
let connector: WhatsAppWebConnector;

beforeEach(async () => {
  client = new FakeWhatsAppWebClient();
  runtime = new RecordingRuntime();
  terminal = [];
  connector = createWhatsAppWebConnector({
    client,
    session: 'support',
    terminal: { write: (text: string) => terminal.push(text) },
    rateLimitBackoffMs: 30_000,
  });
  await connector.start(runtime);
});

afterEach(async () => {
  await connector.stop();
});

function outbound(content: Parameters<WhatsAppWebConnector['send']>[0]['content'], extra = {}) {
  return { id: 'msg-1', conversationId: 'conversation-1', to: ada, content, ...extra };
}

describe('session lifecycle', () => {
  it('starts the injected client and reports that it is starting', () => {
    expect(client.initialized).toBe(1);
    expect(runtime.statuses).toEqual([
      { state: 'starting', detail: 'opening the WhatsApp Web session' },
    ]);
  });

  it('offers the QR code for pairing and prints it in the terminal until the session is ready', async () => {
    client.emit('qr', '2@k8Jq3pZ0eXampleQrPayload,f1/vGcW4Z3vBa1eDNl3tOjWqLL5DpYTI84DMVkYnQE8=');
    expect(connector.pairingCode()).toBe(
      '2@k8Jq3pZ0eXampleQrPayload,f1/vGcW4Z3vBa1eDNl3tOjWqLL5DpYTI84DMVkYnQE8=',
    );
    expect(connector.status()).toEqual({
      state: 'starting',
      detail: 'waiting for the QR code to be scanned in WhatsApp → Linked devices',
    });
    await connector.whenIdle();
    expect(terminal).toHaveLength(1);
    expect(terminal[0]).toContain('WhatsApp Web session "support": scan this QR code');
    expect(terminal[0]).toMatch(/[█▀▄]/);

    client.emit('authenticated');
    client.emit('ready');
    expect(connector.pairingCode()).toBeNull();
    expect(connector.status()).toEqual({ state: 'ready' });
    expect(runtime.statuses.at(-1)).toEqual({ state: 'ready' });
  });

  it('reports a logged-out session as disconnected, and refuses to send on it', async () => {
    client.emit('ready');
    client.emit('disconnected', 'LOGOUT');
    const disconnected = {
      state: 'disconnected',
      detail: 'logged out from the phone: link the device again',
    };
    expect(runtime.statuses.at(-1)).toEqual(disconnected);
    expect(connector.status()).toEqual(disconnected);
    expect(runtime.logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'WhatsApp Web session "support" is disconnected',
      }),
    );
    await expect(connector.send(outbound({ type: 'text', text: 'Hello?' }))).rejects.toMatchObject({
      code: 'provider_unavailable',
      retryable: true,
    });
    expect(client.sent).toHaveLength(0);
  });

  it('reports an authentication failure as disconnected', () => {
    client.emit('auth_failure', 'Unable to log in. Are the session details valid?');
    expect(connector.status()).toEqual({
      state: 'disconnected',
      detail:
        'authentication failed (Unable to log in. Are the session details valid?): link the device again',
    });
    expect(runtime.statuses.at(-1)).toEqual(connector.status());
  });

  it('reports a client that cannot start as disconnected', async () => {
    const failing = new FakeWhatsAppWebClient();
    failing.initialize = async () => {
      throw new Error('Failed to launch the browser process! spawn /usr/bin/chromium ENOENT');
    };
    const other = createWhatsAppWebConnector({ client: failing, terminal: null });
    const otherRuntime = new RecordingRuntime();
    await other.start(otherRuntime);
    await Promise.resolve();
    expect(other.status()).toEqual({
      state: 'disconnected',
      detail:
        'the WhatsApp Web session could not start: Failed to launch the browser process! spawn /usr/bin/chromium ENOENT',
    });
    await other.stop();
  });

  it('creates its client only when started, and closes the client it created', async () => {
    const created: FakeWhatsAppWebClient[] = [];
    const lazy = createWhatsAppWebConnector({
      clientFactory: () => {
        const fresh = new FakeWhatsAppWebClient();
        created.push(fresh);
        return fresh;
      },
      terminal: null,
    });
    expect(created).toHaveLength(0);
    await lazy.start(new RecordingRuntime());
    expect(created).toHaveLength(1);
    expect(created[0]!.initialized).toBe(1);
    await lazy.stop();
    expect(created[0]!.destroyed).toBe(1);
    expect(created[0]!.listenerCount('message')).toBe(0);
  });

  it('stops listening on stop, without closing a client it was given', async () => {
    await connector.stop();
    client.receive(model('text'));
    await connector.whenIdle();
    expect(runtime.batches).toHaveLength(0);
    expect(client.destroyed).toBe(0);
  });
});

describe('inbound events', () => {
  it('ingests a text with the serialized event as the raw payload', async () => {
    client.receive(model('text'));
    await connector.whenIdle();
    expect(runtime.batches).toHaveLength(1);
    const [batch] = runtime.batches;
    expect(batch!.events).toEqual([
      {
        type: 'message',
        message: {
          externalId: 'false_15551234567@c.us_3EB0A0B5C2D4E6F80912',
          from: ada,
          to: { channel: 'whatsapp', address: '+15550001111' },
          content: { type: 'text', text: 'Hi, my order #1042 has not arrived yet' },
          createdAt: '2025-11-22T09:00:00.000Z',
          senderName: 'Ada',
        },
      },
    ]);
    expect(batch!.raw.contentType).toBe('application/json');
    expect(JSON.parse(batch!.raw.body).message).toMatchObject({
      id: { _serialized: 'false_15551234567@c.us_3EB0A0B5C2D4E6F80912' },
      from: '15551234567@c.us',
      type: 'chat',
    });
  });

  it('downloads media, saves it with the gateway and ingests it by media id', async () => {
    client.receive(model('image'), {
      media: {
        mimetype: 'image/jpeg',
        data: Buffer.from('jpeg-bytes').toString('base64'),
        filename: null,
      },
    });
    await connector.whenIdle();
    expect(runtime.media).toHaveLength(1);
    expect(Buffer.from(runtime.media[0]!.body).toString()).toBe('jpeg-bytes');
    expect(runtime.media[0]!.contentType).toBe('image/jpeg');
    expect(runtime.events).toEqual([
      expect.objectContaining({
        message: expect.objectContaining({
          content: {
            type: 'media',
            kind: 'image',
            mediaId: 'media-1',
            url: 'https://gateway.test/v1/media/media-1',
            mimeType: 'image/jpeg',
            size: 10,
            caption: 'The parcel label',
          },
        }),
      }),
    ]);
  });

  it('reads the quoted message of a reply', async () => {
    client.receive(model('reply'), { quoted: model('quoted-outbound') });
    await connector.whenIdle();
    expect(runtime.events[0]).toMatchObject({
      type: 'message',
      message: { replyToExternalId: 'true_15551234567@c.us_3EB0000000000000000A' },
    });
  });

  it('keeps the order of events even when media takes longer to download', async () => {
    let finishDownload!: (media: { mimetype: string; data: string }) => void;
    const download = new Promise<{ mimetype: string; data: string }>((resolve) => {
      finishDownload = resolve;
    });
    client.receive(model('image'), { media: download });
    client.receive(model('text'));
    finishDownload({ mimetype: 'image/jpeg', data: Buffer.from('x').toString('base64') });
    await connector.whenIdle();
    expect(
      runtime.events.map((event) =>
        event.type === 'message' ? event.message.content.type : event.type,
      ),
    ).toEqual(['media', 'text']);
  });

  it('resolves a privacy id to the phone number before reading the message', async () => {
    client.knowLid('104183327178842@lid', '15551234567@c.us');
    client.receive(model('lid-text'));
    await connector.whenIdle();
    expect(runtime.events[0]).toMatchObject({ type: 'message', message: { from: ada } });
  });

  it('quarantines an event it cannot read, with the reason and the path', async () => {
    client.receive(model('lid-text'));
    await connector.whenIdle();
    expect(runtime.batches).toHaveLength(0);
    expect(runtime.quarantined).toEqual([
      expect.objectContaining({
        path: 'message.from',
        contentType: 'application/json',
        reason: expect.stringContaining('is not a phone number'),
      }),
    ]);
  });

  it('quarantines an event the gateway could not store, since the session will not send it again', async () => {
    runtime.failNextIngest = new Error('database is locked');
    client.receive(model('text'));
    await connector.whenIdle();
    expect(runtime.quarantined).toEqual([
      expect.objectContaining({ reason: 'not stored: database is locked' }),
    ]);
    expect(JSON.parse(runtime.quarantined[0]!.body).message.type).toBe('chat');
  });

  it('ingests a group message with the group as the conversation', async () => {
    client.receive(model('group-text'));
    await connector.whenIdle();
    expect(runtime.events[0]).toMatchObject({
      message: {
        from: { channel: 'whatsapp', address: '+15557654321' },
        conversationAddress: { channel: 'whatsapp', address: 'group:120363025246125486' },
      },
    });
  });

  it('turns acknowledgements of a sent message into sent → delivered → read', async () => {
    const { externalId } = await connector.send(
      outbound({ type: 'text', text: 'Your parcel left' }),
    );
    client.acknowledge(externalId, 1);
    client.acknowledge(externalId, 2);
    client.acknowledge(externalId, 3);
    await connector.whenIdle();
    expect(runtime.events).toEqual([
      { type: 'status', externalId, status: 'sent' },
      { type: 'status', externalId, status: 'delivered' },
      { type: 'status', externalId, status: 'read' },
    ]);
  });

  it('turns an edit into an edit event and a deletion for everyone into a deletion', async () => {
    const original = client.message(model('text'));
    client.emit(
      'message_edit',
      client.message(model('edited')),
      'Hi, my order #1042 has still not arrived',
      'Hi, my order #1042 has not arrived yet',
    );
    client.emit('message_revoke_everyone', client.message(model('revoked')), original);
    await connector.whenIdle();
    expect(runtime.events).toEqual([
      {
        type: 'edit',
        externalId: 'false_15551234567@c.us_3EB0A0B5C2D4E6F80912',
        content: { type: 'text', text: 'Hi, my order #1042 has still not arrived' },
        editedAt: '2025-11-22T09:09:15.000Z',
      },
      { type: 'deletion', externalId: 'false_15551234567@c.us_3EB0A0B5C2D4E6F80912' },
    ]);
  });
});

describe('parse', () => {
  it('refuses HTTP requests: a linked-device session has no HTTP ingress', async () => {
    await expect(
      connector.parse({
        method: 'POST',
        url: 'https://gateway.test/webhooks/whatsapp/whatsapp-web',
        headers: {},
        body: '{}',
      }),
    ).rejects.toMatchObject({ code: 'signature_invalid' });
  });

  it('refuses events of another session', async () => {
    await expect(
      connector.parse({
        method: 'EVENT',
        url: 'whatsapp-web://sales/message',
        headers: {},
        body: '{}',
      }),
    ).rejects.toMatchObject({ code: 'signature_invalid' });
  });
});

describe('send', () => {
  it('sends text to the chat id, quoting the message replied to', async () => {
    const result = await connector.send(
      outbound(
        { type: 'text', text: 'We are on it' },
        { replyToExternalId: 'false_15551234567@c.us_3EB0A0B5C2D4E6F80912' },
      ),
    );
    expect(client.sent).toEqual([
      {
        chatId: '15551234567@c.us',
        content: 'We are on it',
        options: { quotedMessageId: 'false_15551234567@c.us_3EB0A0B5C2D4E6F80912' },
        externalId: result.externalId,
      },
    ]);
    expect(result.externalId).toMatch(/^true_15551234567@c\.us_3EB0/);
  });

  it('downloads media from its URL into a MessageMedia, with the caption', async () => {
    await connector.send(
      outbound({
        type: 'media',
        kind: 'image',
        url: 'https://media.example.com/label.png',
        caption: 'Your label',
      }),
    );
    const [record] = client.sent;
    expect(record!.content).toBeInstanceOf(library.MessageMedia);
    expect(record!.content).toMatchObject({
      mimetype: 'image/png',
      data: Buffer.from(labelBytes).toString('base64'),
      filename: 'label.png',
      filesize: 8,
    });
    expect(record!.options).toEqual({ caption: 'Your label' });
    expect((await server.requests()).at(-1)?.url.href).toBe('https://media.example.com/label.png');
  });

  it('sends the caption of audio as a following text', async () => {
    const result = await connector.send(
      outbound({
        type: 'media',
        kind: 'audio',
        url: 'https://media.example.com/note.ogg',
        caption: 'Listen',
      }),
    );
    expect(client.sent.map((record) => typeof record.content)).toEqual(['object', 'string']);
    expect(client.sent[1]!.content).toBe('Listen');
    expect(result.channelData).toEqual({
      externalIds: client.sent.map((record) => record.externalId),
    });
  });

  it('sends a location as a Location and a contact as a vCard', async () => {
    await connector.send(
      outbound({ type: 'location', latitude: 48.8584, longitude: 2.2945, name: 'Tower' }),
    );
    await connector.send(
      outbound({ type: 'contact', name: 'Grace Hopper', phones: ['+14155550123'], emails: [] }),
    );
    expect(client.sent[0]!.content).toBeInstanceOf(library.Location);
    expect(client.sent[0]!.content).toMatchObject({
      latitude: 48.8584,
      longitude: 2.2945,
      name: 'Tower',
    });
    expect(client.sent[1]!.content).toMatch(
      /^BEGIN:VCARD\n[\s\S]*FN:Grace Hopper[\s\S]*END:VCARD$/,
    );
  });

  it('sends to a group chat by its group address', async () => {
    await connector.send({
      ...outbound({ type: 'text', text: 'Yes, 10:00–16:00' }),
      to: { channel: 'whatsapp', address: 'group:120363025246125486' },
    });
    expect(client.sent[0]!.chatId).toBe('120363025246125486@g.us');
  });

  it('reports a number that is not on WhatsApp as a blocked recipient', async () => {
    client.failNext({ kind: 'rejected' });
    await expect(connector.send(outbound({ type: 'text', text: 'Hi' }))).rejects.toMatchObject({
      code: 'recipient_blocked',
      retryable: false,
    });
  });

  it('backs off when WhatsApp limits the session, and retries a closed page', async () => {
    client.failNext({ kind: 'rate_limited', retryAfterMs: 1 });
    await expect(connector.send(outbound({ type: 'text', text: 'Hi' }))).rejects.toMatchObject({
      code: 'rate_limited',
      retryable: true,
      retryAfterMs: 30_000,
      providerCode: 'rate-overlimit',
    });
    client.failNext({ kind: 'unavailable' });
    await expect(connector.send(outbound({ type: 'text', text: 'Hi' }))).rejects.toMatchObject({
      code: 'provider_unavailable',
      retryable: true,
    });
  });

  it('refuses media it cannot download without sending anything', async () => {
    await expect(
      connector.send(
        outbound({ type: 'media', kind: 'file', url: 'https://media.example.com/missing.pdf' }),
      ),
    ).rejects.toMatchObject({ code: 'provider_rejected', retryable: false, statusCode: 404 });
    expect(client.sent).toHaveLength(0);
  });

  it('refuses content a linked device cannot carry', async () => {
    await expect(
      connector.send(
        outbound({ type: 'template', name: 'order_update', language: 'en_US', parameters: [] }),
      ),
    ).rejects.toMatchObject({ code: 'unsupported_content' });
    await expect(
      connector.send(
        outbound({ type: 'interactive', text: 'Pick', buttons: [{ id: 'a', title: 'A' }] }),
      ),
    ).rejects.toMatchObject({ code: 'unsupported_content' });
  });
});
