import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { createTestDatabase, TestDatabase } from '../support/test-db';

// The migrations must build exactly the schema the entities describe: a drift fails here.
describe('migrations and entities', () => {
  let db: TestDatabase;
  let ds: DataSource;
  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await new DataSource(dataSourceOptions(db.url)).initialize();
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('leave nothing for TypeORM to change', async () => {
    // TypeORM finds a generated column's expression in typeorm_metadata by database name, and this
    // database is a copy of the template, made under another name
    await ds.query(`UPDATE typeorm_metadata SET database = current_database()`);
    const sqlInMemory = await ds.driver.createSchemaBuilder().log();
    expect(sqlInMemory.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('are all applied to the template', async () => {
    expect(await ds.showMigrations()).toBe(false);
  });
});

/** A copy of the template for the describe it is called in, and a DataSource over it running each migration in its own transaction. */
function withMigrationsDataSource(set: (ds: DataSource) => void): void {
  let db: TestDatabase;
  let ds: DataSource;
  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await new DataSource({ ...dataSourceOptions(db.url), migrationsTransactionMode: 'each' }).initialize();
    set(ds);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });
}

// The move of the raw rows out of microsoft_call_rows (MicrosoftRawBatches): stored rows keep their text.
describe('migration MicrosoftRawBatches', () => {
  let ds: DataSource;
  withMigrationsDataSource((x) => (ds = x));

  /** Undoes the newest migrations, down to and including this one. */
  const undoThrough = async (name: string) => {
    for (;;) {
      const [last] = await ds.query(`SELECT name FROM schema_migrations ORDER BY id DESC LIMIT 1`);
      await ds.undoLastMigration();
      if (last.name === name) return;
    }
  };

  it('moves every stored raw row into batches, and back on undo', async () => {
    const T = ['0b0e8f0c-2b7d-4c1e-9f3a-6d8b0e2c4a71', '1c1e8f0c-2b7d-4c1e-9f3a-6d8b0e2c4a71'];
    await undoThrough('MicrosoftRawBatches1795420300000');
    expect((await ds.query(`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'microsoft_call_rows' AND column_name = 'raw'`))[0].n).toBe(1);
    // 4,001 rows of one tenant (two batches), 3 of another; one row's text spread over lines
    await ds.query(`INSERT INTO microsoft_call_rows (tenant_id, id, source, start_time, raw)
      SELECT $1, 'r' || i, 'pstn', timestamptz '2026-11-01' + i * interval '1 second', json_build_object('id', 'r' || i, 'n', i)::json FROM generate_series(1, 4001) AS i`, [T[0]]);
    await ds.query(`INSERT INTO microsoft_call_rows (tenant_id, id, source, start_time, raw) VALUES
      ($1, 'a', 'pstn', '2026-11-01T00:00:03Z', '{"id":"a",\n  "charge": 0.10}'), ($1, 'b', 'pstn', '2026-11-01T00:00:01Z', '{"id":"b"}'), ($1, 'c', 'pstn', NULL, '{"id":"c"}')`, [T[1]]);
    const before = await ds.query(`SELECT tenant_id, id, raw::text AS raw FROM microsoft_call_rows ORDER BY tenant_id, id`);

    await ds.runMigrations();
    const moved = await ds.query(`SELECT r.tenant_id, r.id, w.raw FROM microsoft_call_rows r JOIN microsoft_raw_rows w USING (tenant_id, raw_batch, raw_line) ORDER BY r.tenant_id, r.id`);
    expect(moved).toEqual(before.map((r: { raw: string }) => ({ ...r, raw: r.raw.replace('\n', ' ') })));
    const batches = await ds.query(`SELECT tenant_id, row_count FROM microsoft_raw_batches ORDER BY tenant_id, row_count DESC`);
    expect(batches).toEqual([{ tenant_id: T[0], row_count: 4000 }, { tenant_id: T[0], row_count: 1 }, { tenant_id: T[1], row_count: 3 }]);
    expect((await ds.query(`SELECT raw_line FROM microsoft_call_rows WHERE id IN ('b', 'a', 'c') ORDER BY raw_line`)).map((r: { raw_line: number }) => r.raw_line)).toEqual([1, 2, 3]);
    expect((await ds.query(`SELECT microsoft_raw_row(raw_batch, raw_line)->>'charge' AS c FROM microsoft_call_rows WHERE id = 'a'`))[0].c).toBe('0.10');
    // microsoft_raw_rows_of reads the same lines, each batch split once; only the tenant's stored ids
    const rowsOf = (tenant: string, ids: string[]) => ds.query(
      `SELECT $1::uuid AS tenant_id, id, raw::text AS raw FROM microsoft_raw_rows_of($1, $2::text[]) ORDER BY id`, [tenant, ids]);
    const allIds = async (tenant: string) => (await ds.query(`SELECT id FROM microsoft_call_rows WHERE tenant_id = $1`, [tenant])).map((r: { id: string }) => r.id);
    expect([...(await rowsOf(T[0], await allIds(T[0]))), ...(await rowsOf(T[1], await allIds(T[1])))]).toEqual(moved);
    expect(await rowsOf(T[1], ['c', 'r7', 'nowhere', 'a', 'a'])).toEqual([
      { tenant_id: T[1], id: 'a', raw: '{"id":"a",   "charge": 0.10}' }, { tenant_id: T[1], id: 'c', raw: '{"id":"c"}' },
    ]);

    await undoThrough('MicrosoftRawBatches1795420300000');
    const back = await ds.query(`SELECT tenant_id, id, raw::text AS raw FROM microsoft_call_rows ORDER BY tenant_id, id`);
    expect(back).toEqual(before.map((r: { raw: string }) => ({ ...r, raw: r.raw.replace('\n', ' ') })));
    await ds.runMigrations();
  });
});

// Microsoft rows keyed by (tenant_id, start_day, id) (MicrosoftRowsKeyedByDay): rows stored before keep,
// with their UTC day; the day comes before the id in the key (a day's inserts stay in its part of it).
describe('migration MicrosoftRowsKeyedByDay', () => {
  let ds: DataSource;
  withMigrationsDataSource((x) => (ds = x));

  const T = ['0b0e8f0c-2b7d-4c1e-9f3a-6d8b0e2c4a71', '1c1e8f0c-2b7d-4c1e-9f3a-6d8b0e2c4a71'];
  const keyColumns = async () => (await ds.query(`
    SELECT array_agg(a.attname::text ORDER BY k.ord) AS cols FROM pg_index i
    CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
    WHERE i.indrelid = 'microsoft_call_rows'::regclass AND i.indisprimary`))[0].cols;
  const insert = (tenant: string, id: string, start: string | null, batch: number, line: number) => ds.query(
    `INSERT INTO microsoft_call_rows (tenant_id, id, source, start_time, raw_batch, raw_line) VALUES ($1, $2, 'pstn', $3, $4, $5)`, [tenant, id, start, batch, line]);

  it('keys stored rows by their UTC start day, finds evidence by it, and goes back when no id is on two days', async () => {
    expect(await keyColumns()).toEqual(['tenant_id', 'start_day', 'id']);
    const [{ id: batch }] = await ds.query(`INSERT INTO microsoft_raw_batches (tenant_id, row_count, lines) VALUES ($1, 3, $2) RETURNING id`,
      [T[0], '{"id":"a"}\n{"id":"b"}\n{"id":"c"}']);
    await ds.undoLastMigration();
    expect(await keyColumns()).toEqual(['tenant_id', 'id']);
    await insert(T[0], 'a', '2026-11-01T23:59:59.999999Z', batch, 1);
    await insert(T[0], 'b', null, batch, 2);
    await insert(T[1], 'a', '2026-11-02T00:00:00+01:00', batch, 3);
    await ds.runMigrations();

    expect(await keyColumns()).toEqual(['tenant_id', 'start_day', 'id']);
    // the UTC day, whatever the session's time zone
    const tokyo = ds.createQueryRunner();
    await tokyo.query(`SET timezone = 'Asia/Tokyo'`);
    await tokyo.query(`INSERT INTO microsoft_call_rows (tenant_id, id, source, start_time, raw_batch, raw_line) VALUES ($1, 'd', 'pstn', '2026-11-03 08:59:59', $2, 3)`, [T[1], batch]);
    await tokyo.query(`RESET timezone`);
    await tokyo.release();
    const days = await ds.query(`SELECT tenant_id, id, start_day::text AS day FROM microsoft_call_rows ORDER BY tenant_id, id`);
    expect(days).toEqual([
      { tenant_id: T[0], id: 'a', day: '2026-11-01' }, { tenant_id: T[0], id: 'b', day: '-infinity' },
      { tenant_id: T[1], id: 'a', day: '2026-11-01' }, { tenant_id: T[1], id: 'd', day: '2026-11-02' },
    ]);
    // the same id on the same day is one row; on another day it is another
    await expect(insert(T[0], 'a', '2026-11-01T08:00:00Z', batch, 1)).rejects.toThrow(/duplicate key/);
    await insert(T[0], 'a', '2026-11-02T08:00:00Z', batch, 2);
    const rowsOf = (tenant: string, ids: string[], ds2: string[]) => ds.query(
      `SELECT id, start_day::text AS day, raw::text AS raw FROM microsoft_raw_rows_of($1, $2::text[], $3::date[]) ORDER BY id, start_day`, [tenant, ids, ds2]);
    expect(await rowsOf(T[0], ['a', 'a', 'b', 'c', 'b'], ['2026-11-01', '2026-11-03', '-infinity', '2026-11-01', '-infinity'])).toEqual([
      { id: 'a', day: '2026-11-01', raw: '{"id":"a"}' }, { id: 'b', day: '-infinity', raw: '{"id":"b"}' },
    ]);
    expect(await rowsOf(T[1], ['a'], ['2026-11-01'])).toEqual([{ id: 'a', day: '2026-11-01', raw: '{"id":"c"}' }]);
    // by id alone: every day's row of each id, an id given twice read once
    expect(await ds.query(`SELECT id, raw_line FROM microsoft_raw_rows_of($1, $2::text[]) ORDER BY id, raw_line`, [T[0], ['a', 'b', 'zz', 'a']]))
      .toEqual([{ id: 'a', raw_line: 1 }, { id: 'a', raw_line: 2 }, { id: 'b', raw_line: 2 }]);

    // back: refused while an id is stored on two days, then done
    await expect(ds.undoLastMigration()).rejects.toThrow(/could not create unique index|duplicate/);
    await ds.query(`DELETE FROM microsoft_call_rows WHERE tenant_id = $1 AND id = 'a' AND start_day = '2026-11-02'`, [T[0]]);
    await ds.undoLastMigration();
    expect(await keyColumns()).toEqual(['tenant_id', 'id']);
    expect((await ds.query(`SELECT count(*)::int AS n FROM typeorm_metadata WHERE name = 'start_day'`))[0].n).toBe(0);
    await ds.runMigrations();
    expect(await keyColumns()).toEqual(['tenant_id', 'start_day', 'id']);
  });
});
