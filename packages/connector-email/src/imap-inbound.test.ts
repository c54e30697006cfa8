import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEmailConnector, type EmailConnector } from './email-connector.js';
import { type Dovecot, dovecotUnavailable, startDovecot } from './test-support/dovecot.js';
import { readFixture } from './test-support/fixtures.js';
import { createTestRuntime, type TestRuntime } from './test-support/test-runtime.js';

const unavailable = dovecotUnavailable();

/** Real IMAP: a dovecot started by the test, mail appended with imapflow's APPEND. */
describe.skipIf(unavailable !== undefined)('inbound over IMAP (a real dovecot)', () => {
  let dovecot: Dovecot;
  let running: EmailConnector | undefined;
  let folderNumber = 0;

  beforeAll(async () => {
    dovecot = await startDovecot();
  });
  afterAll(async () => {
    await dovecot?.close();
  });
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  /** A folder of its own per test, so tests never see each other's mail. */
  async function freshFolder(): Promise<string> {
    folderNumber += 1;
    const folder = `Test${folderNumber}`;
    const client = await dovecot.client();
    try {
      await client.mailboxCreate(folder);
    } finally {
      await client.logout();
    }
    return folder;
  }

  async function startReading(
    folder: string,
    settings: Parameters<typeof createEmailConnector>[0] = {},
    store: TestRuntime = createTestRuntime(),
  ): Promise<{ connector: EmailConnector; store: TestRuntime }> {
    const connector = createEmailConnector({
      from: 'Acme Support <support@acme.example>',
      imapUrl: dovecot.url,
      imapFolder: folder,
      // far longer than any test: only IDLE can bring new mail in time
      imapPollIntervalMs: 10 * 60_000,
      imapRetry: { retryDelayMs: 20, maxRetryDelayMs: 200 },
      env: {},
      ...settings,
    });
    running = connector;
    await connector.start(store.runtime);
    return { connector, store };
  }

  function mail(messageId: string, text: string, headers = ''): string {
    return [
      'From: Ada Lovelace <ada@example.com>',
      'To: Acme Support <support@acme.example>',
      `Subject: ${text}`,
      `Message-ID: <${messageId}>`,
      'Date: Wed, 1 Jul 2026 08:00:00 +0000',
      ...(headers ? [headers] : []),
      'Content-Type: text/plain; charset=utf-8',
      '',
      text,
      '',
    ].join('\r\n');
  }

  const seenFlags = async (folder: string) =>
    [...(await dovecot.flags(folder)).values()].map((flags) => flags.includes('\\Seen'));

  it('reads unseen mail once, the way SMTP does, and flags it \\Seen only after it is stored', async () => {
    const folder = await freshFolder();
    await dovecot.append(mail('already-read@example.com', 'read by a person'), {
      folder,
      flags: ['\\Seen'],
    });
    await dovecot.append(readFixture('customer-reply.eml').toString('utf8'), { folder });
    await dovecot.append(mail('second@example.com', 'Second question'), { folder });

    const { store, connector } = await startReading(folder);
    await store.settled(2);
    await vi.waitFor(async () => expect(await seenFlags(folder)).toEqual([true, true, true]), {
      timeout: 10_000,
    });

    // the same reading and threading as SMTP inbound: only the new text, the thread's ids
    expect(store.messages()).toMatchObject([
      {
        externalId: 'CAFx9s=Qm1Z8f3kP+vH2@mail.gmail.com',
        from: { channel: 'email', address: 'ada.lovelace@example.com' },
        replyToExternalId: 'threadline.01J8Z4K7Q9X2M3N4P5R6S7T8V9@acme.example',
        content: { type: 'text', text: 'Thanks, it arrived this morning!\n\nAda' },
      },
      { externalId: 'second@example.com', content: { text: 'Second question' } },
    ]);
    expect(store.ingests[0]?.raw.contentType).toBe('message/rfc822');
    expect(connector.status()).toMatchObject({
      state: 'ready',
      detail: expect.stringContaining(`reading ${folder} at imap://support@127.0.0.1:`),
    });
    // the password never shows
    expect(JSON.stringify(store.statuses)).not.toContain(dovecot.account.password);
  });

  it('picks up mail arriving while connected (IDLE)', async () => {
    const folder = await freshFolder();
    const { store, connector } = await startReading(folder);
    await vi.waitFor(() => expect(connector.status().state).toBe('ready'), { timeout: 10_000 });

    await dovecot.append(mail('while-idle@example.com', 'Are you there?'), { folder });
    await store.settled(1);
    expect(store.messages().map((message) => message.externalId)).toEqual([
      'while-idle@example.com',
    ]);
    await vi.waitFor(async () => expect(await seenFlags(folder)).toEqual([true]), {
      timeout: 10_000,
    });
  });

  it('leaves a message unseen while the store fails, and stores it once the store is back', async () => {
    const folder = await freshFolder();
    await dovecot.append(mail('store-down@example.com', 'Hello?'), { folder });
    const failing = createTestRuntime();
    failing.failNextIngests(Number.MAX_SAFE_INTEGER);
    const { store } = await startReading(folder, {}, failing);
    await vi.waitFor(
      () =>
        expect(store.statuses.at(-1)).toMatchObject({
          state: 'degraded',
          detail: expect.stringContaining('could not be stored, left unseen: store unavailable'),
        }),
      { timeout: 10_000 },
    );
    expect(await seenFlags(folder)).toEqual([false]);
    expect(store.logs).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'IMAP mailbox unavailable' }),
    );

    store.failNextIngests(0);
    await store.settled(1);
    await vi.waitFor(async () => expect(await seenFlags(folder)).toEqual([true]), {
      timeout: 10_000,
    });
    expect(store.messages().map((message) => message.externalId)).toEqual([
      'store-down@example.com',
    ]);
  });

  it('quarantines mail it cannot read and flags it, so it is not read forever', async () => {
    const folder = await freshFolder();
    const raw = 'To: support@acme.example\r\nSubject: who am I\r\n\r\nno sender anywhere\r\n';
    await dovecot.append(raw, { folder });
    const { store } = await startReading(folder);
    await store.settled(1);
    expect(store.quarantined).toEqual([
      expect.objectContaining({ path: 'from', contentType: 'message/rfc822' }),
    ]);
    await vi.waitFor(async () => expect(await seenFlags(folder)).toEqual([true]), {
      timeout: 10_000,
    });
  });

  it('leaves a message over the size limit unseen for a person, and reads the rest', async () => {
    const folder = await freshFolder();
    await dovecot.append(mail('huge@example.com', 'x'.repeat(5_000)), { folder });
    await dovecot.append(mail('small@example.com', 'Small one'), { folder });
    const { store } = await startReading(folder, { maxMessageBytes: 2_000 });
    await store.settled(1);
    await vi.waitFor(async () => expect(await seenFlags(folder)).toEqual([false, true]), {
      timeout: 10_000,
    });
    expect(store.messages().map((message) => message.externalId)).toEqual(['small@example.com']);
    expect(store.logs).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'IMAP message over the size limit left unseen',
      }),
    );
  });

  it('reports a refused password as disconnected, naming IMAP_URL', async () => {
    const folder = await freshFolder();
    const { connector, store } = await startReading(folder, {
      imapUrl: `imap://support:wrong-password@127.0.0.1:${dovecot.port}`,
    });
    await vi.waitFor(() => expect(connector.status().state).toBe('disconnected'), {
      timeout: 15_000,
    });
    expect(connector.status().detail).toContain(
      'the server refused the user and password of IMAP_URL',
    );
    expect(connector.status().detail).not.toContain('wrong-password');
    expect(store.ingests).toEqual([]);
  });

  it('reconnects with backoff when the server goes away, and reads what arrived meanwhile', async () => {
    const folder = await freshFolder();
    const { connector, store } = await startReading(folder);
    await vi.waitFor(() => expect(connector.status().state).toBe('ready'), { timeout: 10_000 });

    await dovecot.stop();
    await vi.waitFor(() => expect(connector.status().state).toBe('degraded'), {
      timeout: 10_000,
    });
    expect(connector.status().detail).toMatch(/retrying in \d+ s$/);

    await dovecot.restart();
    await dovecot.append(mail('after-restart@example.com', 'Back?'), { folder });
    await store.settled(1);
    expect(store.messages().map((message) => message.externalId)).toEqual([
      'after-restart@example.com',
    ]);
    await vi.waitFor(() => expect(connector.status().state).toBe('ready'), { timeout: 10_000 });
  });
});
