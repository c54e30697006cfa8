import type { ThreadlineEvent } from '@threadline/schema';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium, headless, as `.ci/run` installs it; no browser is ever downloaded. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/** The consumer API of a listening gateway, as an app calls it. */
export function gatewayClient(baseUrl: string, apiKey: string) {
  const headers = { authorization: `Bearer ${apiKey}` };
  const call = async (path: string, init: { method?: string; json?: unknown } = {}) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method: init.method ?? (init.json === undefined ? 'GET' : 'POST'),
      headers: {
        ...headers,
        ...(init.json === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(body)}`);
    return body;
  };

  return {
    call,
    /** Every event so far, oldest first (`GET /v1/events?format=json`). */
    async events(): Promise<ThreadlineEvent[]> {
      const events: ThreadlineEvent[] = [];
      let after = 0;
      for (;;) {
        const page = (await call(`/v1/events?format=json&after=${after}&limit=200`)) as {
          data: ThreadlineEvent[];
          nextCursor: number;
        };
        events.push(...page.data);
        if (page.data.length === 0 || page.nextCursor === after) return events;
        after = page.nextCursor;
      }
    },
    /**
     * Waits until an event matching `predicate` has been committed, reading the event log as an
     * app polling it would; fails with what it saw after `timeoutMs`.
     */
    async waitForEvent<T extends ThreadlineEvent>(
      predicate: (event: ThreadlineEvent) => event is T,
      timeoutMs = 10_000,
    ): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const events = await this.events();
        const found = events.find(predicate);
        if (found) return found;
        if (Date.now() > deadline) {
          throw new Error(
            `no matching event within ${timeoutMs} ms; saw ${events.map((event) => event.type).join(', ')}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}
