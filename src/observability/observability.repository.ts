import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { MetricSample } from './metrics.service';

/** Delta rows beyond one per key that a scrape lets stand before folding them. */
const COMPACT_SLACK = 1000;

/**
 * Counts kept as deltas by triggers (migrations DiscrepancyCounts, PullCounts): the table, its key
 * columns and its value columns. Writers only insert; readers sum, and fold now and then.
 */
const DELTAS = {
  discrepancies: { table: 'discrepancy_count_deltas', keys: ['carrier_id', 'kind', 'status'], values: ['delta'] },
  pulls: { table: 'microsoft_pull_count_deltas', keys: ['source', 'status'], values: ['pulls', 'rows_received', 'throttled'] },
} as const;
type Deltas = (typeof DELTAS)[keyof typeof DELTAS];

/**
 * The queries behind /health and /metrics. Set-based aggregates over the feature tables, or sums of
 * the delta tables triggers keep, read at scrape time; each returns samples ready for MetricsService.
 */
@Injectable()
export class ObservabilityRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  /** True when a migration of this build is not applied to the database. */
  pendingMigrations(): Promise<boolean> {
    return this.dataSource.showMigrations();
  }

  /** Per carrier and file status: files, accepted rows and rejected rows. */
  async carrierFileTotals(): Promise<Array<{ carrier: string; status: string; files: number; accepted: number; rejected: number }>> {
    return this.dataSource.query(
      `SELECT carrier_id AS carrier, status, count(*)::float8 AS files, coalesce(sum(accepted), 0)::float8 AS accepted,
              coalesce(sum(rejected), 0)::float8 AS rejected
         FROM carrier_files GROUP BY carrier_id, status ORDER BY 1, 2`,
    );
  }

  /** Microsoft pulls per source and status, the rows they received and the throttling they met (sums of microsoft_pull_count_deltas). */
  async microsoftPullTotals(): Promise<Array<{ source: string; status: string; pulls: number; rows: number; throttled: number }>> {
    const rows = (await this.sumDeltas(DELTAS.pulls)) as Array<{ source: string; status: string; pulls: number; rows_received: number; throttled: number }>;
    return rows.filter((r) => r.pulls !== 0).map((r) => ({ source: r.source, status: r.status, pulls: r.pulls, rows: r.rows_received, throttled: r.throttled }));
  }

  /** Stored discrepancies per carrier, kind and review status (sums of discrepancy_count_deltas, not a count over the discrepancies). */
  async discrepancyCounts(): Promise<MetricSample[]> {
    const rows = (await this.sumDeltas(DELTAS.discrepancies)) as Array<{ carrier_id: string; kind: string; status: string; delta: number }>;
    return rows.filter((r) => r.delta !== 0).map((r) => ({ labels: { carrier: r.carrier_id, kind: r.kind, status: r.status }, value: r.delta }));
  }

  /**
   * The sums of a delta table per key. When its rows outnumber the sums by COMPACT_SLACK they are folded
   * into one row per key, by one reader at a time (the others skip it); a reader beside the fold sees
   * the table before or after it, both with the same sums.
   */
  private async sumDeltas(d: Deltas): Promise<Array<Record<string, string | number>>> {
    const keys = d.keys.join(', ');
    const rows: Array<Record<string, string | number> & { deltas: number }> = await this.dataSource.query(
      `SELECT ${keys}, ${d.values.map((v) => `sum(${v})::float8 AS ${v}`).join(', ')}, (sum(count(*)) OVER ())::int AS deltas
         FROM ${d.table} GROUP BY ${keys} ORDER BY ${keys}`,
    );
    if (rows.length > 0 && rows[0].deltas > rows.length + COMPACT_SLACK) await this.foldDeltas(d);
    return rows;
  }

  /** Folds a delta table into one row per key, all-zero sums dropped. */
  private async foldDeltas(d: Deltas): Promise<boolean> {
    return this.dataSource.transaction(async (m) => {
      const [lock] = await m.query(`SELECT pg_try_advisory_xact_lock(hashtext('ocrecon.metrics'), hashtext($1)) AS ok`, [d.table]);
      if (!lock.ok) return false;
      const keys = d.keys.join(', ');
      await m.query(`WITH gone AS (DELETE FROM ${d.table} RETURNING *)
        INSERT INTO ${d.table} (${keys}, ${d.values.join(', ')})
        SELECT ${keys}, ${d.values.map((v) => `sum(${v})`).join(', ')} FROM gone GROUP BY ${keys}
        HAVING ${d.values.map((v) => `sum(${v}) <> 0`).join(' OR ')}`);
      return true;
    });
  }

  /** Folds the discrepancy counts (see foldDeltas). */
  compactDiscrepancyCounts(): Promise<boolean> {
    return this.foldDeltas(DELTAS.discrepancies);
  }

  /** Folds the pull counts (see foldDeltas). */
  compactPullCounts(): Promise<boolean> {
    return this.foldDeltas(DELTAS.pulls);
  }

  /** Per carrier: finished reconciliation runs, and the duration and end of the latest one. */
  async reconciliationRuns(): Promise<Array<{ carrier: string; runs: number; lastDuration: number | null; lastFinished: number | null }>> {
    return this.dataSource.query(
      `SELECT r.carrier_id AS carrier, count(*)::float8 AS runs,
              (array_agg(extract(epoch FROM r.finished_at - r.started_at)::float8 ORDER BY r.finished_at DESC))[1] AS "lastDuration",
              extract(epoch FROM max(r.finished_at))::float8 AS "lastFinished"
         FROM reconciliation_runs r WHERE r.finished_at IS NOT NULL GROUP BY r.carrier_id ORDER BY 1`,
    );
  }
}
