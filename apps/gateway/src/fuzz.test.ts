import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmailConnector, signInboundEmail } from '@threadline/connector-email';
import { readFixture as readEmailFixture } from '@threadline/connector-email/test';
import { type ConnectorV1, metaSignature, twilioSignature } from '@threadline/connector-kit';
import { createSmsConnector } from '@threadline/connector-sms';
import { fixtureBody as twilioFixture } from '@threadline/connector-sms/test';
import { createTelegramConnector } from '@threadline/connector-telegram';
import { fixtureBody as telegramFixture } from '@threadline/connector-telegram/test';
import { createWhatsAppCloudConnector } from '@threadline/connector-whatsapp';
import { readFixture as readWhatsAppFixture } from '@threadline/connector-whatsapp/test';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from './create-app.js';

/**
 * Property-based fuzzing of every connector's ingress and of the consumer API's request
 * bodies, through the real gateway: arbitrary and mutated real payloads, re-signed so they
 * reach the parser. Nothing may answer 5xx or throw; every reject is a precise 4xx and is
 * quarantined with its reason. `npm run fuzz` runs 10,000 cases per target
 * (FUZZ_RUNS); `npm test` runs a smaller fixed-seed set.
 */
const runs = Number(process.env.FUZZ_RUNS ?? 150);
const seed = Number(process.env.FUZZ_SEED ?? 20261122);
const publicUrl = 'https://threadline.example.com';
const apiKey = 'fuzz-key';
const secrets = {
  twilio: 'fuzz-twilio-token',
  telegram: 'fuzz-telegram-secret',
  meta: 'fuzz-app-secret',
  email: 'fuzz-email-secret',
};

const directory = mkdtempSync(join(tmpdir(), 'threadline-fuzz-'));
const connectors: ConnectorV1[] = [
  createSmsConnector({
    accountSid: 'AC5ef8732a3c49700934481addd5ce1659',
    authToken: secrets.twilio,
    fromNumber: '+14155550100',
    publicUrl,
    apiBase: 'http://127.0.0.1:9',
  }),
  createTelegramConnector({
    token: '7012345678:AAHtest-token-for-threadline_0123456789',
    webhookSecret: secrets.telegram,
    apiRoot: 'http://127.0.0.1:9',
    mode: 'webhook',
  }),
  createWhatsAppCloudConnector({
    accessToken: 'x',
    phoneNumberId: '106540352242922',
    appSecret: secrets.meta,
    verifyToken: 'v',
    graphUrl: 'http://127.0.0.1:9/v25.0',
  }),
  createEmailConnector({ from: 'support@acme.test', inboundSecret: secrets.email }),
];
const app = createApp({
  dataDirectory: directory,
  apiKeys: [apiKey],
  connectorsFromEnv: false,
  connectors,
  publicUrl,
  logLevel: 'silent',
  env: {},
});
afterAll(async () => {
  await app.gateway.close();
  rmSync(directory, { recursive: true, force: true });
});

interface Target {
  path: string;
  contentType: string;
  corpus: string[];
  sign(body: string): Record<string, string>;
}

const targets: Record<string, Target> = {
  'Twilio SMS': {
    path: '/webhooks/sms/sms',
    contentType: 'application/x-www-form-urlencoded',
    corpus: [
      'inbound-text',
      'inbound-unicode',
      'inbound-mms-two-media',
      'inbound-stop',
      'status-delivered',
      'status-undelivered-30003',
    ].map((name) => twilioFixture(name as Parameters<typeof twilioFixture>[0])),
    sign: (body) => ({
      'x-twilio-signature': twilioSignature(
        secrets.twilio,
        `${publicUrl}/webhooks/sms/sms`,
        Array.from(new URLSearchParams(body).entries()),
      ),
    }),
  },
  'Telegram Bot API': {
    path: '/webhooks/telegram/telegram',
    contentType: 'application/json',
    corpus: [
      'private-text',
      'photo',
      'callback-query',
      'contact-self',
      'edited-message',
      'group-text',
      'supergroup-reply',
      'location',
      'poll-message',
    ].map((name) => telegramFixture(name)),
    sign: () => ({ 'x-telegram-bot-api-secret-token': secrets.telegram }),
  },
  'WhatsApp Cloud API': {
    path: '/webhooks/whatsapp/whatsapp',
    contentType: 'application/json',
    corpus: [
      'text',
      'image',
      'interactive-button-reply',
      'reaction',
      'batch-two-messages-one-status',
      'status-failed',
      'unsupported',
    ].map((name) => readWhatsAppFixture(`cloud/${name}.json`)),
    sign: (body) => ({ 'x-hub-signature-256': metaSignature(secrets.meta, body) }),
  },
  'email (inbound parse)': {
    path: '/webhooks/email/email',
    contentType: 'message/rfc822',
    corpus: [
      'multipart-alternative',
      'attachments',
      'gb2312-quoted-printable',
      'auto-reply',
      'dsn-bounce',
      'malformed',
    ].map((name) => readEmailFixture(`${name}.eml`).toString('latin1')),
    sign: (body) => ({ 'x-threadline-email-signature': signInboundEmail(secrets.email, body) }),
  },
};

