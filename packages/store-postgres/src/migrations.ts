import type { Pool, PoolClient } from 'pg';
import { analyticsTables } from './postgres-analytics.js';

/**
 * Webhook delivery progress in its own column, written by the dispatcher alone, apart from the
 * settings the API writes; subscriptions get the concurrency and batching settings.
 */
const webhookDeliveryProgress = `
  ALTER TABLE webhooks ADD COLUMN progress JSON;
  UPDATE webhooks SET progress = json_build_object(
    'cursor', (data->>'cursor')::bigint,
    'readTo', (data->>'cursor')::bigint,
    'pending', json_build_array(),
    'failures', json_build_array(),
    'replayId', NULL
  );
  UPDATE webhooks SET data = (
    (data::jsonb - 'cursor' - 'attempts' - 'nextAttemptAt' - 'firstFailureAt' - 'lastError')
    || '{"maxInFlight": 32, "batch": null, "replay": null}'::jsonb
  )::json;
  ALTER TABLE webhooks ALTER COLUMN progress SET NOT NULL;
`;

/**
 * Schema versions, applied in order; `threadline_migrations` records the ones applied.
 * Times are ISO 8601 text (they sort as they compare, like the embedded store); documents
 * are `json` (kept byte for byte, key order included, so stored content compares equal to
 * what was written).
 */
