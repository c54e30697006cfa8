import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  combinableInsert,
  combinableUpdate,
  combineWrites,
  type KeyedWrite,
} from './combined-writes.js';
import { runPipeline } from './pipeline.js';
import { createTestDatabase, postgresUnavailable, type TestDatabase } from './test/index.js';

const postgresMissing = await postgresUnavailable();

const insertNote = combinableInsert('notes', ['id', 'owner', 'body', 'doc'], new Set(['doc']));
const updateNote = combinableUpdate('notes', ['owner', 'body', 'doc'], new Set(['doc']));
const insertTag = combinableInsert('tags', ['id', 'label']);
const plainWrite = 'UPDATE tags SET label = upper(label) WHERE id = $1';

const awkward = `it's a "quoted" \\ back\\slash, {brace}, comma, ünïcödé 🚀 \n\t`;
const note = (id: string, body: string | null, doc: unknown = { id, body }): KeyedWrite => ({
  key: `notes:${id}`,
  sql: insertNote,
  values: [id, `owner-${id}`, body, JSON.stringify(doc)],
});
const noteUpdate = (id: string, body: string): KeyedWrite => ({
  key: `notes:${id}`,
  sql: updateNote,
  values: [`owner-${id}`, body, JSON.stringify({ id, body }), id],
});
const tag = (id: string, label: string): KeyedWrite => ({
  key: `tags:${id}`,
  sql: insertTag,
  values: [id, label],
});

describe('combining the writes of a group commit', () => {
  it('sends alike writes of several rows as one statement, each table in its order', () => {
    // three works, each inserting a note and a tag
    const statements = combineWrites([
      note('a', 'one'),
      tag('a', 'x'),
      note('b', 'two'),
      tag('b', 'y'),
      note('c', 'three'),
      tag('c', 'z'),
    ]);
    expect(statements).toHaveLength(2);
    expect(statements[0]!.values[0]).toEqual(['a', 'b', 'c']);
    expect(statements[1]!.values).toEqual([
      ['a', 'b', 'c'],
      ['x', 'y', 'z'],
    ]);
  });

  it('never moves a write past another write of its table, nor combines two of one row', () => {
    const statements = combineWrites([
      note('a', 'one'),
      noteUpdate('a', 'one, changed'),
      note('b', 'two'),
      tag('a', 'x'),
      { key: 'tags:a', sql: plainWrite, values: ['a'] },
      tag('b', 'y'),
    ]);
    // the update of a came after its insert, so b's insert may not join a's; the plain
    // write of tags keeps the second tag insert after it
    expect(statements.map((statement) => statement.values[0])).toEqual([
      'a',
      'owner-a',
      'b',
      'a',
      'a',
      'b',
    ]);
    expect(statements.map((statement) => statement.sql)).toEqual([
      insertNote,
      updateNote,
      insertNote,
      insertTag,
      plainWrite,
      insertTag,
    ]);
  });

  it('leaves a write with a null JSON value alone (a JSON array cannot carry SQL NULL)', () => {
    const statements = combineWrites([
      note('a', 'one'),
      { key: 'notes:b', sql: insertNote, values: ['b', 'owner-b', 'two', null] },
    ]);
    expect(statements.map((statement) => statement.sql)).toEqual([insertNote, insertNote]);
  });
});

describe.skipIf(postgresMissing !== undefined)('combined writes on PostgreSQL', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    await pool.query(
      `CREATE TABLE notes (seq BIGSERIAL, id TEXT PRIMARY KEY, owner TEXT NOT NULL, body TEXT, doc JSON NOT NULL);
       CREATE TABLE tags (id TEXT PRIMARY KEY, label TEXT NOT NULL)`,
    );
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  async function run(writes: KeyedWrite[]) {
    const client = await pool.connect();
    try {
      await runPipeline(client, [{ sql: 'BEGIN' }, ...combineWrites(writes), { sql: 'COMMIT' }]);
    } finally {
      client.release();
    }
  }
  const stored = async () =>
    (await pool.query('SELECT id, owner, body, doc::text AS doc FROM notes ORDER BY seq')).rows;

  it('stores what the single-row statements store, in the order the writes were made', async () => {
    const writes = [
      note('n1', awkward, { text: awkward, nested: { list: [1, 'two', null] } }),
      note('n2', null),
      note('n3', 'plain'),
    ];
    await run(writes);
    const combined = await stored();
    await pool.query('TRUNCATE notes');
    for (const write of writes) await pool.query(write.sql, write.values);
    expect(await stored()).toEqual(combined);
    // the documents exactly as written (JSON keeps the text), seq in the writes' order
    expect(combined.map((row) => row.id)).toEqual(['n1', 'n2', 'n3']);
    expect(combined[0]!.doc).toBe(
      JSON.stringify({ text: awkward, nested: { list: [1, 'two', null] } }),
    );
    expect(combined[1]!.body).toBeNull();
  });

  it('updates several rows by id in one statement', async () => {
    await run([noteUpdate('n1', 'first'), noteUpdate('n3', awkward)]);
    const rows = await stored();
    expect(rows.map((row) => [row.id, row.body])).toEqual([
      ['n1', 'first'],
      ['n2', null],
      ['n3', awkward],
    ]);
    expect(JSON.parse(rows[2]!.doc)).toEqual({ id: 'n3', body: awkward });
  });
});
