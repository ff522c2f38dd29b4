import { Injectable, OnModuleInit } from '@nestjs/common';
import { MetricsService } from './metrics.service';
import { ObservabilityRepository } from './observability.repository';

/** The metrics of the tables that exist today: carrier files, Microsoft pulls, discrepancies, reconciliation runs. */
@Injectable()
export class CoreMetrics implements OnModuleInit {
  constructor(private readonly metrics: MetricsService, private readonly repository: ObservabilityRepository) {}

  onModuleInit(): void {
    const m = this.metrics;
    const r = this.repository;
    m.registerCounter('ocrecon_carrier_rows_ingested_total', 'Carrier CDR rows stored by ingest (accepted)', ['carrier'], async () =>
      sumBy(await r.carrierFileTotals(), (x) => x.carrier, (x) => x.accepted).map(([carrier, value]) => ({ labels: { carrier }, value })));
    m.registerCounter('ocrecon_carrier_rows_rejected_total', 'Carrier CDR rows rejected by ingest', ['carrier'], async () =>
      sumBy(await r.carrierFileTotals(), (x) => x.carrier, (x) => x.rejected).map(([carrier, value]) => ({ labels: { carrier }, value })));
    m.registerCounter('ocrecon_carrier_files_total', 'Carrier files ingested, by status', ['carrier', 'status'], async () =>
      (await r.carrierFileTotals()).map((x) => ({ labels: { carrier: x.carrier, status: x.status }, value: x.files })));
    m.registerCounter('ocrecon_microsoft_pulls_total', 'Microsoft Graph pulls (tenant x source x window), by status', ['source', 'status'], async () =>
      (await r.microsoftPullTotals()).map((x) => ({ labels: { source: x.source, status: x.status }, value: x.pulls })));
    m.registerCounter('ocrecon_microsoft_rows_pulled_total', 'Rows received from Microsoft Graph', ['source'], async () =>
      sumBy(await r.microsoftPullTotals(), (x) => x.source, (x) => x.rows).map(([source, value]) => ({ labels: { source }, value })));
    m.registerCounter('ocrecon_graph_throttled_total', 'Graph answers 429 (throttling) met and waited out by pulls', ['source'], async () =>
      sumBy(await r.microsoftPullTotals(), (x) => x.source, (x) => x.throttled).map(([source, value]) => ({ labels: { source }, value })));
    m.registerGauge('ocrecon_discrepancies', 'Stored discrepancies, by carrier, kind and review status', ['carrier', 'kind', 'status'], () =>
      r.discrepancyCounts());
    m.registerCounter('ocrecon_reconciliation_runs_total', 'Finished reconciliation runs', ['carrier'], async () =>
      (await r.reconciliationRuns()).map((x) => ({ labels: { carrier: x.carrier }, value: x.runs })));
    m.registerGauge('ocrecon_reconciliation_last_run_duration_seconds', 'Duration of the latest finished reconciliation run', ['carrier'], async () =>
      (await r.reconciliationRuns()).filter((x) => x.lastDuration !== null).map((x) => ({ labels: { carrier: x.carrier }, value: x.lastDuration! })));
    m.registerGauge('ocrecon_reconciliation_last_run_finished_timestamp_seconds', 'End of the latest finished reconciliation run (Unix time)', ['carrier'], async () =>
      (await r.reconciliationRuns()).filter((x) => x.lastFinished !== null).map((x) => ({ labels: { carrier: x.carrier }, value: x.lastFinished! })));
  }
}

function sumBy<T>(rows: T[], key: (r: T) => string, value: (r: T) => number): Array<[string, number]> {
  const sums = new Map<string, number>();
  for (const row of rows) sums.set(key(row), (sums.get(key(row)) ?? 0) + value(row));
  return [...sums];
}
