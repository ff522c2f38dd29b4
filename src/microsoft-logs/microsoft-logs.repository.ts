import { Injectable } from '@nestjs/common';
import { stringify } from 'lossless-json';
import { Readable } from 'node:stream';
import { Client } from 'pg';
import { DataSource, In } from 'typeorm';
import { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import { copyIn, violatesUnique } from '../database/copy-in';
import { Tx } from '../database/transaction';
import { CALL_COLUMNS, RAW_LINE, upsertCallRowsSql } from './call-row-columns';
import { fastUpsertSql } from './graph-row-sql';
import { DIRECT_COLUMNS, STAGE_COLUMNS } from './ndjson-row';
import { checkNotStopped, PullStopped } from './graph-client';
import { callRowKey, StoredCallRow, StoredDialoutAggregate } from './graph-row';
import { START_DAY_SQL } from './microsoft-call-row.entity';
import { MicrosoftPullEntity } from './microsoft-pull.entity';
import { INSERT_RAW_BATCH, RawBatchWriter } from './raw-batch-writer';

export interface UpsertCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

export interface PullPage {
  nextLink: string | null;
  received: number;
  counts: UpsertCounts;
  rejected: number;
  problems: unknown[];
}


const names = CALL_COLUMNS.map(([n]) => n);
/** The final SELECT after upsertCallRowsSql: rows inserted and updated. */
const UPSERTED_COUNTS = `SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated FROM upserted`;
/**
 * One statement per batch: the parsed rows travel as one JSON parameter (money as decimal text),
 * are expanded by jsonb_to_recordset and upserted on their key (tenant_id, start_day, id). The raw rows are the
 * document's own text (json_array_elements gives each element's bytes as they are), matched by
 * their position `ord`: no JavaScript re-serialisation of the evidence.
 * A row whose stored copy is identical is left alone, so the counts say what really changed.
 */
const UPSERT_CALL_ROWS = `
WITH parsed AS (
  SELECT * FROM jsonb_to_recordset($2::jsonb) AS r(ord integer, ${CALL_COLUMNS.map(([n, t]) => `${n} ${t}`).join(', ')})
), raw AS (
  SELECT e.ord::integer - 1 AS ord, ${RAW_LINE('e.value::text')} AS raw FROM json_array_elements(CASE WHEN $4 THEN $3::json -> 'value' ELSE $3::json END) WITH ORDINALITY AS e(value, ord)
), input AS (
  SELECT * FROM parsed JOIN raw USING (ord)
)${upsertCallRowsSql('$1')}
${UPSERTED_COUNTS}`;

/** What the set-based mapping did: `slow` lists the rows (positions or lines) left to toStoredRow. */
export interface FastUpsertCounts extends UpsertCounts {
  /** Rows mapped in SQL (stored, or identical copies). */
  fast: number;
  total: number;
  slow: number[];
}

/**
 * A pull page in one statement, in its own transaction: the page's rows are mapped and upserted by
 * PostgreSQL from the page text, and the cursor moves on with them. When any row of the page needs
 * toStoredRow, nothing is done (the page then goes through the row-by-row path).
 */
/**
 * The SET list of a pull's stored page (SQL expressions for its values): the cursor moves on, counts
 * add up, the pull names this transaction when the page stored or changed rows (the nightly's cue),
 * and is done when there is no next page.
 */
const pageProgress = (v: { nextLink: string; received: string; inserted: string; updated: string; unchanged: string }) => `next_link = ${v.nextLink}, pages = pages + 1,
      rows_received = rows_received + ${v.received}, rows_inserted = rows_inserted + ${v.inserted}, rows_updated = rows_updated + ${v.updated},
      rows_unchanged = rows_unchanged + ${v.unchanged},
      last_xact = CASE WHEN ${v.inserted} + ${v.updated} > 0 THEN pg_current_xact_id()::text ELSE last_xact END,
      status = CASE WHEN ${v.nextLink}::text IS NULL THEN 'done' ELSE 'running' END, error = NULL,
      updated_at = now(), finished_at = CASE WHEN ${v.nextLink}::text IS NULL THEN now() END`;

const UPSERT_PAGE = fastUpsertSql({
  // json, then each row as jsonb to read its fields (cheaper than one jsonb of the whole page taken
  // apart again); the row's own json text is stored.
  elements: `SELECT a.ord - 1 AS ord, a.j::jsonb AS j, a.j AS raw FROM json_array_elements($2::json -> 'value') WITH ORDINALITY AS a(j, ord)`,
  source: '$3::text',
  tenant: '$1',
  allOrNothing: true,
  thenUpdate: `UPDATE microsoft_pulls SET ${pageProgress({
    nextLink: '$5', received: 'counts.total', inserted: 'counts.inserted', updated: 'counts.updated', unchanged: '(counts.fast - counts.inserted - counts.updated)',
  })}
    FROM counts WHERE id = $4::uuid`,
});

/** A staged row's key (microsoft_call_rows: start_day, id). */
const STAGE_KEY = `id, ${START_DAY_SQL('start_time')}`;
/**
 * An import batch, mapped in Node and staged with typed columns and the raw line: one upsert. With
 * `repeated`, only the last line of each key is taken.
 */
const upsertImportStage = (repeated: boolean) => `
WITH input AS (
  SELECT line AS ord, ${names.join(', ')}, raw FROM ${repeated ? `(SELECT DISTINCT ON (${STAGE_KEY}) * FROM microsoft_import_stage ORDER BY ${STAGE_KEY}, line DESC) AS s` : 'microsoft_import_stage'}
)${upsertCallRowsSql('$1')}
${UPSERTED_COUNTS}`;

/**
 * Ids of microsoft_raw_batches an import or a pull takes at a time: a batch mapped ahead needs its id
 * before its turn, and a round trip per batch would cost more than the ids a stopped writer leaves unused.
 */
export const RAW_BATCH_IDS = 64;

const RESERVE_RAW_BATCH_IDS = `SELECT nextval(pg_get_serial_sequence('microsoft_raw_batches', 'id'))::text AS id FROM generate_series(1, $1::int)`;

const UPSERT_IMPORT_STAGE = upsertImportStage(false);
const UPSERT_IMPORT_STAGE_REPEATED = upsertImportStage(true);

const fastCounts = (r: { inserted: number; updated: number; fast: number; total: number; slow: number[] | null }): FastUpsertCounts => ({
  inserted: r.inserted, updated: r.updated, unchanged: r.fast - r.inserted - r.updated, fast: r.fast, total: r.total, slow: r.slow ?? [],
});

@Injectable()
export class MicrosoftLogsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Upserts rows of one tenant by their key (start day, id); a key repeated within the batch keeps its last copy. `raw` is
   * the JSON text holding the rows as received: a Graph page (`{"value": [...]}`, with `rawIsPage`)
   * or an array, where row `ord` of `rows[i]` is found; without it the rows' own `raw` is serialised.
   */
  async upsertCallRows(tx: Tx, tenantId: string, rows: (StoredCallRow & { ord?: number })[], raw?: { json: string; isPage: boolean }): Promise<UpsertCounts> {
    if (rows.length === 0) return { inserted: 0, updated: 0, unchanged: 0 };
    const source = raw ?? { json: stringify(rows.map((r) => r.raw)) as string, isPage: false };
    const byKey = new Map<string, StoredCallRow & { ord: number }>();
    rows.forEach((r, i) => byKey.set(callRowKey(r), { ...r, ord: raw ? r.ord! : i }));
    const params = JSON.stringify([...byKey.values()], (key, value) => (key === 'raw' ? undefined : value));
    const [r] = await tx.queryRunner.query(UPSERT_CALL_ROWS, [tenantId, params, source.json, source.isPage]);
    return { inserted: r.inserted, updated: r.updated, unchanged: rows.length - r.inserted - r.updated };
  }

  /**
   * A Graph page (its JSON text) stored and the pull's cursor moved to `nextLink`, in one statement.
   * Nothing happens when `slow` is not empty.
   */
  async upsertPage(tenantId: string, source: string, pullId: string, pageText: string, nextLink: string | null): Promise<FastUpsertCounts> {
    return this.inPageTransaction(async (tx) => {
      const [r] = await tx.queryRunner.query(UPSERT_PAGE, [tenantId, pageText, source, pullId, nextLink]);
      return fastCounts(r);
    });
  }

  /**
   * A page of new rows, mapped in Node (page-bytes.ts), stored with the pull's cursor in one
   * transaction: `copy` (binary COPY, DIRECT_COLUMNS: copyIntoCallRows) straight into microsoft_call_rows, `raw` (its rows'
   * lines) as raw batch `rawBatch`. Returns 'id taken' (and stores nothing) when a row's id is stored
   * already.
   */
  async storeNewPage(tenantId: string, pullId: string, page: { rawBatch: string; rows: number; copy: Iterable<Buffer>; raw: Buffer; nextLink: string | null }): Promise<UpsertCounts | 'id taken'> {
    return this.inPageTransaction(async (tx) => {
      try {
        await this.copyIntoCallRows(tx, Readable.from(page.copy));
      } catch (error) {
        if (!(error instanceof CallRowIdTaken)) throw error;
        await tx.queryRunner.rollbackTransaction();
        return 'id taken';
      }
      await tx.queryRunner.query(INSERT_RAW_BATCH, [page.rawBatch, tenantId, page.rows, page.raw, null]);
      const counts = { inserted: page.rows, updated: 0, unchanged: 0 };
      await this.recordPage(tx, pullId, { nextLink: page.nextLink, received: page.rows, counts, rejected: 0, problems: [] });
      return counts;
    });
  }

  /**
   * A page mapped in Node (page-bytes.ts) whose rows may be stored already (a re-pull): `copy` (COPY
   * text of the stage, STAGE_COLUMNS) staged and upserted as an import batch is, with the pull's
   * cursor, in one transaction. `repeated`: an id came twice (the last copy wins).
   */
  async storeStagedPage(tenantId: string, pullId: string, page: { rows: number; copy: Iterable<Buffer>; repeated: boolean; nextLink: string | null }): Promise<UpsertCounts> {
    return this.inPageTransaction(async (tx) => {
      await this.createImportStage(tx);
      await this.copyIntoImportStage(tx, Readable.from(page.copy));
      const c = await this.upsertImportStage(tx, tenantId, page.repeated);
      const counts = { ...c, unchanged: page.rows - c.inserted - c.updated };
      await this.recordPage(tx, pullId, { nextLink: page.nextLink, received: page.rows, counts, rejected: 0, problems: [] });
      return counts;
    });
  }

  /**
   * A page's transaction, with asynchronous commit: a page does not wait for its WAL flush. A
   * database crash can lose the last pages, but rows and cursor go together, so the pull then
   * fetches those pages again. `fn` may roll back itself (its outcome is then returned as it is).
   */
  private async inPageTransaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.connect();
      await runner.startTransaction();
      await runner.query(`SET LOCAL synchronous_commit = off`);
      const result = await fn({ queryRunner: runner });
      if (runner.isTransactionActive) await runner.commitTransaction();
      return result;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  /**
   * A transaction-scoped table holding an import batch's rows as they go to microsoft_call_rows (no
   * index, no WAL), emptied after each batch.
   */
  async createImportStage(tx: Tx): Promise<void> {
    await tx.queryRunner.query(`CREATE TEMP TABLE microsoft_import_stage (${STAGE_COLUMNS.map(([n, t]) => `${n} ${t}`).join(', ')}) ON COMMIT DROP`);
  }

  /** COPY text (`stageLine`s) into the stage. */
  async copyIntoImportStage(tx: Tx, copyText: Readable): Promise<void> {
    await copyIn(tx, `COPY microsoft_import_stage (${STAGE_COLUMNS.map(([n]) => n).join(', ')}) FROM STDIN`, copyText);
  }

  /** New ids of microsoft_raw_batches, for rows COPYed before their batch is written. */
  async reserveRawBatchIds(tx: Tx, count: number): Promise<string[]> {
    const rows: { id: string }[] = await tx.queryRunner.query(RESERVE_RAW_BATCH_IDS, [count]);
    return rows.map((r) => r.id);
  }

  /** The same outside any transaction (a sequence's values are never taken back). */
  async reserveRawBatchIdsNow(count: number): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(RESERVE_RAW_BATCH_IDS, [count]);
    return rows.map((r) => r.id);
  }

  /**
   * Deletes the raw batches an import wrote on its evidence connection whose import then aborted (a
   * process killed between the two commits): evidence of rows that were never stored. A batch whose
   * import is in progress or committed, or too old for PostgreSQL to still know, is kept. The count.
   */
  async deleteAbandonedEvidence(): Promise<number> {
    const [row] = await this.dataSource.query(
      `WITH gone AS (DELETE FROM microsoft_raw_batches WHERE import_xact IS NOT NULL AND pg_xact_status(import_xact::xid8) = 'aborted' RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
    );
    return row.n;
  }

  /** The transaction's id (pg_current_xact_id()::text; it is given one now if it had none). */
  async transactionId(tx: Tx): Promise<string> {
    const [row] = await tx.queryRunner.query(`SELECT pg_current_xact_id()::text AS x`);
    return row.x;
  }

  /** A writer of the raw rows of batches COPYed straight into microsoft_call_rows, on a connection of its own. */
  rawBatchWriter(): RawBatchWriter {
    return new RawBatchWriter(this.dataSource);
  }

  /**
   * Binary COPY (a header, rows of DIRECT_COLUMNS written by ndjson-bytes' writeTypedColumns or
   * ndjson-row's putDirectRow, a trailer: the tenant id, the typed columns, the raw batch and line) straight into
   * microsoft_call_rows: the fast path of an import whose rows are new. Throws CallRowIdTaken when a
   * row's id is already stored (or comes twice); the caller, inside a savepoint, then stages the batch instead.
   */
  async copyIntoCallRows(tx: Tx, rows: Readable): Promise<number> {
    try {
      return await copyIn(tx, `COPY microsoft_call_rows (${DIRECT_COLUMNS.map(([n]) => n).join(', ')}) FROM STDIN (FORMAT binary)`, rows);
    } catch (error) {
      if (violatesUnique(error, CALL_ROWS_KEY)) throw new CallRowIdTaken();
      throw error;
    }
  }

  /** Upserts the staged rows (a row whose stored copy is identical is left alone) and empties the stage. */
  async upsertImportStage(tx: Tx, tenantId: string, repeated: boolean): Promise<{ inserted: number; updated: number }> {
    const [r] = await tx.queryRunner.query(repeated ? UPSERT_IMPORT_STAGE_REPEATED : UPSERT_IMPORT_STAGE, [tenantId]);
    await tx.queryRunner.query(`TRUNCATE microsoft_import_stage`);
    return { inserted: r.inserted, updated: r.updated };
  }

  /** A JSON text as PostgreSQL's jsonb writes it back (the last of two equal keys kept, numbers as exact numerics). */
  async jsonbText(tx: Tx, text: string): Promise<string> {
    const [r] = await tx.queryRunner.query(`SELECT $1::jsonb::text AS t`, [text]);
    return r.t;
  }

  /**
   * Holds the pulls of one tenant and source to one at a time, across processes: a session-level
   * advisory lock, kept until release(). Two pulls of the same tenant at once (a manual pull during
   * the nightly, or two carriers sharing a customer tenant) would resume the same unfinished pull
   * record and move its cursor twice, or store an older answer last. The lock is held on a connection
   * of its own, outside the pool: tenants pulled side by side each hold one for their whole pull, and
   * from the pool they would leave none for their pages (with OCRECON_PULL_CONCURRENCY at the pool's
   * size, every pull would wait for a page connection held by none). `onWait` runs once when another
   * process holds the lock and this one starts waiting for it.
   */
  async lockPulls(tenantId: string, source: string, onWait?: () => void, signal?: AbortSignal): Promise<{ release(): Promise<void> }> {
    const options = this.dataSource.options as PostgresConnectionOptions;
    const client = new Client({ connectionString: options.url, application_name: 'ocrecon-pull-lock' });
    await client.connect();
    // An error on an idle connection (the server restarted) must not end the process; the lock went with it.
    client.on('error', () => undefined);
    try {
      const key = `${tenantId}/${source}`;
      const { rows: [got] } = await client.query(`SELECT pg_try_advisory_lock(hashtext('ocrecon.pull'), hashtext($1)) AS ok`, [key]);
      if (!got.ok) {
        onWait?.();
        await this.waitForLock(client, key, tenantId, signal);
      }
      // Ending the session releases its locks.
      return { release: () => client.end().catch(() => undefined) };
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Waits on `client` for the pull lock of `key`. Once `signal` is aborted the wait is cancelled
   * (pg_cancel_backend from the pool, again every 200 ms until it takes: a cancel that arrives before
   * the lock query does nothing) and PullStopped is thrown.
   */
  private async waitForLock(client: Client, key: string, tenantId: string, signal: AbortSignal | undefined): Promise<void> {
    checkNotStopped(tenantId, signal);
    let timer: NodeJS.Timeout | undefined;
    const cancel = () => void this.dataSource.query(`SELECT pg_cancel_backend($1)`, [(client as Client & { processID: number }).processID]).catch(() => undefined);
    const onAbort = () => {
      cancel();
      timer = setInterval(cancel, 200);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await client.query(`SELECT pg_advisory_lock(hashtext('ocrecon.pull'), hashtext($1))`, [key]);
    } catch (error) {
      if (signal?.aborted) throw new PullStopped(tenantId);
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      clearInterval(timer);
    }
    // the lock came just as the signal did: keep to the signal (the caller releases the lock)
    checkNotStopped(tenantId, signal);
  }

  /** An import that stored or changed rows, with its transaction (the nightly's cue to look at its days again). */
  /**
   * Of the UTC start days given (`YYYY-MM-DD`, `-infinity` for rows without a start), those on which
   * the tenant has a stored row: one probe of the key per day.
   */
  async daysWithRows(tx: Tx, tenantId: string, days: string[]): Promise<Set<string>> {
    const rows: { day: string }[] = await tx.queryRunner.query(
      `SELECT d::text AS day FROM unnest($2::date[]) AS d WHERE EXISTS (SELECT 1 FROM microsoft_call_rows m WHERE m.tenant_id = $1 AND m.start_day = d)`,
      [tenantId, days],
    );
    return new Set(rows.map((r) => r.day));
  }

  async recordImport(tx: Tx, i: { tenantId: string; fileName: string; format: string; rowsRead: number; inserted: number; updated: number; unchanged: number; rejected: number; days: string[] }): Promise<void> {
    await tx.queryRunner.query(
      `INSERT INTO microsoft_imports (tenant_id, file_name, format, rows_read, inserted, updated, unchanged, rejected, days, xact)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::date[], pg_current_xact_id()::text)`,
      [i.tenantId, i.fileName, i.format, i.rowsRead, i.inserted, i.updated, i.unchanged, i.rejected, i.days],
    );
  }

  /** True when a pull of exactly this tenant, source and window started at or after `since` and finished. */
  async pullDoneSince(tenantId: string, source: string, fromIso: string, toIso: string, since: Date): Promise<boolean> {
    const rows = await this.dataSource.query(
      `SELECT 1 FROM microsoft_pulls WHERE tenant_id = $1 AND source = $2 AND window_from = $3 AND window_to = $4 AND status = 'done' AND started_at >= $5 LIMIT 1`,
      [tenantId, source, fromIso, toIso, since],
    );
    return rows.length > 0;
  }

  /** The pull of this tenant, source and window that stopped before its end, if any. */
  async findUnfinishedPull(tenantId: string, source: string, fromIso: string, toIso: string): Promise<MicrosoftPullEntity | null> {
    return this.dataSource.getRepository(MicrosoftPullEntity).findOne({
      where: { tenantId, source, windowFrom: new Date(fromIso), windowTo: new Date(toIso), status: In(['running', 'failed', 'interrupted']) },
      order: { startedAt: 'DESC' },
    });
  }

  async startPull(tenantId: string, source: string, fromIso: string, toIso: string): Promise<MicrosoftPullEntity> {
    const repo = this.dataSource.getRepository(MicrosoftPullEntity);
    const { identifiers } = await repo.insert({ tenantId, source, windowFrom: new Date(fromIso), windowTo: new Date(toIso), status: 'running' });
    return (await repo.findOneBy({ id: identifiers[0].id }))!;
  }

  /** Commits a page's progress with its rows (same transaction): the cursor moves on, counts add up. */
  async recordPage(tx: Tx, pullId: string, page: PullPage): Promise<void> {
    await tx.queryRunner.query(
      `UPDATE microsoft_pulls SET ${pageProgress({ nextLink: '$2', received: '$3', inserted: '$4', updated: '$5', unchanged: '$6' })},
         rows_rejected = rows_rejected + $7,
         problems = CASE WHEN $7 = 0 THEN problems WHEN coalesce(jsonb_array_length(problems), 0) < 100 THEN coalesce(problems, '[]'::jsonb) || $8::jsonb ELSE problems END
       WHERE id = $1`,
      [pullId, page.nextLink, page.received, page.counts.inserted, page.counts.updated, page.counts.unchanged, page.rejected, JSON.stringify(page.problems.slice(0, 100))],
    );
  }

  async addThrottled(pullId: string, answers: number): Promise<void> {
    await this.dataSource.query(`UPDATE microsoft_pulls SET throttled = throttled + $2 WHERE id = $1`, [pullId, answers]);
  }

  async failPull(pullId: string, error: string): Promise<void> {
    await this.dataSource.query(`UPDATE microsoft_pulls SET status = 'failed', error = $2, updated_at = now() WHERE id = $1`, [pullId, error]);
  }

  /** A pull stopped by a stop signal at a page boundary: not a failure; the next pull of its window resumes it. */
  async interruptPull(pullId: string, reason: string): Promise<void> {
    await this.dataSource.query(`UPDATE microsoft_pulls SET status = 'interrupted', error = $2, updated_at = now() WHERE id = $1`, [pullId, reason]);
  }

  async findPull(id: string): Promise<MicrosoftPullEntity | null> {
    return this.dataSource.getRepository(MicrosoftPullEntity).findOneBy({ id });
  }

  /** Pulls of a tenant whose window overlaps [from, to), newest first: what the nightly batch asks. */
  async findPulls(tenantId: string, fromIso: string, toIso: string): Promise<MicrosoftPullEntity[]> {
    return this.dataSource
      .getRepository(MicrosoftPullEntity)
      .createQueryBuilder('p')
      .where('p.tenant_id = :tenantId AND p.window_from < :to AND p.window_to > :from', { tenantId, from: fromIso, to: toIso })
      .orderBy('p.started_at', 'DESC')
      .getMany();
  }

  /** A fresh pull of a dial-out report window replaces what an earlier pull of that window stored. */
  async clearDialoutWindow(tx: Tx, tenantId: string, fromIso: string, toIso: string): Promise<void> {
    await tx.queryRunner.query(`DELETE FROM microsoft_dialout_aggregates WHERE tenant_id = $1 AND window_from = $2 AND window_to = $3`, [tenantId, fromIso, toIso]);
  }

  async insertDialoutAggregates(tx: Tx, tenantId: string, fromIso: string, toIso: string, rows: StoredDialoutAggregate[]): Promise<number> {
    if (rows.length === 0) return 0;
    const result = await tx.queryRunner.query(
      `INSERT INTO microsoft_dialout_aggregates (tenant_id, window_from, window_to, user_id, user_principal_name, user_display_name,
         usage_location, destination_context, currency, total_calls, total_call_seconds, total_call_charge, raw)
       SELECT $1::uuid, $2::timestamptz, $3::timestamptz, user_id, user_principal_name, user_display_name, usage_location,
         destination_context, currency, total_calls, total_call_seconds, total_call_charge, raw
       FROM jsonb_to_recordset($4::jsonb) AS r(user_id text, user_principal_name text, user_display_name text, usage_location text,
         destination_context text, currency text, total_calls integer, total_call_seconds integer, total_call_charge numeric, raw jsonb)
       RETURNING 1`,
      [tenantId, fromIso, toIso, stringify(rows)],
    );
    return result.length;
  }
}

/** microsoft_call_rows' primary key, (tenant_id, start_day, id), as migration MicrosoftRowsKeyedByDay named it. */
const CALL_ROWS_KEY = 'PK_158ab2cffb8cdec1b4daeb3cc75';

/** A row's id is already stored for the tenant: a COPY straight into microsoft_call_rows cannot decide it. */
export class CallRowIdTaken extends Error {
  constructor() {
    super('a row id of the batch is already stored');
  }
}
