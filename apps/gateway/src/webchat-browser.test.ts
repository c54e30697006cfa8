import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MockConnector } from '@threadline/connector-kit';
import {
  createWebchatConnector,
  signWebchatIdentityToken,
  type WebchatConnector,
} from '@threadline/connector-webchat';
import { TestVisitor } from '@threadline/connector-webchat/test';
import type { EventOf, Message, ThreadlineEvent } from '@threadline/schema';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type ThreadlineApp } from './create-app.js';
import { gatewayClient, launchChromium } from './test-support/webchat-browser.js';

const apiKey = 'k';
const identitySecret = 'site-secret';
const screenshotFile = fileURLToPath(new URL('../test-artifacts/webchat.png', import.meta.url));

let directory: string;
let app: ThreadlineApp;
let webchat: WebchatConnector;
let email: MockConnector;
let browser: Browser | undefined;
let baseUrl: string;
let api: ReturnType<typeof gatewayClient>;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'threadline-webchat-'));
  webchat = createWebchatConnector({ identitySecret, env: {} });
  email = new MockConnector({ channel: 'email', id: 'email' });
  app = createApp({
    dataDirectory: directory,
    apiKeys: [apiKey],
    connectorsFromEnv: false,
    connectors: [webchat, email],
    logLevel: 'silent',
    env: {},
  });
  await app.gateway.start();
  const { port } = await app.gateway.listen(0);
  baseUrl = `http://127.0.0.1:${port}`;
  api = gatewayClient(baseUrl, apiKey);
});

afterAll(async () => {
  await browser?.close();
  // closes any socket a failed test left open, so the server can close
  await webchat?.stop();
  await app?.gateway.close();
  rmSync(directory, { recursive: true, force: true });
});

/** A `message.received` event whose message matches. */
function received(match: (message: Message) => boolean) {
  return (event: ThreadlineEvent): event is EventOf<'message.received'> =>
    event.type === 'message.received' && match(event.data.message);
}

const isText = (text: string) => (message: Message) =>
  message.content.type === 'text' && message.content.text === text;

/** The texts of the messages the widget shows, in order. */
function shownMessages(page: Page): Promise<string[]> {
  return page
    .locator('[data-threadline-webchat] .tl-message .tl-bubble')
    .evaluateAll((bubbles) => bubbles.map((bubble) => bubble.textContent ?? ''));
}

