import { createTestServer } from '@threadline/connector-kit/test';
import { afterEach, describe, expect, it } from 'vitest';
import { createTelegramConnector, type TelegramConnector } from './telegram-connector.js';
import { createFakeTelegramApi } from './test-support/fake-telegram-api.js';
import { fixtureBody, testApiRoot, testToken } from './test-support/fixtures.js';
import { createRuntime } from './test-support/test-runtime.js';

const fake = createFakeTelegramApi({ apiRoot: testApiRoot, token: testToken });
createTestServer(...fake.handlers);

type Update = { update_id: number } & Record<string, unknown>;
const update = (name: string) => JSON.parse(fixtureBody(name)) as Update;

let running: TelegramConnector | undefined;

function pollingConnector() {
  running = createTelegramConnector({
    token: testToken,
    apiRoot: testApiRoot,
    mode: 'polling',
    polling: { retryDelayMs: 1 },
    env: {},
  });
  return running;
}

afterEach(async () => {
  await running?.stop();
  running = undefined;
  fake.reset();
});

describe('long polling', () => {
  it('feeds updates in order to ingest, then polls on from the next offset', async () => {
    fake.reset();
    fake.queueUpdates(update('private-text'), update('photo'), update('edited-message'));
    const store = createRuntime();
    const connector = pollingConnector();
    await connector.start(store.runtime);
    await store.until(() => store.ingested.length === 3);

    expect(store.ingested.map(({ events }) => events)).toMatchObject([
      [{ type: 'message', message: { externalId: '412345678:101', content: { type: 'text' } } }],
      [{ type: 'message', message: { externalId: '412345678:103', content: { kind: 'image' } } }],
      [{ type: 'edit', externalId: '412345678:101' }],
    ]);
    expect(store.ingested[0]?.raw).toEqual({
      contentType: 'application/json',
      body: JSON.stringify(update('private-text')),
    });
    // a webhook left over would make Telegram refuse getUpdates
    expect(fake.calls()[0]).toEqual({
      method: 'deleteWebhook',
      payload: { drop_pending_updates: false },
    });
    expect(fake.calls('getUpdates')[0]?.payload).toEqual({
      timeout: 50,
      allowed_updates: ['message', 'edited_message', 'callback_query'],
    });

    // the next poll confirms the batch and waits; Telegram then answers it with nothing new
    const second = await fake.callNumber('getUpdates', 2);
    expect(second.payload).toMatchObject({ offset: 902345015 });
    fake.releasePolls();
    const third = await fake.callNumber('getUpdates', 3);
    expect(third.payload).toMatchObject({ offset: 902345015 });

    await connector.stop();
    expect(fake.unconfirmedUpdates()).toEqual([]);
    expect(store.statuses.map((status) => status.state)).toEqual(['starting', 'ready']);
    expect(connector.status()).toEqual({ state: 'disconnected', detail: 'stopped' });
  });

  it('does not move past an update the store failed to take: it is fetched again', async () => {
    fake.reset();
    fake.queueUpdates(update('private-text'), update('photo'));
    const store = createRuntime({ failOnceFor: [902345003] });
    await pollingConnector().start(store.runtime);
    await store.until(
      () => store.ingested.length === 2 && store.statuses.at(-1)?.state === 'ready',
    );

    expect(
      store.ingested.map(
        ({ events }) => events[0]?.type === 'message' && events[0].message.externalId,
      ),
    ).toEqual(['412345678:101', '412345678:103']);
    // after the failure the poll asks again from the failed update, not past it
    expect(fake.calls('getUpdates')[1]?.payload).toMatchObject({ offset: 902345002 });
    expect(store.statuses).toContainEqual({
      state: 'degraded',
      detail: 'update 902345003 could not be stored: the store is unavailable; retrying in 1 s',
    });
    expect(store.statuses.at(-1)).toEqual({ state: 'ready' });
  });

  it('answers a button press once it is stored', async () => {
    fake.reset();
    fake.queueUpdates(update('callback-query'));
    const store = createRuntime();
    const answered = fake.callNumber('answerCallbackQuery', 1);
    await pollingConnector().start(store.runtime);
    expect((await answered).payload).toEqual({ callback_query_id: '1771086397523490146' });
    expect(store.ingested).toHaveLength(1);
  });

  it('quarantines an update it cannot read and moves on', async () => {
    fake.reset();
    const broken = update('private-text');
    (broken['message'] as { chat: { id: unknown } }).chat.id = 'not-a-chat';
    fake.queueUpdates(broken, update('photo'));
    const store = createRuntime();
    await pollingConnector().start(store.runtime);
    await store.until(() => store.ingested.length === 1);

    expect(store.quarantined).toEqual([
      {
        reason: expect.stringContaining('invalid payload at message.chat.id'),
        path: 'message.chat.id',
        contentType: 'application/json',
        body: JSON.stringify(broken),
      },
    ]);
    expect(store.ingested[0]?.events).toMatchObject([
      { type: 'message', message: { externalId: '412345678:103' } },
    ]);
  });

  it('reports a Telegram outage as degraded and recovers', async () => {
    fake.reset();
    fake.failNextCall('getUpdates', { kind: 'unavailable' });
    fake.queueUpdates(update('private-text'));
    const store = createRuntime();
    await pollingConnector().start(store.runtime);
    await store.until(() => store.ingested.length === 1 && store.statuses.length === 4);
    expect(store.statuses).toEqual([
      { state: 'starting' },
      { state: 'ready' },
      { state: 'degraded', detail: 'Telegram getUpdates failed: Bad Gateway; retrying in 1 s' },
      { state: 'ready' },
    ]);
  });

  it('waits as long as Telegram asks after a 429', async () => {
    fake.reset();
    fake.failNextCall('getUpdates', {
      kind: 'answer',
      status: 429,
      body: {
        ok: false,
        error_code: 429,
        description: 'Too Many Requests: retry after 0',
        parameters: { retry_after: 0 },
      },
    });
    fake.queueUpdates(update('private-text'));
    const store = createRuntime();
    await pollingConnector().start(store.runtime);
    await store.until(() => store.ingested.length === 1);
    expect(store.statuses).toContainEqual({
      state: 'degraded',
      detail: 'Telegram getUpdates failed: Too Many Requests: retry after 0; retrying in 0 s',
    });
  });

  it('deletes a webhook set meanwhile when Telegram refuses getUpdates for it', async () => {
    fake.reset();
    fake.failNextCall('getUpdates', {
      kind: 'answer',
      status: 409,
      body: {
        ok: false,
        error_code: 409,
        description:
          "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      },
    });
    fake.queueUpdates(update('private-text'));
    const store = createRuntime();
    await pollingConnector().start(store.runtime);
    await store.until(() => store.ingested.length === 1);
    expect(
      fake
        .calls()
        .map((call) => call.method)
        .slice(0, 4),
    ).toEqual(['deleteWebhook', 'getUpdates', 'deleteWebhook', 'getUpdates']);
  });

  it('reports a rejected token as disconnected', async () => {
    fake.reset();
    fake.failNextCall('deleteWebhook', {
      kind: 'answer',
      status: 401,
      body: { ok: false, error_code: 401, description: 'Unauthorized' },
    });
    const store = createRuntime();
    await pollingConnector().start(store.runtime);
    await store.until(() => store.statuses.some((status) => status.state === 'ready'));
    expect(store.statuses[1]).toEqual({
      state: 'disconnected',
      detail:
        'Telegram deleteWebhook failed: Unauthorized (the bot token is wrong or was revoked); retrying in 1 s',
    });
  });

  it('makes no calls in webhook mode: Telegram posts to the gateway', async () => {
    fake.reset();
    const store = createRuntime();
    const connector = createTelegramConnector({
      token: testToken,
      apiRoot: testApiRoot,
      mode: 'webhook',
      env: {},
    });
    await connector.start(store.runtime);
    await connector.stop();
    expect(store.statuses).toEqual([{ state: 'ready' }]);
    expect(fake.calls()).toEqual([]);
  });
});
