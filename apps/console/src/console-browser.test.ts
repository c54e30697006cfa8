import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectorV1, InboundRequest } from '@threadline/connector-kit';
import { createTestServer } from '@threadline/connector-kit/test';
import { createSmsConnector } from '@threadline/connector-sms';
import {
  accountSid,
  authToken,
  customerNumber,
  ourNumber,
  publicUrl,
  signedStatusFor,
  signedWith,
  TwilioFake,
} from '@threadline/connector-sms/test';
import { createTelegramConnector } from '@threadline/connector-telegram';
import { createFakeTelegramApi } from '@threadline/connector-telegram/test';
import { createWhatsAppWebConnector } from '@threadline/connector-whatsapp';
import { FakeWhatsAppWebClient } from '@threadline/connector-whatsapp/test';
import { testConversation } from '@threadline/engine/test';
import { createApp, type ThreadlineApp } from '@threadline/gateway';
import { launchChromium } from '@threadline/gateway/test';
import type { Conversation } from '@threadline/schema';
import { HttpResponse, http } from 'msw';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  openIsolatedPage,
  screenshot,
  seriousAccessibilityViolations,
} from './test-support/console-page.js';

/**
 * The console in Debian's Chromium against a real gateway (SQLite file, real Telegram and
 * SMS connectors faked only at the providers' HTTP APIs), network limited to 127.0.0.1.
 */
const apiKey = 'console-test-key-0123456789';
const twilio = { accountSid, authToken, apiBase: 'https://api.twilio.test' };
const telegram = {
  token: '7123456789:AAHfakeTokenForConsoleTests000000',
  apiRoot: 'https://api.telegram.test',
};
const hookUrl = 'https://hooks.example.test/threadline';

const twilioFake = new TwilioFake(twilio);
const telegramFake = createFakeTelegramApi(telegram);
const providers = createTestServer(
  ...twilioFake.handlers(),
  ...telegramFake.handlers,
  // the subscriber closes each connection: under msw, a mocked socket kept alive in the
  // gateway's delivery pool stalled the console's event stream (a real subscriber answering
  // 503 on a kept-alive connection, on 127.0.0.1, does not)
  http.post(hookUrl, () =>
    HttpResponse.json({ error: 'maintenance' }, { status: 503, headers: { connection: 'close' } }),
  ),
);

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  twilioFake.reset();
  telegramFake.reset();
});

/** A gateway on a real port over `directory`; `webhookSecret` is Telegram's secret token. */
async function startGateway(
  directory: string,
  webhookSecret: string,
  port = 0,
  extra: ConnectorV1[] = [],
) {
  const app = createApp({
    dataDirectory: directory,
    apiKeys: [apiKey],
    connectorsFromEnv: false,
    connectors: [
      createSmsConnector({ ...twilio, fromNumber: ourNumber, publicUrl }),
      createTelegramConnector({ ...telegram, webhookSecret, mode: 'webhook' }),
      ...extra,
    ],
    publicUrl,
    // the subscriber below is faked at its HTTP boundary; its host never resolves
    allowPrivateWebhookUrls: true,
    logLevel: 'silent',
    env: {},
  });
  await app.gateway.start();
  const listening = await app.gateway.listen(port);
  return { app, port: listening.port, base: `http://127.0.0.1:${listening.port}` };
}

function gatewayWorkspace() {
  const directory = mkdtempSync(join(tmpdir(), 'threadline-console-'));
  cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
  return directory;
}

const post = (app: ThreadlineApp, path: string, request: InboundRequest) =>
  app.request(path, { method: 'POST', headers: request.headers, body: request.body });

function telegramText(
  app: ThreadlineApp,
  secret: string,
  update: number,
  chatId: number,
  name: string,
  text: string,
) {
  const from = { id: chatId, is_bot: false, first_name: name };
  return app.request('/webhooks/telegram/telegram', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
    body: JSON.stringify({
      update_id: update,
      message: {
        message_id: update,
        from,
        chat: { ...from, type: 'private' },
        date: Math.floor(Date.now() / 1000),
        text,
      },
    }),
  });
}

