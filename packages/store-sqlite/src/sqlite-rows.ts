/** Row shapes of the embedded store: JSON columns, and rows to records. */
import type { ContactRecord, Job, WebhookProgress, WebhookSubscription } from '@threadline/engine';
import type { Identity } from '@threadline/schema';
import type Database from 'better-sqlite3';

export type Row = Record<string, unknown>;
export type Statement = Database.Statement;

export const json = (value: unknown) => JSON.stringify(value);
export const parse = <T>(value: unknown): T => JSON.parse(String(value)) as T;

/** A subscription from its settings and the dispatcher's progress, stored apart. */
export const webhookFromRow = (row: Row): WebhookSubscription => ({
  ...parse<Omit<WebhookSubscription, 'progress'>>(row.data),
  progress: parse<WebhookProgress>(row.progress),
});

export function toContact(row: Row): ContactRecord {
  return {
    id: String(row.id),
    name: row.name === null ? null : String(row.name),
    channelPreference: parse(row.channel_preference),
    optedOut: parse(row.opted_out),
    mergedIntoId: row.merged_into_id === null ? null : String(row.merged_into_id),
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
  };
}

export function toIdentity(row: Row): Identity {
  return {
    channel: String(row.channel),
    address: String(row.address),
    verified: Number(row.verified) === 1,
    source: String(row.source) as Identity['source'],
    createdAt: String(row.created_at),
  };
}

export function toJob(row: Row): Job {
  return {
    id: String(row.id),
    kind: String(row.kind) as Job['kind'],
    orderKey: row.order_key === null ? null : String(row.order_key),
    connectorId: row.connector_id === null ? null : String(row.connector_id),
    payload: parse(row.payload),
    runAt: String(row.run_at),
    attempts: Number(row.attempts),
    lastError: row.last_error === null ? null : String(row.last_error),
    createdAt: String(row.created_at),
  };
}