export const migrations: string[] = [
  `
  CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    name TEXT,
    channel_preference JSON NOT NULL,
    opted_out JSON NOT NULL,
    merged_into_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE identities (
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    contact_id TEXT NOT NULL REFERENCES contacts (id),
    verified BOOLEAN NOT NULL,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL,
    seq BIGSERIAL NOT NULL,
    PRIMARY KEY (channel, address)
  );
  CREATE INDEX identities_by_contact ON identities (contact_id, created_at, seq);
  CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL,
    inbox_id TEXT NOT NULL,
    status TEXT NOT NULL,
    last_message_at TEXT NOT NULL,
    merged_into_id TEXT,
    data JSON NOT NULL,
    -- One open, unmerged conversation per contact and inbox. Checked at commit, so a merge
    -- may move both of two open conversations to the survivor before folding one of them.
    CONSTRAINT one_open_conversation EXCLUDE USING btree (contact_id WITH =, inbox_id WITH =)
      WHERE (status = 'open' AND merged_into_id IS NULL) DEFERRABLE INITIALLY DEFERRED
  );
  CREATE INDEX conversations_by_contact ON conversations (contact_id, inbox_id, last_message_at);
  CREATE INDEX conversations_by_status ON conversations (status, id);
  CREATE TABLE messages (
    seq BIGSERIAL NOT NULL,
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    connector_id TEXT NOT NULL,
    external_id TEXT,
    direction TEXT NOT NULL,
    channel TEXT NOT NULL,
    created_at TEXT NOT NULL,
    data JSON NOT NULL
  );
  CREATE UNIQUE INDEX messages_by_external_id ON messages (connector_id, external_id)
    WHERE external_id IS NOT NULL;
  CREATE INDEX messages_by_conversation ON messages (conversation_id, created_at, id);
  CREATE INDEX messages_by_contact ON messages (contact_id, direction, connector_id, seq);
  CREATE INDEX messages_by_conversation_direction ON messages (conversation_id, direction, seq);
  CREATE TABLE events (
    cursor BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    time TEXT NOT NULL,
    data JSON NOT NULL
  );
  -- The sequencer: event-writing transactions take one lock before their events get cursors
  -- and hold it until they commit, so cursors are handed out in commit order.
  CREATE FUNCTION threadline_append_events(ids TEXT[], types TEXT[], times TEXT[], documents JSON[])
  RETURNS TABLE (event_id TEXT, event_cursor BIGINT) LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM pg_advisory_xact_lock(hashtext(current_schema() || '.events'));
    RETURN QUERY
      INSERT INTO events (id, type, time, data)
      SELECT item.id, item.type, item.time, item.document
      FROM unnest(ids, types, times, documents) WITH ORDINALITY AS item (id, type, time, document, position)
      ORDER BY item.position
      RETURNING events.id, events.cursor;
  END;
  $$;
  -- Looks an identity up under its address lock (held until commit): creating a contact for an
  -- address takes turns across instances. Each statement of a function sees fresh commits, so
  -- the lookup after the wait sees what the previous holder committed.
  CREATE FUNCTION threadline_find_identity_locked(wanted_channel TEXT, wanted_address TEXT)
  RETURNS SETOF identities LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('identity:' || wanted_address));
    RETURN QUERY SELECT * FROM identities WHERE channel = wanted_channel AND address = wanted_address;
  END;
  $$;
  CREATE TABLE jobs (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    order_key TEXT,
    connector_id TEXT,
    payload JSON NOT NULL,
    run_at TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    lease_until TEXT
  );
  CREATE INDEX jobs_by_due ON jobs (run_at, seq);
  CREATE INDEX jobs_by_order ON jobs (order_key, seq);
  CREATE TABLE pending_statuses (
    seq BIGSERIAL PRIMARY KEY,
    connector_id TEXT NOT NULL,
    external_id TEXT NOT NULL,
    event JSON NOT NULL,
    received_at TEXT NOT NULL
  );
  CREATE INDEX pending_statuses_by_message ON pending_statuses (connector_id, external_id);
  CREATE TABLE idempotency (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    expires_at TEXT NOT NULL
  );
  CREATE TABLE webhooks (id TEXT PRIMARY KEY, data JSON NOT NULL);
  CREATE TABLE dead_letters (
    id TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL,
    cursor BIGINT NOT NULL,
    data JSON NOT NULL
  );
  CREATE INDEX dead_letters_by_subscription ON dead_letters (subscription_id, cursor);
  CREATE TABLE api_keys (id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, data JSON NOT NULL);
  CREATE TABLE media (
    id TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    filename TEXT,
    size INTEGER NOT NULL,
    body BYTEA NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE quarantine (
    id TEXT PRIMARY KEY,
    connector_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    received_at TEXT NOT NULL,
    data JSON NOT NULL
  );
  CREATE INDEX quarantine_by_connector ON quarantine (connector_id, id);
  `,
  // A contact's latest inbound message (each send), and the
  // queued messages ahead of a send, without reading the contact's or conversation's history.
  `
  CREATE INDEX messages_by_contact_latest ON messages (contact_id, direction, seq);
  CREATE INDEX messages_queued ON messages (conversation_id, id)
    WHERE direction = 'outbound' AND (data->>'status') = 'queued';
  `,
  // An identity and its contact (locked) in one round trip; not found, every identity of the
  // address after its lock is taken (the sibling channels of a phone number come along).
  `
  CREATE FUNCTION threadline_find_identity(wanted_channel TEXT, wanted_address TEXT)
  RETURNS TABLE (
    channel TEXT, address TEXT, contact_id TEXT, verified BOOLEAN, source TEXT, created_at TEXT,
    name TEXT, channel_preference JSON, opted_out JSON, merged_into_id TEXT,
    contact_created_at TEXT, contact_updated_at TEXT, address_locked BOOLEAN
  ) LANGUAGE plpgsql AS $$
  #variable_conflict use_column
  BEGIN
    RETURN QUERY
      SELECT i.channel, i.address, i.contact_id, i.verified, i.source, i.created_at,
        c.name, c.channel_preference, c.opted_out, c.merged_into_id, c.created_at, c.updated_at, false
      FROM identities i JOIN contacts c ON c.id = i.contact_id
      WHERE i.channel = wanted_channel AND i.address = wanted_address FOR UPDATE OF c;
    IF FOUND THEN RETURN; END IF;
    PERFORM pg_advisory_xact_lock(hashtext('identity:' || wanted_address));
    RETURN QUERY
      SELECT i.channel, i.address, i.contact_id, i.verified, i.source, i.created_at,
        c.name, c.channel_preference, c.opted_out, c.merged_into_id, c.created_at, c.updated_at, true
      FROM identities i JOIN contacts c ON c.id = i.contact_id
      WHERE i.address = wanted_address FOR UPDATE OF c;
  END;
  $$;
  `,
  webhookDeliveryProgress,
  // switchboard: integrations, the switchboard settings, and who controls each conversation
  `
  CREATE TABLE integrations (id TEXT PRIMARY KEY, data JSON NOT NULL);
  CREATE TABLE settings (key TEXT PRIMARY KEY, data JSON NOT NULL);
  CREATE TABLE conversation_control (conversation_id TEXT PRIMARY KEY, data JSON NOT NULL);
  `,
  // analytics: per-conversation state and hourly rollups (empty on upgrade: rebuild them)
  analyticsTables,
  // notifications: each with its idempotency key (unique), and each contact's preferences
  `
  CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL,
    category TEXT NOT NULL,
    conversation_id TEXT,
    sent_at TEXT,
    reply_message_id TEXT,
    idempotency_key TEXT,
    data JSON NOT NULL,
    CONSTRAINT notification_idempotency_key UNIQUE (idempotency_key)
  );
  CREATE INDEX notifications_by_contact_category ON notifications (contact_id, category, sent_at);
  CREATE INDEX notifications_by_conversation ON notifications (conversation_id, sent_at);
  CREATE TABLE notification_preferences (contact_id TEXT PRIMARY KEY, data JSON NOT NULL);
  `,
  // the analytics fold the event log after commits: how far they have folded (the rollups
  // of an older version were written with the events, so they start at the end of the log)
  `
  CREATE TABLE analytics_cursor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    cursor BIGINT NOT NULL,
    token TEXT NOT NULL
  );
  INSERT INTO analytics_cursor (id, cursor, token) SELECT 1, COALESCE(MAX(cursor), 0), '' FROM events;
  `,
  // every message updates its conversation's last_message_at: out of every index, so the
  // update is a heap-only (HOT) one — no index entries, no deferred constraint check — when
  // the page has room, which the fill factor leaves; a contact's latest conversation is then
  // sorted from its few conversations
  `
  DROP INDEX conversations_by_contact;
  CREATE INDEX conversations_by_contact ON conversations (contact_id, inbox_id);
  ALTER TABLE conversations SET (fillfactor = 70);
  `,
  // a new customer's address is looked up on every channel (threadline_find_identity): by
  // address alone, not by a scan of every identity
  `
  CREATE INDEX identities_by_address ON identities (address);
  `,
];

/** Quotes an identifier (a schema name) for SQL. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Applies the migrations not yet applied to `schema`, under a session advisory lock: two
 * instances starting at once take turns, and the second finds nothing left to do.
 * Returns the schema version afterwards.
 */
export async function migrate(pool: Pool, schema = 'public'): Promise<number> {
  const client: PoolClient = await pool.connect();
  const lockKey = `threadline.migrate.${schema}`;
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [lockKey]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
      const table = `${quoteIdentifier(schema)}.threadline_migrations`;
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${table} (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
      );
      const { rows } = await client.query<{ version: number | null }>(
        `SELECT max(version) AS version FROM ${table}`,
      );
      const current = rows[0]?.version ?? 0;
      for (let version = current; version < migrations.length; version++) {
        await client.query('BEGIN');
        try {
          await client.query(`SET LOCAL search_path TO ${quoteIdentifier(schema)}`);
          await client.query(migrations[version]!);
          await client.query(`INSERT INTO ${table} (version) VALUES ($1)`, [version + 1]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
      }
      return migrations.length;
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey]);
    }
  } finally {
    client.release();
  }
}
