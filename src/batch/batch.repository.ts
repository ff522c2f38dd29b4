import { Injectable } from '@nestjs/common';
import { DataSource, QueryRunner } from 'typeorm';
import { plain } from '../common/decimal';
import { BatchDayStateEntity } from './batch-day-state.entity';
import { BatchRunEntity, RunStatus } from './batch-run.entity';
import { BatchStepEntity, StepStatus } from './batch-step.entity';

/**
 * A dedicated connection holding session-level advisory locks: a run holds one on itself (so a
 * crashed run is recognised: its lock is gone) and one per carrier and day while it works on it
 * (so two runners never do the same carrier and day at once).
 */
export class LockSession {
  constructor(private readonly runner: QueryRunner) {}

  async tryLock(key: string): Promise<boolean> {
    const [row] = await this.runner.query(`SELECT pg_try_advisory_lock(hashtext('ocrecon.nightly'), hashtext($1)) AS ok`, [key]);
    return row.ok;
  }

  async unlock(key: string): Promise<void> {
    await this.runner.query(`SELECT pg_advisory_unlock(hashtext('ocrecon.nightly'), hashtext($1))`, [key]);
  }

  async close(): Promise<void> {
    await this.runner.release();
  }
}

@Injectable()
export class BatchRepository {
  constructor(private readonly dataSource: DataSource) {}