async function api<T>(app: ThreadlineApp, path: string, body?: unknown): Promise<T> {
  const response = await app.request(path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(response.status, `${path} answered ${response.status}`).toBeLessThan(300);
  return (await response.json()) as T;
}

async function expectAccessible(page: Page, view: string) {
  const violations = await seriousAccessibilityViolations(page);
  expect(violations, `serious or critical axe findings on ${view}`).toEqual([]);
}

async function signIn(page: Page, key: string) {
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** A link of the console's sidebar. */
const nav = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name });
const rows = (page: Page) => page.locator('[data-conversation-id]');
const liveIs = (page: Page, state: string) =>
  page
    .getByTestId('live-state')
    .filter({ hasText: new RegExp(`^${state}$`) })
    .waitFor();

describe('the console', () => {
  // one long story through every view: its steps each wait for what the page shows
  it('follows a customer from Telegram to SMS live, replies, replays quarantine, and survives a restart', {
    timeout: 120_000,
  }, async () => {
    const directory = gatewayWorkspace();
    let gateway = await startGateway(directory, 'first-secret');
    cleanups.push(() => gateway.app.gateway.close());
    await api(gateway.app, '/v1/webhooks', { url: hookUrl });
    const { page, blocked, pageErrors } = await openIsolatedPage(browser);

    // A wrong key says so.
    await page.goto(`${gateway.base}/console`);
    await expectAccessible(page, 'sign-in');
    await signIn(page, 'not-a-key');
    await page.getByRole('alert').filter({ hasText: 'That API key was not accepted' }).waitFor();
    await screenshot(page, '01-sign-in-wrong-key');

    await signIn(page, apiKey);
    await page.getByRole('heading', { name: 'Conversations' }).waitFor();
    await liveIs(page, 'Live');
    await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });

    // A Telegram message appears without a reload.
    expect(
      (await telegramText(gateway.app, 'first-secret', 1, 777001, 'Ana', 'Hi, where is my order?'))
        .status,
    ).toBe(200);
    const anaRow = rows(page).filter({ hasText: 'Hi, where is my order?' });
    await anaRow.waitFor();
    expect(await anaRow.textContent()).toContain('Telegram');
    expect(
      await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded),
    ).toBe(true);
    await expectAccessible(page, 'conversations');
    await screenshot(page, '02-conversations');

    // Open it; link the customer's phone on the contact page.
    await anaRow.locator('a').click();
    const timeline = page.getByTestId('timeline');
    await timeline.locator('article').filter({ hasText: 'Hi, where is my order?' }).waitFor();
    const conversationUrl = page.url();
    await page.getByRole('heading', { level: 1 }).getByRole('link').click();
    await page.getByRole('heading', { name: 'Identities' }).waitFor();
    await page.getByLabel('Channel').selectOption('sms');
    await page.getByLabel('Address').fill(customerNumber);
    await page.getByRole('button', { name: 'Link', exact: true }).click();
    await page.getByRole('cell', { name: customerNumber }).waitFor();
    await expectAccessible(page, 'contact');
    await screenshot(page, '03-contact');

    // The customer writes on SMS: the message joins the same timeline.
    await page.goto(conversationUrl);
    await timeline.locator('article').first().waitFor();
    const smsInbound = signedWith('inbound-text', {
      From: customerNumber,
      Body: 'Can I change the delivery address?',
      MessageSid: 'SM00000000000000000000000000000a01',
      SmsSid: 'SM00000000000000000000000000000a01',
    });
    expect((await post(gateway.app, '/webhooks/sms/sms', smsInbound)).status).toBe(200);
    const smsArticle = timeline
      .locator('article')
      .filter({ hasText: 'Can I change the delivery address?' });
    await smsArticle.locator('[data-channel="sms"]').waitFor();
    await page.getByText('The customer moved from Telegram to SMS').waitFor();
    expect(await timeline.locator('article [data-channel="telegram"]').count()).toBe(1);
    const conversations = await api<{ data: Conversation[] }>(gateway.app, '/v1/conversations');
    expect(conversations.data).toHaveLength(1);

    // Reply where the customer is (SMS): buttons are shown as a numbered list first.
    let releaseSend!: () => void;
    const sendHeld = new Promise<void>((resolve) => {
      releaseSend = resolve;
    });
    providers.use(
      http.post(`${twilio.apiBase}/2010-04-01/Accounts/${accountSid}/Messages.json`, async () => {
        await sendHeld;
        return undefined;
      }),
    );
    await page.getByLabel('Message', { exact: true }).fill('Yes: which address should we use?');
    await page.getByLabel('Buttons (optional, comma separated)').fill('Keep it, Change it');
    const preview = page.getByTestId('render-preview');
    await preview.filter({ hasText: '1. Keep it' }).waitFor();
    expect(await preview.textContent()).toContain('On SMS');
    await expectAccessible(page, 'conversation');
    await screenshot(page, '04-conversation-reply-preview');
    await page.getByRole('button', { name: 'Send' }).click();
    const reply = timeline
      .locator('article.outbound')
      .filter({ hasText: 'which address should we use?' });
    await reply.locator('[data-status="queued"]').waitFor();
    releaseSend();
    await reply.locator('[data-status="sent"]').waitFor();
    const sid = twilioFake.messages.at(-1)?.sid;
    expect(twilioFake.messages.at(-1)?.form.get('Body')).toContain('1. Keep it');
    expect(
      (await post(gateway.app, '/webhooks/sms/sms', signedStatusFor('status-delivered', sid!)))
        .status,
    ).toBe(200);
    await reply.locator('[data-status="delivered"]').waitFor();
    expect(await reply.locator('[data-channel="sms"]').count()).toBe(1);
    await screenshot(page, '05-conversation-delivered');

    // A Telegram update signed with a secret the gateway does not know yet is quarantined.
    expect(
      (await telegramText(gateway.app, 'rotated-secret', 2, 888002, 'Bruno', 'Hello from Bruno'))
        .status,
    ).toBe(401);
    await nav(page, 'Quarantine').click();
    const entry = page.locator('[data-quarantine-id]').first();
    await entry.waitFor();
    expect(await entry.textContent()).toContain('telegram');
    await entry.locator('summary', { hasText: 'Payload' }).click();
    await entry.getByText('Hello from Bruno').waitFor();
    await expectAccessible(page, 'quarantine');
    await screenshot(page, '06-quarantine');

    // Connectors and webhooks.
    await nav(page, 'Connectors').click();
    await page.locator('[data-connector-id="telegram"]').waitFor();
    await page.locator('[data-connector-id="sms"]').waitFor();
    await expectAccessible(page, 'connectors');
    await screenshot(page, '07-connectors');
    // the subscriber answers 503: once a request is recorded, its log shows it
    const [subscription] = (await api<{ data: Array<{ id: string }> }>(gateway.app, '/v1/webhooks'))
      .data;
    while (
      (await api<{ data: unknown[] }>(gateway.app, `/v1/webhooks/${subscription!.id}/deliveries`))
        .data.length === 0
    )
      await new Promise((resolve) => setTimeout(resolve, 50));
    await nav(page, 'Webhooks').click();
    await page.locator('[data-webhook-id]').filter({ hasText: hookUrl }).waitFor();
    const request = page.getByTestId(`deliveries-${subscription!.id}`).locator('tbody tr').first();
    await request.filter({ hasText: '503' }).filter({ hasText: 'failed, will retry' }).waitFor();
    await expectAccessible(page, 'webhooks');
    await screenshot(page, '08-webhooks');

    // The gateway restarts with the rotated secret; a message arrives while the console is
    // still reconnecting; the stream resumes and the quarantined update replays.
    await nav(page, 'Conversations').click();
    await rows(page).first().waitFor();
    await gateway.app.gateway.close();
    await liveIs(page, 'Reconnecting…');
    gateway = await startGateway(directory, 'rotated-secret', gateway.port);
    expect(
      (
        await telegramText(
          gateway.app,
          'rotated-secret',
          3,
          999003,
          'Chen',
          'Is the shop open today?',
        )
      ).status,
    ).toBe(200);
    await liveIs(page, 'Live');
    await rows(page).filter({ hasText: 'Is the shop open today?' }).waitFor();

    await nav(page, 'Quarantine').click();
    await page
      .locator('[data-quarantine-id]')
      .first()
      .getByRole('button', { name: 'Replay' })
      .click();
    await page.getByRole('status').filter({ hasText: 'Replayed: 1 message taken in.' }).waitFor();
    await screenshot(page, '09-quarantine-replayed');

    await nav(page, 'Conversations').click();
    await rows(page).filter({ hasText: 'Hello from Bruno' }).waitFor();
    await page.getByText('3 conversations').waitFor();
    const ids = await rows(page).evaluateAll((items) =>
      items.map((item) => item.getAttribute('data-conversation-id')),
    );
    const stored = await api<{ data: Conversation[] }>(gateway.app, '/v1/conversations');
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(stored.data.map((conversation) => conversation.id).sort());
    // newest activity first: Bruno's replayed message, then Chen, then Ana
    expect(await rows(page).first().textContent()).toContain('Hello from Bruno');
    await screenshot(page, '10-conversations-after-restart');

    // A new message moves a conversation to the top.
    const again = signedWith('inbound-text', {
      From: customerNumber,
      Body: 'Keep it',
      MessageSid: 'SM00000000000000000000000000000a02',
      SmsSid: 'SM00000000000000000000000000000a02',
    });
    expect((await post(gateway.app, '/webhooks/sms/sms', again)).status).toBe(200);
    // rows are drawn in list order: the first one is the top of the list
    await page.waitForFunction(() =>
      document.querySelector('[data-conversation-id]')?.textContent?.includes('Keep it'),
    );
    expect(await rows(page).count()).toBe(3);

    // Dark mode follows the system setting and keeps its contrast.
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(conversationUrl);
    await reply.locator('[data-status="delivered"]').waitFor();
    await expectAccessible(page, 'conversation in dark mode');
    await screenshot(page, '12-conversation-dark');

    expect(blocked).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});

