import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { twilioSignature } from '@threadline/connector-kit';
import type { ThreadlineEvent } from '@threadline/schema';
import { afterAll, describe, expect, it } from 'vitest';
import { restartableGateway } from './test-support/gateway-process.js';

/**
 * Real processes: a customer message starts the bot's response timeout, the gateway is killed
 * with SIGKILL before it is due, and after a restart on the same data directory the timeout
 * still passes control to the desk — once.
 */
const accountSid = 'AC00000000000000000000000000000000';
const authToken = 'switchboard-crash-token';
const apiKey = 'switchboard-crash-key';

describe('switchboard response timeout across SIGKILL', () => {
  const dataDirectory = mkdtempSync(join(tmpdir(), 'threadline-switchboard-crash-'));
  const gateway = restartableGateway(dataDirectory, () => ({
    THREADLINE_API_KEYS: apiKey,
    TWILIO_ACCOUNT_SID: accountSid,
    TWILIO_AUTH_TOKEN: authToken,
    TWILIO_FROM_NUMBER: '+14155550000',
    TWILIO_API_BASE: 'http://127.0.0.1:9',
  }));
  const base = gateway.base;

  afterAll(() => {
    gateway.child?.kill('SIGKILL');
    rmSync(dataDirectory, { recursive: true, force: true });
  });

  const api = async <T>(path: string, method = 'GET', body?: unknown): Promise<T> => {
    const response = await fetch(`${base()}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    expect(response.ok, `${method} ${path}: ${await response.clone().text()}`).toBe(true);
    return (await response.json()) as T;
  };

  const timeouts = async () =>
    (
      await api<{ data: ThreadlineEvent[] }>(
        '/v1/events?format=json&after=0&limit=1000&types=conversation.control_passed',
      )
    ).data.filter(
      (event) => event.type === 'conversation.control_passed' && event.data.reason === 'timeout',
    );

  it('fires the response timeout once after a restart', async () => {
    await gateway.start();
    const desk = await api<{ id: string }>('/v1/integrations', 'POST', { name: 'desk' });
    const bot = await api<{ id: string }>('/v1/integrations', 'POST', {
      name: 'bot',
      next: desk.id,
      responseTimeout: '5s',
    });
    await api('/v1/switchboard', 'PUT', { enabled: true, defaultIntegrationId: bot.id });

    const url = `${base()}/webhooks/sms/sms`;
    const params: Array<[string, string]> = [
      ['AccountSid', accountSid],
      ['MessageSid', `SMin${'1'.padStart(30, '0')}`],
      ['From', '+14155552999'],
      ['To', '+14155550000'],
      ['Body', 'is anyone there?'],
      ['NumMedia', '0'],
    ];
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSignature(authToken, url, params),
      },
      body: new URLSearchParams(params).toString(),
    });
    expect(response.status, gateway.output()).toBe(200);
    gateway.child!.kill('SIGKILL');
    if (gateway.child!.exitCode === null && gateway.child!.signalCode === null)
      await new Promise((resolve) => gateway.child!.once('exit', resolve));

    await gateway.start();
    const deadline = Date.now() + 60_000;
    let fired = await timeouts();
    while (fired.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      fired = await timeouts();
    }
    // the event commits with the job's completion, so a second firing would show here
    expect(fired, gateway.output()).toHaveLength(1);
    expect(fired[0]!.data).toMatchObject({ from: bot.id, to: desk.id, reason: 'timeout' });
    const conversationId =
      fired[0]!.type === 'conversation.control_passed' ? fired[0]!.data.conversationId : '';
    const conversation = await api<{ control: { activeIntegrationId: string } }>(
      `/v1/conversations/${conversationId}`,
    );
    expect(conversation.control.activeIntegrationId).toBe(desk.id);
    gateway.child!.kill('SIGTERM');
  }, 120_000);
});
