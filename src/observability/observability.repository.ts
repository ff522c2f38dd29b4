import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { MetricSample } from './metrics.service';

/**
 * The queries behind /health and /metrics. Set-based aggregates over the feature tables, read at
 * scrape time; each returns samples ready for MetricsService.
 */
/** Delta rows beyond one per (carrier, kind, status) that a scrape lets stand before folding them. */
const COMPACT_SLACK = 1000;

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

  /** Microsoft pulls per source and status, and the rows they received. */
  async microsoftPullTotals(): Promise<Array<{ source: string; status: string; pulls: number; rows: number; throttled: number }>> {
    return this.dataSource.query(
      `SELECT source, status, count(*)::float8 AS pulls, coalesce(sum(rows_received), 0)::float8 AS rows,
              coalesce(sum(throttled), 0)::float8 AS throttled
         FROM microsoft_pulls GROUP BY source, status ORDER BY 1, 2`,
    );
  }

  /**
   * Stored discrepancies per carrier, kind and review status: the sums of discrepancy_count_deltas,
   * which triggers on discrepancies write (a few rows per statement; see migration DiscrepancyCounts),
   * not a count over the discrepancies. When the deltas outnumber their sums by COMPACT_SLACK rows they
   * are folded into one row per sum, by one reader at a time (the others skip it); a reader beside the
   * fold sees the table before or after it, both with the same sums.
   */
  async discrepancyCounts(): Promise<MetricSample[]> {
    const rows: Array<{ carrier: string; kind: string; status: string; n: number; deltas: number }> = await this.dataSource.query(
      `SELECT carrier_id AS carrier, kind, status, sum(delta)::float8 AS n, (sum(count(*)) OVER ())::int AS deltas
         FROM discrepancy_count_deltas GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    );
    if (rows.length > 0 && rows[0].deltas > rows.length + COMPACT_SLACK) await this.compactDiscrepancyCounts();
    return rows.filter((r) => r.n !== 0).map((r) => ({ labels: { carrier: r.carrier, kind: r.kind, status: r.status }, value: r.n }));
  }

  /** Folds discrepancy_count_deltas into one row per (carrier, kind, status), zero sums dropped. */
  async compactDiscrepancyCounts(): Promise<boolean> {
    return this.dataSource.transaction(async (m) => {
      const [lock] = await m.query(`SELECT pg_try_advisory_xact_lock(hashtext('ocrecon.metrics'), hashtext('discrepancy_count_deltas')) AS ok`);
      if (!lock.ok) return false;
      await m.query(`WITH gone AS (DELETE FROM discrepancy_count_deltas RETURNING *)
        INSERT INTO discrepancy_count_deltas SELECT carrier_id, kind, status, sum(delta) FROM gone GROUP BY 1, 2, 3 HAVING sum(delta) <> 0`);
      return true;
    });
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