describe('the conversation list at scale', () => {
  it('stays operable with 10,000 conversations: rows are drawn only where the list is seen', {
    timeout: 60_000,
  }, async () => {
    const directory = gatewayWorkspace();
    const gateway = await startGateway(directory, 'first-secret');
    cleanups.push(() => gateway.app.gateway.close());
    const { store, engine } = gateway.app.gateway;
    const start = Date.parse('2026-06-01T00:00:00.000Z');
    await store.write(async (tx) => {
      for (let index = 0; index < 10_000; index += 1) {
        const at = new Date(start + index * 60_000).toISOString();
        const contactId = engine.ids.next();
        await tx.insertContact({
          id: contactId,
          name: `Customer ${index}`,
          channelPreference: [],
          optedOut: [],
          createdAt: at,
          updatedAt: at,
          mergedIntoId: null,
        });
        await tx.insertIdentity(contactId, {
          channel: 'sms',
          address: `+1415${String(index).padStart(7, '0')}`,
          verified: true,
          source: 'inbound',
          createdAt: at,
        });
        await tx.insertConversation(
          testConversation(at, {
            id: engine.ids.next(),
            contactId,
            status: index % 3 === 0 ? 'resolved' : 'open',
            resolvedAt: index % 3 === 0 ? at : null,
          }),
        );
      }
    });

    const { page, blocked, pageErrors } = await openIsolatedPage(browser);
    await page.goto(`${gateway.base}/console/`);
    await signIn(page, apiKey);
    await rows(page).filter({ hasText: 'Customer 9999' }).waitFor();
    await page.getByText('100 conversations loaded so far').waitFor();

    // Scrolling to the end of what is loaded fetches the next page; the DOM stays small.
    const viewport = page.getByTestId('conversation-list');
    for (const loaded of [200, 300, 400]) {
      await viewport.evaluate((element) => {
        element.scrollTop = element.scrollHeight;
      });
      await page.getByText(`${loaded} conversations loaded so far`).waitFor();
      expect(await rows(page).count()).toBeLessThanOrEqual(40);
    }
    // the rows drawn are the ones deep down the list, where it was scrolled to
    // (its contact's name arrives a moment after the row itself)
    const deepestName = await page.waitForFunction(() => {
      const drawn = document.querySelectorAll('[data-conversation-id]');
      return /Customer (\d+)/.exec(drawn[drawn.length - 1]?.textContent ?? '')?.[1];
    });
    const deepest = Number(await deepestName.jsonValue());
    expect(10_000 - 1 - deepest).toBeGreaterThanOrEqual(290);
    await screenshot(page, '11-conversations-10000-scrolled');

    // Keyboard: the first row's link takes focus and opens the conversation.
    // (the scroll event redraws the rows a frame later: wait for the top row before focusing,
    // or focus lands on a deep row that the redraw then removes)
    await viewport.evaluate((element) => {
      element.scrollTop = 0;
    });
    await page.waitForFunction(() =>
      document.querySelector('[data-conversation-id]')?.textContent?.includes('Customer 9999'),
    );
    await rows(page).first().locator('a').focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Customer 9999' }).waitFor();

    // Search by address finds one conversation among the 10,000.
    await nav(page, 'Conversations').click();
    await page.getByLabel('Contact address').fill('+14150004321');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('1 conversation', { exact: true }).waitFor();
    expect(await rows(page).count()).toBe(1);
    await rows(page).filter({ hasText: 'Customer 4321' }).waitFor();

    // Filters combine with the search: customer 4321 is open, not resolved.
    await page.getByLabel('Status').selectOption('resolved');
    await page.getByText('No conversations match these filters.').waitFor();
    await expectAccessible(page, 'conversations filtered');

    expect(blocked).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});

describe('the switchboard in the console', () => {
  it('shows who is in control, passes control with metadata, and resolves and reopens', {
    timeout: 60_000,
  }, async () => {
    const gateway = await startGateway(gatewayWorkspace(), 'first-secret');
    cleanups.push(() => gateway.app.gateway.close());
    const app = gateway.app;
    const desk = await api<{ id: string }>(app, '/v1/integrations', { name: 'Help desk' });
    const bot = await api<{ id: string }>(app, '/v1/integrations', {
      name: 'Order bot',
      next: desk.id,
    });
    const enabled = await app.request('/v1/switchboard', {
      method: 'PUT',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: true, defaultIntegrationId: bot.id }),
    });
    expect(enabled.status).toBe(200);
    const inbound = signedWith('inbound-text', {
      From: customerNumber,
      Body: 'Where is my refund?',
      MessageSid: 'SM00000000000000000000000000000c01',
      SmsSid: 'SM00000000000000000000000000000c01',
    });
    expect((await post(app, '/webhooks/sms/sms', inbound)).status).toBe(200);
    const list = await api<{ data: Conversation[] }>(app, '/v1/conversations');
    const conversationId = list.data[0]!.id;

    const { page, blocked, pageErrors } = await openIsolatedPage(browser);
    await page.goto(`${gateway.base}/console/#/conversations/${conversationId}`);
    await signIn(page, apiKey);
    const panel = page.getByTestId('control');
    await panel.getByTestId('active-integration').filter({ hasText: 'Order bot' }).waitFor();

    // A wrong metadata box says what is wrong, and passes nothing.
    await panel.getByLabel('Pass control to').selectOption({ label: 'Help desk' });
    await panel.getByLabel('Handoff metadata (JSON object, optional)').fill('{"intent": refund}');
    await panel.getByRole('button', { name: 'Pass control' }).click();
    await panel.getByRole('alert').filter({ hasText: 'Metadata is not valid JSON' }).waitFor();

    await panel
      .getByLabel('Handoff metadata (JSON object, optional)')
      .fill('{"intent": "refund", "orderId": "A-1001"}');
    await panel.getByRole('button', { name: 'Pass control' }).click();
    await panel.getByTestId('active-integration').filter({ hasText: 'Help desk' }).waitFor();
    // the handoff is a marker in the timeline, with what was handed over
    const marker = page
      .getByTestId('handoff')
      .filter({ hasText: 'Control passed (api) to Help desk' });
    await marker.filter({ hasText: 'A-1001' }).waitFor();
    const control = await api<{ control: { activeIntegrationId: string; metadata: unknown } }>(
      app,
      `/v1/conversations/${conversationId}`,
    );
    expect(control.control).toMatchObject({
      activeIntegrationId: desk.id,
      metadata: { intent: 'refund', orderId: 'A-1001' },
    });
    await expectAccessible(page, 'conversation with control');
    await screenshot(page, '15-conversation-control-passed');

    // The list filtered by who is in control follows control as it moves.
    await nav(page, 'Conversations').click();
    await page.getByLabel('In control').selectOption({ label: 'Help desk' });
    await page.getByText('1 conversation', { exact: true }).waitFor();
    await expectAccessible(page, 'conversations by integration');
    await api(app, `/v1/conversations/${conversationId}/control/pass`, { to: bot.id });
    await page.getByText('No conversations match these filters.').waitFor();
    await page.getByLabel('In control').selectOption({ label: 'Order bot' });
    await rows(page).first().locator('a').click();
    await panel.getByTestId('active-integration').filter({ hasText: 'Order bot' }).waitFor();

    // Resolve, then reopen from the console.
    await page.getByRole('button', { name: 'Resolve' }).click();
    await page.getByRole('button', { name: 'Reopen' }).click();
    await page.getByRole('button', { name: 'Resolve' }).waitFor();
    const reopened = await api<Conversation>(app, `/v1/conversations/${conversationId}`);
    expect(reopened.status).toBe('open');

    expect(blocked).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});

describe('analytics in the console', () => {
  it('shows response and resolution figures and charts for a conversation answered and resolved', {
    timeout: 60_000,
  }, async () => {
    const gateway = await startGateway(gatewayWorkspace(), 'first-secret');
    cleanups.push(() => gateway.app.gateway.close());
    const app = gateway.app;
    const inbound = signedWith('inbound-text', {
      From: customerNumber,
      Body: 'Is my order on its way?',
      MessageSid: 'SM00000000000000000000000000000d01',
      SmsSid: 'SM00000000000000000000000000000d01',
    });
    expect((await post(app, '/webhooks/sms/sms', inbound)).status).toBe(200);
    const [conversation] = (await api<{ data: Conversation[] }>(app, '/v1/conversations')).data;
    await api(app, '/v1/messages', {
      contactId: conversation!.contactId,
      content: { type: 'text', text: 'It left the warehouse this morning.' },
    });
    // the reply counts once the provider took it
    while (
      (await api<{ firstResponse: { count: number } }>(app, '/v1/analytics/summary')).firstResponse
        .count === 0
    )
      await new Promise((resolve) => setTimeout(resolve, 50));
    await api(app, `/v1/conversations/${conversation!.id}/resolve`, {});

    const { page, blocked, pageErrors } = await openIsolatedPage(browser);
    await page.goto(`${gateway.base}/console/#/analytics`);
    await signIn(page, apiKey);
    const figure = (name: string) => page.locator(`[data-figure="${name}"]`);
    await figure('First response').filter({ hasText: '1 answered' }).waitFor();
    await figure('Resolution').filter({ hasText: '1 resolved' }).waitFor();
    expect(await figure('Reopen rate').locator('.figure-value').textContent()).toBe('0 %');
    // four charts, each drawn and each readable as a table
    const charts = page.locator('figure.chart');
    await charts.nth(3).locator('canvas').first().waitFor();
    expect(await charts.count()).toBe(4);
    const lifecycle = charts.filter({ hasText: 'Conversations opened, resolved and reopened' });
    await lifecycle.getByText('Show as a table').click();
    const bucketWithActivity = lifecycle.locator('tbody tr').filter({ hasText: /^.*\d.*1.*1.*0$/ });
    expect(await bucketWithActivity.count()).toBeGreaterThanOrEqual(1);
    await expectAccessible(page, 'analytics');
    await screenshot(page, '16-analytics');

    // a channel with no traffic shows no figures, not an error
    await page
      .getByRole('form', { name: 'Analytics range' })
      .getByLabel('Channel')
      .selectOption({ label: 'Telegram' });
    await figure('First response').filter({ hasText: '0 answered' }).waitFor();

    expect(blocked).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});

describe('a WhatsApp linked device', () => {
  it('shows the pairing QR code while the session waits, then the logged-out state', {
    timeout: 60_000,
  }, async () => {
    const client = new FakeWhatsAppWebClient();
    const gateway = await startGateway(gatewayWorkspace(), 'first-secret', 0, [
      createWhatsAppWebConnector({ client, session: 'console-test' }),
    ]);
    cleanups.push(() => gateway.app.gateway.close());
    client.emit('qr', '2@pairing-code-from-whatsapp-web,console-test');

    const { page, blocked, pageErrors } = await openIsolatedPage(browser);
    await page.goto(`${gateway.base}/console/#/connectors`);
    await signIn(page, apiKey);
    const card = page.locator('[data-connector-id="whatsapp-web"]');
    const qr = card.getByRole('img', { name: 'Pairing QR code for whatsapp-web' });
    await qr.waitFor();
    expect(
      await qr.evaluate((image: HTMLImageElement) => image.complete && image.naturalWidth),
    ).toBeGreaterThan(0);
    await expectAccessible(page, 'connectors with a pairing code');
    await screenshot(page, '13-connectors-whatsapp-pairing');

    client.emit('disconnected', 'LOGOUT');
    await card
      .getByTestId('pairing-state')
      .filter({ hasText: 'logged out from the phone' })
      .waitFor();
    expect(await qr.count()).toBe(0);
    await screenshot(page, '14-connectors-whatsapp-logged-out');

    expect(blocked).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