  async openLockSession(): Promise<LockSession> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    return new LockSession(runner);
  }

  /** True when this build has a migration the database lacks (the batch must not run on it). */
  schemaBehind(): Promise<boolean> {
    return this.dataSource.showMigrations();
  }

  listRunning(): Promise<BatchRunEntity[]> {
    return this.dataSource.getRepository(BatchRunEntity).find({ where: { status: 'running' } });
  }

  async createRun(run: Pick<BatchRunEntity, 'trigger' | 'runDate' | 'carrierId' | 'runner'>): Promise<BatchRunEntity> {
    const repo = this.dataSource.getRepository(BatchRunEntity);
    return repo.save(repo.create({ ...run, status: 'running' }));
  }

  /** A run found dead: its unfinished steps are closed as interrupted (they are safe to redo). */
  async abandonRun(id: string, error: string): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      await m.query(`UPDATE batch_steps SET status = 'interrupted', finished_at = now(), error = $2 WHERE run_id = $1 AND status = 'running'`, [id, error]);
      await m.query(`UPDATE batch_runs SET status = 'abandoned', error = $2, finished_at = now() WHERE id = $1`, [id, error]);
    });
  }

  async finishRun(id: string, status: RunStatus, summary: Record<string, unknown> | null, error: string | null = null): Promise<void> {
    await this.dataSource.query(`UPDATE batch_runs SET status = $2, summary = $3, error = $4, finished_at = now() WHERE id = $1`, [id, status, summary, error]);
  }

  async startStep(step: Pick<BatchStepEntity, 'runId' | 'carrierId' | 'day' | 'step'>): Promise<string> {
    const [row] = await this.dataSource.query(
      `INSERT INTO batch_steps (run_id, carrier_id, day, step, status) VALUES ($1, $2, $3, $4, 'running') RETURNING id`,
      [step.runId, step.carrierId, step.day, step.step],
    );
    return row.id;
  }

  async finishStep(id: string, status: StepStatus, attempts: number, detail: Record<string, unknown> | null, error: string | null = null): Promise<void> {
    await this.dataSource.query(
      `UPDATE batch_steps SET status = $2, attempts = $3, detail = $4, error = $5, finished_at = now() WHERE id = $1`,
      [id, status, attempts, detail, error],
    );
  }

  /** Another run finished this carrier and day after `since` (two runners started together). */
  async doneElsewhereSince(carrierId: string, day: string, runId: string, since: Date): Promise<boolean> {
    const rows = await this.dataSource.query(
      `SELECT 1 FROM batch_steps WHERE carrier_id = $1 AND day = $2 AND step = 'reconcile' AND run_id <> $3
         AND status IN ('succeeded', 'unchanged', 'waiting') AND finished_at >= $4 LIMIT 1`,
      [carrierId, day, runId, since],
    );
    return rows.length > 0;
  }

  /**
   * Days in [from, to) that the day's last look (its stored snapshot) did not see change: a carrier
   * file ingested since (a late or corrected file; its rows' days), or a pull or an import of one of
   * the carrier's tenants that stored or changed rows since (an older window pulled by hand, its
   * window's days; a Microsoft file loaded late, its rows' days). Each
   * such day also touches the days its rows can pair across (± the carrier's call-id window, at least
   * one day); a day never looked at counts too. Whether a candidate really changed is the day
   * fingerprint's to say. Oldest first.
   */
  async daysChangedSinceLooked(carrierId: string, from: string, to: string): Promise<string[]> {
    const rows: { day: string }[] = await this.dataSource.query(
      `WITH k AS (SELECT ceil(greatest(86400, call_id_window_seconds) / 86400.0)::int AS n FROM carriers WHERE id = $1),
            changed AS (
              SELECT u.day, f.ingest_xact AS xact
              FROM carrier_files f, unnest(f.days) AS u(day)
              WHERE f.carrier_id = $1 AND f.status = 'loaded' AND f.accepted > 0 AND f.ingest_xact IS NOT NULL
              UNION ALL
              SELECT d::date, p.last_xact
              FROM microsoft_pulls p JOIN tenants t ON t.tenant_id = p.tenant_id AND t.carrier_id = $1 CROSS JOIN k,
                   generate_series((p.window_from AT TIME ZONE 'UTC')::date, ((p.window_to - interval '1 microsecond') AT TIME ZONE 'UTC')::date, interval '1 day') AS d
              WHERE p.last_xact IS NOT NULL AND p.source <> 'dialout' AND p.window_to > $2::date - k.n AND p.window_from < $3::date + k.n
              UNION ALL
              SELECT u.day, i.xact
              FROM microsoft_imports i JOIN tenants t ON t.tenant_id = i.tenant_id AND t.carrier_id = $1, unnest(i.days) AS u(day)
            ),
            touched AS (
              SELECT DISTINCT (c.day + o.n)::date AS day, c.xact
              FROM changed c CROSS JOIN k, generate_series(-k.n, k.n) AS o(n)
              WHERE c.day >= $2::date - k.n AND c.day < $3::date + k.n
            )
       SELECT DISTINCT t.day::text AS day
       FROM touched t LEFT JOIN batch_day_state s ON s.carrier_id = $1 AND s.day = t.day
       WHERE t.day >= $2::date AND t.day < $3::date
         AND (s.snapshot IS NULL OR NOT pg_visible_in_snapshot(t.xact::xid8, s.snapshot::pg_snapshot))
       ORDER BY 1`,
      [carrierId, from, to],
    );
    return rows.map((r) => r.day);
  }

  /** The carrier's CDRs starting on the day, and the snapshot they were counted in. */
  async carrierRowsOnDay(carrierId: string, day: string): Promise<{ rows: number; snapshot: string }> {
    const [row] = await this.dataSource.query(
      `SELECT count(*)::int AS n, pg_current_snapshot()::text AS snapshot FROM carrier_cdrs WHERE carrier_id = $1 AND start_time >= $2::date AND start_time < $2::date + 1`,
      [carrierId, day],
    );
    return { rows: row.n, snapshot: row.snapshot };
  }

  /**
   * A fingerprint of everything a reconciliation of the day reads: both sides' rows over the day and
   * its pairing margins (count and newest row version, xmin, which changes on every insert or
   * update), the carrier's tenants and its settings. Same fingerprint, same result.
   */
  async dayFingerprint(carrierId: string, day: string): Promise<{ fingerprint: string; snapshot: string }> {
    const [row] = await this.dataSource.query(
      `WITH c AS (SELECT * FROM carriers WHERE id = $1),
            w AS (SELECT $2::date - make_interval(secs => greatest(86400, c.call_id_window_seconds)) AS lo,
                         $2::date + 1 + make_interval(secs => greatest(86400, c.call_id_window_seconds)) AS hi FROM c)
       SELECT md5(concat_ws('|',
         (SELECT count(*) || ':' || coalesce(max(x.xmin::text::bigint), 0) FROM carrier_cdrs x, w
           WHERE x.carrier_id = $1 AND x.start_time >= w.lo AND x.start_time < w.hi),
         (SELECT count(*) || ':' || coalesce(max(m.xmin::text::bigint), 0) FROM microsoft_call_rows m
           JOIN tenants t ON t.tenant_id = m.tenant_id AND t.carrier_id = $1, w
           WHERE m.start_time >= w.lo AND m.start_time < w.hi),
         (SELECT string_agg(tenant_id::text, ',' ORDER BY tenant_id) FROM tenants WHERE carrier_id = $1),
         (SELECT row(c.operator_names, c.duration_tolerance_seconds, c.charge_tolerance, c.match_window_seconds, c.call_id_window_seconds)::text FROM c)
       )) AS fingerprint, pg_current_snapshot()::text AS snapshot`,
      [carrierId, day],
    );
    return { fingerprint: row.fingerprint, snapshot: row.snapshot };
  }

  findDayState(carrierId: string, day: string): Promise<BatchDayStateEntity | null> {
    return this.dataSource.getRepository(BatchDayStateEntity).findOneBy({ carrierId, day });
  }

  /** `snapshot`: the one the day's inputs were looked at in (carrierRowsOnDay, dayFingerprint), not a later one. */
  async saveDayState(state: Pick<BatchDayStateEntity, 'carrierId' | 'day' | 'status' | 'fingerprint' | 'reconcileRunId' | 'snapshot'>): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO batch_day_state (carrier_id, day, status, fingerprint, reconcile_run_id, snapshot, updated_at) VALUES ($1, $2, $3, $4, $5, $6, now())
       ON CONFLICT (carrier_id, day) DO UPDATE SET status = EXCLUDED.status, fingerprint = EXCLUDED.fingerprint,
         reconcile_run_id = EXCLUDED.reconcile_run_id, snapshot = EXCLUDED.snapshot, updated_at = now()`,
      [state.carrierId, state.day, state.status, state.fingerprint, state.reconcileRunId, state.snapshot],
    );
  }

  runTotals(): Promise<{ status: string; runs: number }[]> {
    return this.dataSource.query(`SELECT status, count(*)::int AS runs FROM batch_runs GROUP BY status ORDER BY status`);
  }

  lastFinishedRun(): Promise<{ status: string; seconds: number }[]> {
    return this.dataSource.query(
      `SELECT status, extract(epoch FROM finished_at - started_at)::float8 AS seconds FROM batch_runs
       WHERE finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT 1`,
    );
  }

  /** What a reconciliation run found (its stored result): for a day the batch did not need to redo. */
  async reconcileRunResult(runId: string): Promise<{ counts?: Record<string, number>; totalsByCurrency?: { currency: string | null; microsoftTotal: string; carrierTotal: string; moneyDelta: string }[] } | null> {
    const rows = await this.dataSource.query(`SELECT result FROM reconciliation_runs WHERE id = $1`, [runId]);
    return rows[0]?.result ?? null;
  }

  /**
   * Money at stake over carriers' days: the absolute money difference of every call flagged with
   * one, per currency, each call (pair or unpaired row) counted once however many kinds it has.
   */
  async moneyAtStake(carrierDays: { carrierId: string; day: string }[]): Promise<{ currency: string | null; amount: string; calls: number }[]> {
    if (carrierDays.length === 0) return [];
    const rows: { currency: string | null; amount: string; calls: number }[] = await this.dataSource.query(
      `WITH d AS (SELECT * FROM unnest($1::text[], $2::date[]) AS t(carrier_id, day)),
            calls AS (
              SELECT DISTINCT ON (x.carrier_id, coalesce(x.microsoft_row_id, ''), coalesce(x.carrier_cdr_id, 0))
                     coalesce(x.carrier_currency, x.microsoft_currency) AS currency, abs(x.money_delta) AS amount
              FROM discrepancies x JOIN d ON d.carrier_id = x.carrier_id
               AND x.start_time >= d.day AND x.start_time < d.day + 1
              WHERE x.money_delta IS NOT NULL AND x.money_delta <> 0
              ORDER BY x.carrier_id, coalesce(x.microsoft_row_id, ''), coalesce(x.carrier_cdr_id, 0))
       SELECT currency, sum(amount)::text AS amount, count(*)::int AS calls FROM calls GROUP BY currency ORDER BY currency`,
      [carrierDays.map((c) => c.carrierId), carrierDays.map((c) => c.day)],
    );
    return rows.map((r) => ({ ...r, amount: plain(r.amount) }));
  }

  listRuns(limit: number): Promise<BatchRunEntity[]> {
    return this.dataSource.getRepository(BatchRunEntity).find({ order: { startedAt: 'DESC' }, take: limit });
  }

  findRun(id: string): Promise<BatchRunEntity | null> {
    return this.dataSource.getRepository(BatchRunEntity).findOneBy({ id });
  }

  runSteps(runId: string): Promise<BatchStepEntity[]> {
    return this.dataSource.getRepository(BatchStepEntity).find({ where: { runId }, order: { id: 'ASC' } });
  }
}
