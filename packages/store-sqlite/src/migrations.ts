import type Database from 'better-sqlite3';
import { analyticsTables } from './sqlite-analytics.js';

/**
 * Webhook delivery progress in its own column, written by the dispatcher alone, apart from the
 * settings the API writes; subscriptions get the concurrency and batching settings.
 */
const webhookDeliveryProgress = `
  ALTER TABLE webhooks ADD COLUMN progress TEXT;
  UPDATE webhooks SET progress = json_object(
    'cursor', json_extract(data, '$.cursor'),
    'readTo', json_extract(data, '$.cursor'),
    'pending', json('[]'),
    'failures', json('[]'),
    'replayId', NULL
  );
  UPDATE webhooks SET data = json_set(
    json_remove(data, '$.cursor', '$.attempts', '$.nextAttemptAt', '$.firstFailureAt', '$.lastError'),
    '$.maxInFlight', 32,
    '$.batch', json('null'),
    '$.replay', json('null')
  );
`;

/** Schema versions, applied in order; `PRAGMA user_version` records the last one applied. */
export const migrations: string[] = [
  `
  CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    name TEXT,
    channel_preference TEXT NOT NULL,
    opted_out TEXT NOT NULL,
    merged_into_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE identities (
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    contact_id TEXT NOT NULL REFERENCES contacts (id),
    verified INTEGER NOT NULL,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (channel, address)
  );
  CREATE INDEX identities_by_contact ON identities (contact_id);
  CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL,
    inbox_id TEXT NOT NULL,
    status TEXT NOT NULL,
    last_message_at TEXT NOT NULL,
    merged_into_id TEXT,
    data TEXT NOT NULL
  );
  CREATE INDEX conversations_by_contact ON conversations (contact_id, inbox_id, last_message_at);
  CREATE INDEX conversations_by_status ON conversations (status, id);
  CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    connector_id TEXT NOT NULL,
    external_id TEXT,
    direction TEXT NOT NULL,
    channel TEXT NOT NULL,
    created_at TEXT NOT NULL,
    data TEXT NOT NULL
  );
  CREATE UNIQUE INDEX messages_by_external_id ON messages (connector_id, external_id) WHERE external_id IS NOT NULL;
  CREATE INDEX messages_by_conversation ON messages (conversation_id, created_at, id);
  CREATE INDEX messages_by_contact ON messages (contact_id, direction, connector_id);
  CREATE TABLE events (
    cursor INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    time TEXT NOT NULL,
    data TEXT NOT NULL
  );
  CREATE TABLE jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    order_key TEXT,
    connector_id TEXT,
    payload TEXT NOT NULL,
    run_at TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    lease_until TEXT
  );
  CREATE INDEX jobs_by_due ON jobs (run_at, seq);
  CREATE INDEX jobs_by_order ON jobs (order_key, seq);
  CREATE TABLE pending_statuses (
    connector_id TEXT NOT NULL,
    external_id TEXT NOT NULL,
    event TEXT NOT NULL,
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
  CREATE TABLE webhooks (id TEXT PRIMARY KEY, data TEXT NOT NULL);
  CREATE TABLE dead_letters (
    id TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL,
    cursor INTEGER NOT NULL,
    data TEXT NOT NULL
  );
  CREATE TABLE api_keys (id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, data TEXT NOT NULL);
  CREATE TABLE media (
    id TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    filename TEXT,
    size INTEGER NOT NULL,
    body BLOB NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE quarantine (
    id TEXT PRIMARY KEY,
    connector_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    received_at TEXT NOT NULL,
    data TEXT NOT NULL
  );
  `,
  // Lookups on every message whose cost grew with the history: the latest outbound message of
  // a conversation (each inbound text), a contact's latest inbound message (each send), and the queued messages ahead of a send. Entries of an index sort
  // by rowid after its columns, so "ORDER BY rowid DESC LIMIT 1" reads one entry.
  `
  CREATE INDEX messages_by_conversation_direction ON messages (conversation_id, direction);
  CREATE INDEX messages_by_contact_direction ON messages (contact_id, direction);
  CREATE INDEX messages_queued ON messages (conversation_id, id)
    WHERE direction = 'outbound' AND json_extract(data, '$.status') = 'queued';
  `,
  // One open, unmerged conversation per contact and inbox, as PostgreSQL's
  // one_open_conversation constraint: a mistake fails loudly instead of splitting a customer.
  // A database that already holds two keeps the latest open and resolves the others.
  `
  UPDATE conversations
  SET status = 'resolved',
      data = json_set(data, '$.status', 'resolved',
                      '$.resolvedAt', COALESCE(json_extract(data, '$.resolvedAt'), json_extract(data, '$.updatedAt')))
  WHERE status = 'open' AND merged_into_id IS NULL AND EXISTS (
    SELECT 1 FROM conversations later
    WHERE later.contact_id = conversations.contact_id AND later.inbox_id = conversations.inbox_id
      AND later.status = 'open' AND later.merged_into_id IS NULL
      AND (later.last_message_at, later.id) > (conversations.last_message_at, conversations.id));
  CREATE UNIQUE INDEX one_open_conversation ON conversations (contact_id, inbox_id)
    WHERE status = 'open' AND merged_into_id IS NULL;
  `,
  webhookDeliveryProgress,
  // switchboard: integrations, the switchboard settings, and who controls each conversation
  `
  CREATE TABLE integrations (id TEXT PRIMARY KEY, data TEXT NOT NULL);
  CREATE TABLE settings (key TEXT PRIMARY KEY, data TEXT NOT NULL);
  CREATE TABLE conversation_control (conversation_id TEXT PRIMARY KEY, data TEXT NOT NULL);
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
    idempotency_key TEXT UNIQUE,
    data TEXT NOT NULL
  );
  CREATE INDEX notifications_by_contact_category ON notifications (contact_id, category, sent_at);
  CREATE INDEX notifications_by_conversation ON notifications (conversation_id, sent_at);
  CREATE TABLE notification_preferences (contact_id TEXT PRIMARY KEY, data TEXT NOT NULL);
  `,
  // the analytics fold the event log after commits: how far they have folded (the rollups
  // of an older version were written with the events, so they start at the end of the log)
  `
  CREATE TABLE analytics_cursor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    cursor INTEGER NOT NULL,
    token TEXT NOT NULL
  );
  INSERT INTO analytics_cursor (id, cursor, token) SELECT 1, COALESCE(MAX(cursor), 0), '' FROM events;
  `,
];

export function migrate(db: Database.Database): number {
  const current = Number(db.pragma('user_version', { simple: true }));
  for (let version = current; version < migrations.length; version++) {
    db.transaction(() => {
      db.exec(migrations[version]!);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
  return migrations.length;
}
