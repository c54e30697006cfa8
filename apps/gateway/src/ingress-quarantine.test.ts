import { type ConnectorRuntime, MockConnector, type MockPayload } from '@threadline/connector-kit';
import {
  createTestDatabase,
  postgresUnavailable,
  type TestDatabase,
} from '@threadline/store-postgres/test';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from './create-app.js';

/**
 * A webhook whose write breaks a rule PostgreSQL enforces (one open conversation per contact
 * and inbox) cannot be stored by redelivering it: the gateway keeps it in quarantine with the
 * reason, counts it, logs it, and acknowledges it.
 */
const postgresMissing = await postgresUnavailable();
const apiKey = 'ingress-quarantine-test-key';

/** A connector that polls its provider (as IMAP or Telegram polling do): it ingests through its runtime. */
class PollingConnector extends MockConnector {
  runtime: ConnectorRuntime | undefined;
  async start(runtime: ConnectorRuntime): Promise<void> {
    this.runtime = runtime;
  }
}

describe.skipIf(postgresMissing !== undefined)(
  'ingress on PostgreSQL: a write that breaks a store rule',
  () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase();
    });
    afterAll(async () => {
      await database?.drop();
    });

    it('is kept in quarantine with the reason, counted, and answered 2xx', async () => {
      const schema = database.schemaName();
      const sms = new PollingConnector({ channel: 'sms' });
      const logged: string[] = [];
      const app = createApp({
        apiKeys: [apiKey],
        connectorsFromEnv: false,
        connectors: [sms],
        logLevel: 'error',
        logDestination: { write: (line: string) => logged.push(line) },
        env: { DATABASE_URL: database.url, THREADLINE_DATABASE_SCHEMA: schema },
      });
      const sql = new pg.Client({ connectionString: database.url });
      await sql.connect();
      try {
        await app.gateway.start();
        const deliver = (payload: MockPayload) => {
          const request = sms.request(payload);
          return app.request(`/webhooks/sms/${sms.id}`, {
            method: 'POST',
            headers: request.headers,
            body: request.body,
          });
        };
        const from = '+14155550188';
        const first = await deliver({
          kind: 'message',
          id: 'SMfirst',
          from,
          content: { type: 'text', text: 'hello' },
        });
        expect(first.status).toBe(200);

        // A stale copy of the open conversation, resolved a moment later: the customer's next
        // message reopens it (the latest, inside the window) beside the open one, which the
        // store's one_open_conversation constraint refuses on every attempt.
        const { rows } = await sql.query<{ data: Record<string, unknown> }>(
          `SELECT data FROM ${schema}.conversations`,
        );
        expect(rows).toHaveLength(1);
        const open = rows[0]!.data;
        const later = new Date(Date.parse(String(open.lastMessageAt)) + 1_000).toISOString();
        const stale = {
          ...open,
          id: `${String(open.id)}_stale`,
          status: 'resolved',
          resolvedAt: later,
          lastMessageAt: later,
          updatedAt: later,
        };
        await sql.query(
          `INSERT INTO ${schema}.conversations (id, contact_id, inbox_id, status, last_message_at, merged_into_id, data)
         VALUES ($1, $2, $3, 'resolved', $4, NULL, $5)`,
          [stale.id, open.contactId, open.inboxId, later, JSON.stringify(stale)],
        );

        const second = await deliver({
          kind: 'message',
          id: 'SMsecond',
          from,
          content: { type: 'text', text: 'are you there?' },
        });
        expect(second.status).toBe(200);
        expect(await second.json()).toMatchObject({ ok: true, received: 0, quarantined: true });

        const quarantine = await app.request('/v1/quarantine', {
          headers: { authorization: `Bearer ${apiKey}` },
        });
        const { data } = (await quarantine.json()) as {
          data: Array<{ connectorId: string; kind: string; reason: string; body: string }>;
        };
        expect(data).toHaveLength(1);
        expect(data[0]).toMatchObject({ connectorId: sms.id, kind: 'rejected' });
        expect(data[0]!.reason).toMatch(/^store_constraint: one_open_conversation: /);
        expect(JSON.parse(data[0]!.body)).toMatchObject({ id: 'SMsecond', from });

        // the message is not stored: the quarantine entry is its only copy
        const stored = await sql.query(`SELECT id FROM ${schema}.messages WHERE external_id = $1`, [
          'SMsecond',
        ]);
        expect(stored.rows).toHaveLength(0);

        const metrics = await (await app.request('/metrics')).text();
        expect(metrics).toMatch(
          /^threadline_ingress_quarantined_total\{channel="sms",constraint="one_open_conversation"\} 1$/m,
        );
        expect(metrics).toMatch(
          /^threadline_ingress_requests_total\{channel="sms",outcome="quarantined"\} 1$/m,
        );
        expect(logged.join('')).toContain('the request is kept in quarantine');

        // A polling connector's ingest breaks the same rule: kept, acknowledged, and the
        // connector goes on to the next message instead of retrying this one for ever.
        const polled = JSON.stringify({ id: 'SMpolled', text: 'polled' });
        const receipts = await sms.runtime!.ingest(
          [
            {
              type: 'message',
              message: {
                externalId: 'SMpolled',
                from: { channel: 'sms', address: from },
                content: { type: 'text', text: 'polled' },
              },
            },
          ],
          { contentType: 'application/json', body: polled },
        );
        expect(receipts).toEqual([{ messageId: null, conversationId: null, duplicate: false }]);
        const after = (await (
          await app.request('/v1/quarantine', { headers: { authorization: `Bearer ${apiKey}` } })
        ).json()) as { data: Array<{ reason: string; body: string }> };
        expect(after.data).toHaveLength(2);
        expect(after.data.map((entry) => entry.body)).toContain(polled);
      } finally {
        await sql.end();
        await app.gateway.close();
      }
    });
  },
);
