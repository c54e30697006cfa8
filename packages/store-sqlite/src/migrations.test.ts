import { testConversation } from '@threadline/engine/test';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, migrations } from './migrations.js';

const conversation = (id: string, status: 'open' | 'resolved', lastMessageAt: string) =>
  testConversation(lastMessageAt, { id, status });

function insert(db: Database.Database, row: ReturnType<typeof conversation>): void {
  db.prepare(
    `INSERT INTO conversations (id, contact_id, inbox_id, status, last_message_at, merged_into_id, data)
     VALUES (?, ?, ?, ?, ?, NULL, ?)`,
  ).run(row.id, row.contactId, row.inboxId, row.status, row.lastMessageAt, JSON.stringify(row));
}

describe('SQLite migrations', () => {
  it('refuses a second open conversation for one contact and inbox', () => {
    const db = new Database(':memory:');
    migrate(db);
    insert(db, conversation('c1', 'open', '2026-01-01T10:00:00.000Z'));
    insert(db, conversation('c2', 'resolved', '2026-01-01T11:00:00.000Z'));
    expect(() => insert(db, conversation('c3', 'open', '2026-01-01T12:00:00.000Z'))).toThrow(
      /UNIQUE constraint failed/,
    );
    db.close();
  });

  it('keeps the latest of two open conversations open when a database that has them upgrades', () => {
    const db = new Database(':memory:');
    const uniqueOpen = migrations.findIndex((sql) =>
      sql.includes('UNIQUE INDEX one_open_conversation'),
    );
    for (const [version, sql] of migrations.slice(0, uniqueOpen).entries()) {
      db.exec(sql);
      db.pragma(`user_version = ${version + 1}`);
    }
    insert(db, conversation('c1', 'open', '2026-01-01T10:00:00.000Z'));
    insert(db, conversation('c2', 'open', '2026-01-01T12:00:00.000Z'));
    migrate(db);
    const rows = db.prepare('SELECT id, status, data FROM conversations ORDER BY id').all() as {
      id: string;
      status: string;
      data: string;
    }[];
    expect(rows.map((row) => [row.id, row.status, JSON.parse(row.data).status])).toEqual([
      ['c1', 'resolved', 'resolved'],
      ['c2', 'open', 'open'],
    ]);
    expect(JSON.parse(rows[0]!.data).resolvedAt).toBe('2026-01-01T10:00:00.000Z');
    db.close();
  });
});