describe('the web chat widget in a real browser', () => {
  it('chats with an app: send, reply, reload, press a button', async () => {
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/`);
    const chat = page.locator('[data-threadline-webchat]');

    // the visitor writes; the app sees it as message.received
    const input = chat.getByRole('textbox', { name: 'Message' });
    await input.fill('Hello from the browser 👋');
    await input.press('Enter');
    const hello = await api.waitForEvent(received(isText('Hello from the browser 👋')));
    const { contactId, conversationId, channel, from } = hello.data.message;
    expect(channel).toBe('webchat');
    await chat
      .locator('.tl-visitor[data-status="sent"]', { hasText: 'Hello from the browser' })
      .waitFor();

    // the app shows "typing…", then replies through the consumer API
    expect(webchat.setTyping(from.address, true)).toBe(1);
    await chat.getByText('Typing…').waitFor();
    const reply = (await api.call('/v1/messages', {
      json: { contactId, content: { type: 'text', text: 'Hi! How can we help?' } },
    })) as unknown as Message;
    expect(reply.conversationId).toBe(conversationId);
    await chat.getByText('Hi! How can we help?').waitFor();
    await chat.getByText('Typing…').waitFor({ state: 'hidden' });

    // the widget reported it shown and read: the chat is open in a focused page
    await expect
      .poll(async () => ((await api.call(`/v1/messages/${reply.id}`)) as { status: string }).status)
      .toBe('read');

    // a reload shows the whole conversation once, in order
    await page.reload();
    await chat.getByText('Hi! How can we help?').waitFor();
    expect(await shownMessages(page)).toEqual([
      'Hello from the browser 👋',
      'Hi! How can we help?',
    ]);

    // buttons are real buttons; a press arrives as a postback
    await api.call('/v1/messages', {
      json: {
        contactId,
        content: {
          type: 'interactive',
          text: 'What would you like to do?',
          buttons: [
            { id: 'track_order', title: 'Track my order' },
            { id: 'talk_to_agent', title: 'Talk to a person' },
          ],
        },
      },
    });
    await chat.getByRole('button', { name: 'Track my order' }).click();
    const postback = await api.waitForEvent(
      received((message) => message.content.type === 'postback'),
    );
    expect(postback.data.message.content).toEqual({
      type: 'postback',
      payload: 'track_order',
      title: 'Track my order',
    });
    expect(postback.data.message.conversationId).toBe(conversationId);
    await chat.locator('.tl-visitor[data-status="sent"]', { hasText: 'Track my order' }).waitFor();

    mkdirSync(join(screenshotFile, '..'), { recursive: true });
    await page.screenshot({ path: screenshotFile });

    await page.reload();
    await chat.getByText('What would you like to do?').waitFor();
    await chat.locator('.tl-message', { hasText: 'Track my order' }).last().waitFor();
    expect(await shownMessages(page)).toEqual([
      'Hello from the browser 👋',
      'Hi! How can we help?',
      'What would you like to do?Track my orderTalk to a person',
      'Track my order',
    ]);
    const pressed = chat.getByRole('button', { name: 'Track my order' });
    expect(await pressed.getAttribute('aria-pressed')).toBe('true');
    expect(await pressed.isDisabled()).toBe(true);
  }, 120_000); // a real browser on a busy 2-core CI machine: starting Chromium alone can take seconds
});

describe('identity tokens from the host website', () => {
  const socketUrl = () => `${baseUrl.replace('http', 'ws')}/webchat/ws`;
  const token = (exp: number, secret = identitySecret) =>
    signWebchatIdentityToken({ email: 'ada@example.com', name: 'Ada Lovelace', exp }, secret);
  const inFiveMinutes = () => Math.floor(Date.now() / 1000) + 300;

  async function seedEmailConversation() {
    const request = email.request({
      kind: 'message',
      id: 'email-1',
      from: 'Ada Lovelace <Ada@Example.com>',
      content: { type: 'text', text: 'My order #4512 has not arrived.' },
    });
    const response = await fetch(`${baseUrl}/webhooks/email/email`, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
    });
    expect(response.status).toBe(200);
    const event = await api.waitForEvent(received((message) => message.externalId === 'email-1'));
    return event.data.message;
  }

  let emailMessage: Message;
  beforeAll(async () => {
    emailMessage = await seedEmailConversation();
  });

  async function chatAs(identityToken: string | undefined, text: string) {
    const visitor = await TestVisitor.connect(socketUrl());
    const { welcome } = await visitor.hello(identityToken ? { identityToken } : {});
    visitor.sendText(crypto.randomUUID(), text);
    await visitor.next('ack');
    const event = await api.waitForEvent(received(isText(text)));
    return { visitor, welcome, message: event.data.message };
  }

  it('joins a visitor with a valid token to the email conversation of that customer', async () => {
    const { visitor, welcome, message } = await chatAs(
      token(inFiveMinutes()),
      'Any news on my order?',
    );
    expect(welcome.identified).toBe(true);
    expect(message.contactId).toBe(emailMessage.contactId);
    expect(message.conversationId).toBe(emailMessage.conversationId);
    // the widget now shows the conversation begun by email
    const history = await visitor.next('history', (frame) => frame.messages.length > 0);
    expect(history.messages.map((entry) => entry.content)).toEqual([
      { type: 'text', text: 'My order #4512 has not arrived.' },
      { type: 'text', text: 'Any news on my order?' },
    ]);
    const contact = (await api.call(`/v1/contacts/${emailMessage.contactId}`)) as {
      identities: Array<{ channel: string; address: string; source: string }>;
    };
    expect(contact.identities).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ channel: 'webchat', address: visitor.visitorId }),
      ]),
    );
    await visitor.close();
  });

  it.each([
    ['forged', () => token(inFiveMinutes(), 'a-guessed-secret'), 'identity_invalid'],
    ['expired', () => token(Math.floor(Date.now() / 1000) - 60), 'identity_expired'],
  ])('refuses a %s token and links nothing', async (name, makeToken, code) => {
    const emailContact = emailMessage.contactId;
    const text = `Hello with a ${name} token`;
    const { visitor, welcome, message } = await chatAs(makeToken(), text);
    expect(visitor.frames[0]).toMatchObject({ type: 'error', code });
    expect(welcome.identified).toBe(false);
    expect(message.contactId).not.toBe(emailContact);
    const contact = (await api.call(`/v1/contacts/${emailContact}`)) as {
      identities: Array<{ channel: string; address: string }>;
    };
    expect(contact.identities.map((identity) => identity.address)).not.toContain(visitor.visitorId);
    expect(message.channelData.identityClaims).toBeUndefined();
    await visitor.close();
  });
});

describe('the demo page', () => {
  it('fits a phone screen, has a favicon, and says what the page shows', async () => {
    browser ??= await launchChromium();
    const page = await browser.newPage({ viewport: { width: 375, height: 740 } });
    const missing: string[] = [];
    page.on('response', (response) => {
      if (response.status() >= 400) missing.push(`${response.status()} ${response.url()}`);
    });
    await page.goto(`${baseUrl}/`);
    const chat = page.locator('[data-threadline-webchat]');
    await chat.getByRole('textbox', { name: 'Message' }).waitFor();

    // the curl examples wrap instead of running off the screen
    const blocks = await page
      .locator('main pre')
      .evaluateAll((elements) =>
        elements.map((element) => ({ scroll: element.scrollWidth, width: element.clientWidth })),
      );
    expect(blocks.length).toBeGreaterThan(1);
    for (const block of blocks) expect(block.scroll).toBeLessThanOrEqual(block.width);
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
    ).toBe(true);

    // a favicon of its own, and no request answered with an error
    expect(await page.locator('link[rel="icon"]').getAttribute('href')).toMatch(/^data:image\//);
    expect(missing).toEqual([]);

    // the text says the chat is open, and it is
    const text = await page.locator('main').innerText();
    expect(text).toContain('The chat is open in the corner');
    expect(await chat.getByRole('textbox', { name: 'Message' }).isVisible()).toBe(true);
    expect(text).toContain(`${baseUrl}/v1/conversations`);
    await page.close();
  });
});
