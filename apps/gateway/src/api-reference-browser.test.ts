import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type ThreadlineApp } from './create-app.js';
import { launchChromium } from './test-support/webchat-browser.js';

let directory: string;
let app: ThreadlineApp;
let browser: Browser | undefined;
let baseUrl: string;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'threadline-docs-'));
  app = createApp({
    dataDirectory: directory,
    connectorsFromEnv: false,
    logLevel: 'silent',
    env: {},
  });
  const { port } = await app.gateway.listen(0);
  baseUrl = `http://127.0.0.1:${port}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await app?.gateway.close();
  rmSync(directory, { recursive: true, force: true });
});

describe('the API reference at /docs', () => {
  it('renders every operation with the network limited to the gateway (air-gapped)', async () => {
    const context = await browser!.newContext();
    const leftTheMachine: string[] = [];
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1') return route.continue();
      leftTheMachine.push(url.href);
      return route.abort('internetdisconnected');
    });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));

    const response = await page.goto(`${baseUrl}/docs`);
    expect(response?.status()).toBe(200);
    await page.locator('.opblock').first().waitFor({ state: 'visible', timeout: 15_000 });

    const document = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const operations = Object.values(document.paths).flatMap((item) => Object.keys(item));
    expect(operations.length).toBeGreaterThan(20);
    await expect.poll(() => page.locator('.opblock').count()).toBe(operations.length);
    await expect
      .poll(() => page.locator('.opblock-summary-path', { hasText: /^\/v1\/messages$/ }).count())
      .toBeGreaterThan(0);
    expect(await page.title()).toBe('Threadline API reference');
    expect(leftTheMachine).toEqual([]);
    expect(pageErrors).toEqual([]);
    await context.close();
  });
});
