import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { twilioSignature } from '@threadline/connector-kit';
import type { Message, ThreadlineEvent } from '@threadline/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restartableGateway } from './test-support/gateway-process.js';
import { startTwilioMessagesServer } from './test-support/twilio-messages-server.js';

/**
 * Real processes: a gateway child ingesting signed Twilio webhooks is killed with SIGKILL.
 * After a restart on the same data directory, every request that got a 2xx is stored
 * exactly once, every send the API accepted reaches the (fake) provider, and the analytics
 * fold (running when the process died) counts each event once.
 */
const accountSid = 'AC00000000000000000000000000000000';
const authToken = 'crash-test-token';
const apiKey = 'crash-test-key';

describe('crash recovery (SIGKILL)', () => {
  const dataDirectory = mkdtempSync(join(tmpdir(), 'threadline-crash-'));
  const gateway = restartableGateway(dataDirectory, () => ({
    THREADLINE_API_KEYS: apiKey,
    TWILIO_ACCOUNT_SID: accountSid,
    TWILIO_AUTH_TOKEN: authToken,
    TWILIO_FROM_NUMBER: '+14155550000',
    TWILIO_API_BASE: provider.url,
    TWILIO_RATE_LIMIT_PER_SECOND: '100',
  }));
  const base = gateway.base;
  let provider: Awaited<ReturnType<typeof startTwilioMessagesServer>>;

  beforeAll(async () => {
    provider = await startTwilioMessagesServer();
  });

  afterAll(async () => {
    gateway.child?.kill('SIGKILL');
    await provider.close();
    rmSync(dataDirectory, { recursive: true, force: true });
  });

  function inboundRequest(index: number) {
    const url = `${base()}/webhooks/sms/sms`;
    const params: Array<[string, string]> = [
      ['AccountSid', accountSid],
      ['MessageSid', `SMin${String(index).padStart(30, '0')}`],
      ['From', `+1415555${String(2000 + (index % 50))}`],
      ['To', '+14155550000'],
      ['Body', `message ${index}`],
      ['NumMedia', '0'],
    ];
    return fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSignature(authToken, url, params),
      },
      body: new URLSearchParams(params).toString(),
    });
  }

  it('keeps every acknowledged webhook exactly once and completes queued sends after SIGKILL', async () => {
    await gateway.start();
    for (const path of ['/docs', '/openapi.json'])
      expect((await fetch(`${base()}/${path.slice(1)}`)).status).toBe(200);

    // a few customers so replies have somewhere to go
    for (let index = 0; index < 5; index++) {
      const response = await inboundRequest(index);
      expect(response.status, `${await response.text()} ${gateway.output()}`).toBe(200);
    }
    const acknowledged = new Set<number>([0, 1, 2, 3, 4]);
    const acceptedSends: Array<{ id: string; text: string }> = [];

    let next = 5;
    let killed = false;
    const worker = async () => {
      while (!killed && next < 2000) {
        const index = next++;
        try {
          const response = await inboundRequest(index);
          if (response.status === 200) acknowledged.add(index);
          if (index % 10 === 0) {
            const send = await fetch(`${base()}/v1/messages`, {
              method: 'POST',
              headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
              body: JSON.stringify({
                to: { channel: 'sms', address: `+1415555${String(2000 + (index % 50))}` },
                content: { type: 'text', text: `reply ${index}` },
              }),
            });
            if (send.status === 202)
              acceptedSends.push({
                id: ((await send.json()) as Message).id,
                text: `reply ${index}`,
              });
          }
        } catch {
          // the connection died with the process: not acknowledged
        }
      }
    };
    const workers = Array.from({ length: 16 }, worker);
    while (acknowledged.size < 150) await new Promise((resolve) => setTimeout(resolve, 5));
    gateway.child!.kill('SIGKILL');
    killed = true;
    await Promise.all(workers);
    if (gateway.child!.exitCode === null && gateway.child!.signalCode === null)
      await new Promise((resolve) => gateway.child!.once('exit', resolve));
    expect(acknowledged.size).toBeGreaterThanOrEqual(150);

    await gateway.start();
    const events: ThreadlineEvent[] = [];
    for (let after = 0; ; ) {
      const page = (await (
        await fetch(
          `${base()}/v1/events?format=json&after=${after}&limit=1000&types=message.received`,
          { headers: { authorization: `Bearer ${apiKey}` } },
        )
      ).json()) as {
        data: ThreadlineEvent[];
        nextCursor: number;
      };
      events.push(...page.data);
      if (page.nextCursor === after) break;
      after = page.nextCursor;
    }
    const stored = events.flatMap((event) =>
      event.type === 'message.received' ? [event.data.message.externalId!] : [],
    );
    expect(new Set(stored).size).toBe(stored.length);
    for (const index of acknowledged)
      expect(stored).toContain(`SMin${String(index).padStart(30, '0')}`);

    const deadline = Date.now() + 30_000;
    const pending = new Set(acceptedSends.map((send) => send.id));
    while (pending.size > 0 && Date.now() < deadline) {
      for (const id of [...pending]) {
        const message = (await (
          await fetch(`${base()}/v1/messages/${id}`, {
            headers: { authorization: `Bearer ${apiKey}` },
          })
        ).json()) as Message;
        if (message.status !== 'queued') {
          expect(message.status).toBe('sent');
          pending.delete(id);
        }
      }
      if (pending.size) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(
      [...pending],
      `sends still queued; gateway output: ${gateway.output().slice(-2000)}`,
    ).toEqual([]);
    expect(acceptedSends.length).toBeGreaterThan(0);
    for (const send of acceptedSends)
      expect(
        provider.received.map((sent) => sent.body),
        send.text,
      ).toContain(send.text);

    // the analytics were being folded when the process died: each event counts once
    const summary = async () =>
      (await (
        await fetch(`${base()}/v1/analytics/summary`, {
          headers: { authorization: `Bearer ${apiKey}` },
        })
      ).json()) as { conversations: { messagesReceived: number; opened: number } };
    const folded = await summary();
    expect(folded.conversations.messagesReceived).toBe(stored.length);
    expect(folded.conversations.opened).toBe(50);
    const rebuilt = await fetch(`${base()}/v1/analytics/rebuild`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(rebuilt.status).toBe(200);
    expect(await summary()).toEqual(folded);
    gateway.child!.kill('SIGTERM');
  }, 120_000);
});