/** Mutations of a real payload: truncation, junk, any JSON, one field replaced, form fields changed. */
function mutations(corpus: string[]) {
  const replaceInJson = (body: string, position: number, value: unknown) => {
    try {
      const parsed = JSON.parse(body) as unknown;
      const paths: Array<Array<string | number>> = [];
      const walk = (node: unknown, path: Array<string | number>) => {
        paths.push(path);
        if (Array.isArray(node)) {
          for (const [index, child] of node.entries()) walk(child, [...path, index]);
        } else if (node && typeof node === 'object')
          for (const [key, child] of Object.entries(node)) walk(child, [...path, key]);
      };
      walk(parsed, []);
      const target = paths[position % paths.length]!;
      if (target.length === 0) return JSON.stringify(value);
      let cursor = parsed as Record<string | number, unknown>;
      for (const segment of target.slice(0, -1))
        cursor = cursor[segment] as Record<string | number, unknown>;
      cursor[target.at(-1)!] = value;
      return JSON.stringify(parsed);
    } catch {
      const params = new URLSearchParams(body);
      const keys = Array.from(params.keys());
      if (keys.length === 0) return `${body}${String(value)}`;
      params.set(
        keys[position % keys.length]!,
        typeof value === 'string' ? value : JSON.stringify(value),
      );
      return params.toString();
    }
  };
  return fc
    .tuple(
      fc.nat({ max: corpus.length - 1 }),
      fc.nat(),
      fc.jsonValue(),
      fc.string({ unit: 'binary' }),
    )
    .chain(([index, position, value, junk]) => {
      const base = corpus[index]!;
      return fc.constantFrom(
        base.slice(0, position % (base.length + 1)),
        junk,
        JSON.stringify(value),
        replaceInJson(base, position, value),
        base.replace(/[0-9]/, String(position % 10)),
        `${base}${junk}`,
      );
    });
}

async function quarantined(): Promise<number> {
  const response = await app.request('/v1/quarantine?limit=500', {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  return ((await response.json()) as { data: unknown[] }).data.length;
}

describe('fuzzing provider ingress', () => {
  for (const [name, target] of Object.entries(targets)) {
    it(`${name}: every mutated payload is stored or rejected with a precise 4xx and quarantined`, async () => {
      await fc.assert(
        fc.asyncProperty(mutations(target.corpus), async (body) => {
          const before = await quarantined();
          const response = await app.request(target.path, {
            method: 'POST',
            headers: { 'content-type': target.contentType, ...target.sign(body) },
            body,
          });
          expect(response.status, body.slice(0, 200)).toBeLessThan(500);
          if (response.status >= 400) {
            const error = (
              (await response.json()) as {
                error: { code: string; details: { path?: string } | null };
              }
            ).error;
            expect([
              'payload_invalid',
              'signature_invalid',
              'validation_failed',
              'payload_too_large',
            ]).toContain(error.code);
            if (error.code === 'payload_invalid')
              expect(error.details?.path, body.slice(0, 200)).toBeTruthy();
            if (before < 500) expect(await quarantined()).toBe(before + 1);
          }
        }),
        { numRuns: runs, seed },
      );
    }, 600_000);
  }
});

describe('fuzzing consumer API bodies', () => {
  const send = {
    to: { channel: 'sms', address: '+14155550199' },
    content: { type: 'interactive', text: 'Pick', buttons: [{ id: 'a', title: 'A' }] },
    fallback: [{ channel: 'sms', when: 'undelivered', afterMs: 60000 }],
  };
  const bodies: Record<string, { path: string; corpus: string[] }> = {
    'POST /v1/messages': { path: '/v1/messages', corpus: [JSON.stringify(send)] },
    'POST /v1/contacts/merge': {
      path: '/v1/contacts/merge',
      corpus: [JSON.stringify({ contactId: 'a', mergeContactId: 'b', reason: 'x' })],
    },
    'POST /v1/webhooks': {
      path: '/v1/webhooks',
      corpus: [
        JSON.stringify({ url: 'https://93.184.215.14/hook', eventTypes: ['message.received'] }),
      ],
    },
    'POST /v1/api-keys': {
      path: '/v1/api-keys',
      corpus: [JSON.stringify({ name: 'k', scopes: ['read'] })],
    },
  };
  for (const [name, target] of Object.entries(bodies)) {
    it(`${name}: never a 5xx; every 400 names the path`, async () => {
      await fc.assert(
        fc.asyncProperty(mutations(target.corpus), async (body) => {
          const response = await app.request(target.path, {
            method: 'POST',
            headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
            body,
          });
          expect(response.status, body.slice(0, 200)).toBeLessThan(500);
          if (response.status === 400) {
            const error = (
              (await response.json()) as {
                error: { details: { issues?: Array<{ path: string }>; path?: string } | null };
              }
            ).error;
            expect(
              error.details?.issues?.length || error.details?.path || body.trim() === '' || error,
              body.slice(0, 200),
            ).toBeTruthy();
          }
        }),
        { numRuns: Math.max(50, Math.round(runs / 2)), seed },
      );
    }, 600_000);
  }
});
