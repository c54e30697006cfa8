import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockConnector, type MockPayload } from '@threadline/connector-kit';
import { createManualClock } from '@threadline/engine';
import type { GatewayConfigInput } from '../config.js';
import { createApp } from '../create-app.js';

export const apiKey = 'test-key-0123456789';
export const authorization = { authorization: `Bearer ${apiKey}` };

/** A gateway over a real SQLite file in a temp dir, with mock connectors for sms, whatsapp and telegram. */
export function createTestGateway(overrides: GatewayConfigInput = {}) {
  const directory = mkdtempSync(join(tmpdir(), 'threadline-gateway-'));
  const clock = createManualClock('2026-06-01T12:00:00.000Z');
  const sms = new MockConnector({
    channel: 'sms',
    capabilities: { buttons: null, media: [], maxAttachments: 0, text: { maxLength: 1600 } },
  });
  const whatsapp = new MockConnector({ channel: 'whatsapp' });
  const telegram = new MockConnector({ channel: 'telegram' });
  const app = createApp({
    dataDirectory: directory,
    apiKeys: [apiKey],
    connectorsFromEnv: false,
    connectors: [sms, whatsapp, telegram],
    logLevel: 'silent',
    clock,
    env: {},
    ...overrides,
  });
  const deliver = (connector: MockConnector, payload: MockPayload, signature?: string) => {
    const request = connector.request(payload, signature === undefined ? {} : { signature });
    return app.request(`/webhooks/${connector.channel}/${connector.id}`, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
    });
  };
  const api = (path: string, init: RequestInit & { json?: unknown } = {}) => {
    const { json, headers, ...rest } = init;
    return app.request(path, {
      ...rest,
      headers: {
        ...authorization,
        ...(json === undefined ? {} : { 'content-type': 'application/json' }),
        ...(headers as Record<string, string>),
      },
      ...(json === undefined ? {} : { body: JSON.stringify(json), method: rest.method ?? 'POST' }),
    });
  };
  return {
    app,
    gateway: app.gateway,
    clock,
    sms,
    whatsapp,
    telegram,
    deliver,
    api,
    async close() {
      await app.gateway.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
