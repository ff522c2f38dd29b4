import { Injectable } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { appendFileSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { Tx } from '../database/transaction';
import * as F from './fast-path.sql';
import * as Q from './matching.sql';

export interface StagedCounts {
  microsoft: number;
  carrier: number;
}

export interface WindowTotalRow {
  currency: string | null;
  microsoft_total: string;
  carrier_total: string;
}

export interface ControlRow {
  day: string;
  tenant_id: string | null;
  carrier_has_data: boolean;
  microsoft_calls: number;
  microsoft_seconds: string;
  microsoft_money: string | null;
  carrier_calls: number;
  carrier_seconds: string;
  carrier_money: string | null;
  currency: string | null;
  matched_calls: number;
}

/**
 * The matcher's SQL passes (fast-path.sql.ts, matching.sql.ts) on one transaction. The window's rows go
 * into transaction-scoped temporary tables; none of them is held in Node's memory. Only the sums per UTC
 * day, tenant and currency pass through it (from the second connection, scanSumsAside): a few rows
 * per day and tenant.
 */
const TIMING_FILE = process.env.OCRECON_MATCH_TIMING;

/**
 * Who wants to hear of each pass of the reconciliation running in this async context (the CLI's
 * progress line): MatchingService.reconcile sets it around the run, `timed` tells it each pass's name.
 */
export const reconcilePasses = new AsyncLocalStorage<(pass: string) => void>();

/** Runs one statement; with OCRECON_MATCH_TIMING=<file> appends its duration there (for tuning). */
async function timed<T>(tx: Tx, label: string, sql: string, params?: unknown[], raw = false): Promise<T> {
  reconcilePasses.getStore()?.(label);
  const started = TIMING_FILE ? process.hrtime.bigint() : 0n;
  const result = raw ? await tx.queryRunner.query(sql, params, true) : await tx.queryRunner.query(sql, params);
  if (TIMING_FILE) appendFileSync(TIMING_FILE, `match: ${label} ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(3)} s\n`);
  return result as T;
}

@Injectable()
export class MatchingRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Room to sort. */
  async prepareRun(tx: Tx): Promise<void> {
    await tx.queryRunner.query(`SET LOCAL work_mem = '256MB'`);
  }

  async createRun(tx: Tx, run: { carrierId: string; from: string; to: string; ruleSetVersion: number; settings: object }): Promise<string> {
    const [row] = await tx.queryRunner.query(
      `INSERT INTO reconciliation_runs (carrier_id, window_from, window_to, rule_set_version, settings, inputs, result)
       VALUES ($1, $2, $3, $4, $5, '{}', '{}') RETURNING id`,
      [run.carrierId, run.from, run.to, run.ruleSetVersion, JSON.stringify(run.settings)],
    );
    return row.id;
  }

  async finishRun(tx: Tx, runId: string, inputs: object, result: object): Promise<void> {
    await tx.queryRunner.query(`UPDATE reconciliation_runs SET inputs = $2, result = $3, finished_at = clock_timestamp() WHERE id = $1`, [
      runId, JSON.stringify(inputs), JSON.stringify(result),
    ]);
  }

  /**
   * Pairs the common case straight from the base tables (fast-path.sql.ts: a call id on one row of each
   * side), sums and checksums both sides, and stages the rows left for the full pipeline, with the days
   * without carrier data. Returns the rows looked at per side and the pairs made.
   */
  async stageWindow(
    tx: Tx, carrierId: string, from: string, to: string, nearSeconds: number, farSeconds: number,
    rules: { callIdWindowSeconds: number; durationTolerance: string; chargeTolerance: string }, oneDay: boolean,
  ): Promise<StagedCounts & { callIdPairs: number }> {
    const q = tx.queryRunner;
    const margins = [carrierId, from, to, nearSeconds, farSeconds];
    const [far] = await timed<{ has_rows: boolean }[]>(tx, 'far margin', Q.FAR_MARGIN_HAS_ROWS, margins);
    if (far.has_rows) {
      await timed(tx, 'ids', Q.STAGE_WINDOW_CALL_IDS, [carrierId, from, to]);
      await q.query(`ANALYZE rc_ids`);
    }
    // The carrier side's shared call ids, then the sums, need nothing from this session but its
    // snapshot (unless rc_ids is in play): they are computed on a second connection while this one
    // finds the Microsoft side's shared call ids and then runs the join, which has no parallel workers.
    const aside = far.has_rows ? null : this.scanAside(tx, oneDay, margins);
    // Handled here so that a failure while this session is busy is not an unhandled rejection; awaited below.
    aside?.sums.catch(() => undefined);
    try {
      // Grouping 1,000,000 call id hashes: a sort is as fast as a hash table and needs a fifth of the memory.
      await q.query(`SET LOCAL enable_hashagg = off`);
      if (aside) {
        await timed(tx, 'shared call ids (microsoft)', F.STAGE_SHARED_MICROSOFT_CALL_IDS, margins);
        await q.query(F.ADD_SHARED_CALL_IDS, [JSON.stringify(await aside.carrierSharedIds)]);
      } else await timed(tx, 'shared call ids', F.STAGE_SHARED_CALL_IDS(far.has_rows), margins);
      await q.query(`RESET enable_hashagg`);
      await q.query(`ANALYZE rc_multi`);
      await timed(tx, 'joined', F.STAGE_JOINED(far.has_rows), [...margins, rules.callIdWindowSeconds, rules.durationTolerance, rules.chargeTolerance]);
    } finally {
      // Never leave the second connection running past this method, whatever happened here.
      await aside?.sums.catch(() => undefined);
    }
    if (aside) await q.query(F.STAGE_SCAN_SUMS_FROM_JSON, [JSON.stringify(await aside.sums)]);
    else await timed(tx, 'scan sums', F.STAGE_SCAN_SUMS(far.has_rows, oneDay), margins);
    await q.query(`ANALYZE rc_j (id, cdr_id, paired, file_id)`);
    await timed(tx, 'stage microsoft', Q.STAGE_MICROSOFT);
    await timed(tx, 'stage carrier', Q.STAGE_CARRIER);
    await q.query(Q.STAGE_DAYS_WITHOUT_CARRIER_DATA, [carrierId, from, to]);
    await q.query(Q.CREATE_PAIRS);
    // Statistics for the columns the later passes join and filter on (all columns: twice the time).
    await timed(tx, 'analyze', `ANALYZE rc_m (mk, call_id, tenant_id, start_time, ids_n); ANALYZE rc_c (cr, call_id, tenant_id, start_time, ids_n, dup)`);
    const [n] = await q.query(
      `SELECT (SELECT coalesce(sum(n), 0) FROM rc_scan WHERE side = 'microsoft')::int AS microsoft,
              (SELECT coalesce(sum(n), 0) FROM rc_scan WHERE side = 'carrier')::int AS carrier,
              (SELECT count(*) FROM rc_m)::int AS staged`,
    );
    // The fast path's pairs: every Microsoft row not staged.
    return { microsoft: n.microsoft, carrier: n.carrier, callIdPairs: n.microsoft - n.staged };
  }

  /**
   * On a second connection in tx's snapshot (pg_export_snapshot: the same rows as tx sees), so that it
   * runs while tx goes on: the carrier side's shared call id hashes (SHARED_CARRIER_CALL_IDS_AS_TEXT),
   * then SCAN_SUMS. Each promise gives its few rows; `sums` settles last, once the connection is released.
   */
  private scanAside(tx: Tx, oneDay: boolean, margins: unknown[]): { carrierSharedIds: Promise<string[]>; sums: Promise<Record<string, unknown>[]> } {
    let shared!: (ids: string[]) => void;
    let failed!: (error: unknown) => void;
    const carrierSharedIds = new Promise<string[]>((resolve, reject) => {
      shared = resolve;
      failed = reject;
    });
    carrierSharedIds.catch(() => undefined); // the sums carry the failure too
    const sums = this.scanAsideRun(tx, oneDay, margins, shared);
    sums.catch(failed);
    return { carrierSharedIds, sums };
  }

  private async scanAsideRun(tx: Tx, oneDay: boolean, margins: unknown[], shared: (ids: string[]) => void): Promise<Record<string, unknown>[]> {
    const [{ snapshot }] = await tx.queryRunner.query(`SELECT pg_export_snapshot() AS snapshot`);
    if (!/^[0-9A-F-]+$/i.test(snapshot)) throw new Error(`unexpected snapshot id ${snapshot}`);
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    const started = TIMING_FILE ? process.hrtime.bigint() : 0n;
    const lap = (label: string) => {
      if (TIMING_FILE) appendFileSync(TIMING_FILE, `match: ${label} (aside) ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(3)} s\n`);
    };
    try {
      await runner.query(`BEGIN ISOLATION LEVEL REPEATABLE READ`);
      await runner.query(`SET TRANSACTION SNAPSHOT '${snapshot}'`);
      await runner.query(`SET LOCAL work_mem = '256MB'`);
      await runner.query(`SET LOCAL enable_hashagg = off`);
      const ids: { h: string }[] = await runner.query(F.SHARED_CARRIER_CALL_IDS_AS_TEXT, margins);
      shared(ids.map((r) => r.h));
      lap('shared call ids (carrier)');
      await runner.query(`RESET enable_hashagg`);
      const rows: Record<string, unknown>[] = await runner.query(F.SCAN_SUMS_AS_TEXT(oneDay), margins);
      await runner.query(`COMMIT`);
      lap('scan sums');
      return rows;
    } catch (error) {
      await runner.query(`ROLLBACK`).catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  /**
   * Rule 2, then rule 3: candidates, then greedy rounds. Returns the pairs made by each. The
   * tolerances only mark the pairs that classification has to look at (rc_pairs.fails).
   */
  async pairRows(
    tx: Tx, callIdWindowSeconds: number, matchWindowSeconds: number, durationTolerance: string, chargeTolerance: string,
  ): Promise<{ callId: number; numbersAndTime: number; rounds: number }> {
    let round = 0;
    const tolerances = [durationTolerance, chargeTolerance];
    /** The greedy rounds over the contested candidates in rc_cand. */
    const rounds = async (method: string): Promise<number> => {
      await tx.queryRunner.query(`ANALYZE rc_cand`);
      let paired = 0;
      for (;;) {
        round += 1;
        const made = (await timed<{ affected?: number }>(tx, `round ${round}`, Q.PAIR_ROUND, [method, round], true)).affected ?? 0;
        if (made === 0) break;
        paired += made;
        await timed(tx, `drop taken ${round}`, Q.DROP_TAKEN_CANDIDATES, [round]);
        const [{ n }] = await tx.queryRunner.query(`SELECT count(*)::int AS n FROM (SELECT 1 FROM rc_cand LIMIT 1) x`);
        if (n === 0) break;
      }
      return paired;
    };

    round += 1;
    const callIdParams = [callIdWindowSeconds, ...tolerances, 'CALL_ID', round];
    let callId = (await timed<{ affected?: number }>(tx, 'single call ids', Q.PAIR_SINGLE_CALL_IDS, callIdParams, true)).affected ?? 0;
    const contested = (await timed<{ affected?: number }>(tx, 'contested call ids', Q.CONTESTED_CALL_ID_CANDIDATES, callIdParams.slice(0, 3), true)).affected ?? 0;
    if (contested > 0) callId += await rounds('CALL_ID');
    await timed(tx, 'left microsoft', Q.STAGE_LEFT_AFTER_CALL_ID_MICROSOFT);
    await timed(tx, 'left carrier', Q.STAGE_LEFT_AFTER_CALL_ID_CARRIER);
    await tx.queryRunner.query(`ANALYZE rc_m_left; ANALYZE rc_c_left; ANALYZE rc_pairs`);

    await tx.queryRunner.query(`TRUNCATE rc_cand`);
    round += 1;
    const [settled] = await timed<{ paired: number; contested: number }[]>(
      tx, 'candidates NUMBERS_AND_TIME', Q.SETTLE_BY_NUMBERS, [matchWindowSeconds, ...tolerances, 'NUMBERS_AND_TIME', round],
    );
    let numbersAndTime = settled.paired;
    if (settled.contested > 0) numbersAndTime += await rounds('NUMBERS_AND_TIME');
    // The planner needs to know how many rule-3 pairs there are (STAGE_UNPAIRED_* look them up).
    await tx.queryRunner.query(`ANALYZE rc_pairs`);
    return { callId, numbersAndTime, rounds: round };
  }

  async classifyWindow(tx: Tx, from: string, to: string, durationTolerance: string, chargeTolerance: string): Promise<void> {
    await timed(tx, 'unpaired microsoft', Q.STAGE_UNPAIRED_MICROSOFT, [from, to, 'NUMBERS_AND_TIME']);
    await timed(tx, 'unpaired carrier', Q.STAGE_UNPAIRED_CARRIER, [from, to, 'NUMBERS_AND_TIME']);
    await timed(tx, 'classify', Q.STAGE_FOUND, [from, to, durationTolerance, chargeTolerance]);
  }

  /** Replaces the window's stored discrepancies with those found, keeping each survivor's review state. */
  async storeDiscrepancies(tx: Tx, carrierId: string, runId: string, from: string, to: string): Promise<{ created: number; kept: number; removed: number }> {
    const removed = (await timed<{ affected?: number }>(tx, 'delete vanished', Q.DELETE_VANISHED, [carrierId, from, to], true)).affected ?? 0;
    const [row] = await timed<{ created: number; kept: number }[]>(tx, 'upsert', Q.UPSERT_FOUND, [carrierId, runId]);
    return { created: row.created, kept: row.kept, removed };
  }

  async countFound(tx: Tx): Promise<{ kind: string; n: number }[]> {
    return tx.queryRunner.query(Q.COUNT_FOUND);
  }

  /** Each side's calls, seconds and money in the window, for windowTotals and storeControls. */
  async sumWindow(tx: Tx, from: string, to: string): Promise<void> {
    await timed(tx, 'window sums', Q.STAGE_WINDOW_SUMS, [from, to]);
  }

  async windowTotals(tx: Tx): Promise<WindowTotalRow[]> {
    return timed(tx, 'totals', Q.WINDOW_TOTALS);
  }

  async inputChecksums(tx: Tx): Promise<{ side: string; rows: number; checksum: string }[]> {
    return timed(tx, 'checksums', Q.INPUT_CHECKSUMS);
  }

  async daysWithoutCarrierData(tx: Tx): Promise<string[]> {
    const rows: { day: string }[] = await tx.queryRunner.query(`SELECT to_char(day, 'YYYY-MM-DD') AS day FROM rc_silent_days ORDER BY 1`);
    return rows.map((r) => r.day);
  }

  async storeControls(tx: Tx, carrierId: string, runId: string): Promise<ControlRow[]> {
    await timed(tx, 'controls', Q.INSERT_CONTROLS, [runId, carrierId]);
    return tx.queryRunner.query(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, tenant_id, carrier_has_data, microsoft_calls, microsoft_seconds::text, microsoft_money::text,
              carrier_calls, carrier_seconds::text, carrier_money::text, currency, matched_calls
       FROM reconciliation_daily_controls WHERE run_id = $1 ORDER BY day, tenant_id NULLS LAST`,
      [runId],
    );
  }

  /** The most recent run of a carrier that covered a window exactly, if any. */
  async findRun(runId: string): Promise<{ id: string; result: Record<string, unknown> } | null> {
    const rows = await this.dataSource.query(`SELECT id, result FROM reconciliation_runs WHERE id = $1`, [runId]);
    return rows[0] ?? null;
  }
}
