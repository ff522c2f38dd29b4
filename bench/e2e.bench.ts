import { once } from 'node:events';
import { createWriteStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalRow, CANONICAL_HEADER } from '../src/demo/sample-carrier-file';
import { sampleDayCalls } from '../src/demo/sample-day';
import { BenchSection, runCliMeasured } from './bench-context';
import { round } from './ingest.bench';

const TENANT = '4a5e8f0c-2b7d-4c1e-9f3a-6d8b0e2c4a71';

/**
 * End to end, as the nightly work runs it: ingest a carrier file of `rows` CDRs, import Microsoft's
 * log of the same day (`rows` Graph rows, NDJSON), reconcile the day and export its discrepancies,
 * each as the `ocrecon` command a user runs. About 1% of the calls carry each kind of difference.
 * e2e_s is the sum of the four commands' wall times; e2e_peak_rss_mb the largest of their peaks.
 */
export const e2eBench: BenchSection = async (ctx) => {
  const carrierFile = join(ctx.workDir, 'e2e-carrier.csv');
  const microsoftFile = join(ctx.workDir, 'e2e-microsoft.ndjson');
  const carrier = createWriteStream(carrierFile);
  const microsoft = createWriteStream(microsoftFile);
  carrier.write(CANONICAL_HEADER + '\n');
  let c = '';
  let m = '';
  let microsoftRows = 0;
  for (const call of sampleDayCalls({ rows: ctx.rows, dayStartMs: Date.UTC(2026, 10, 1), tenants: [TENANT], operator: 'Bench Telecom', seed: 5, recordPrefix: 'E' })) {
    for (const row of call.carrier) c += canonicalRow(row);
    if (call.microsoft) {
      m += call.microsoft.json + '\n';
      microsoftRows++;
    }
    if (c.length > 1 << 16) {
      if (!carrier.write(c)) await once(carrier, 'drain');
      c = '';
    }
    if (m.length > 1 << 16) {
      if (!microsoft.write(m)) await once(microsoft, 'drain');
      m = '';
    }
  }
  carrier.end(c);
  microsoft.end(m);
  await Promise.all([once(carrier, 'finish'), once(microsoft, 'finish')]);

  const env = { DATABASE_URL: await ctx.createDatabase() };
  await runCliMeasured(['carriers', 'add', 'bench', '--name', 'Bench Telecom'], env);
  await runCliMeasured(['tenants', 'add', TENANT, '--carrier', 'bench'], env);
  const steps = {
    ingest: await runCliMeasured(['ingest', carrierFile, '--carrier', 'bench', '--json'], env),
    import: await runCliMeasured(['import-microsoft', microsoftFile, '--tenant', TENANT, '--json'], env),
    reconcile: await runCliMeasured(['reconcile', '--carrier', 'bench', '--from', '2026-11-01', '--to', '2026-11-02', '--json'], env),
    export: await runCliMeasured(['discrepancies', '--carrier', 'bench', '--from', '2026-11-01', '--to', '2026-11-02', '--format', 'csv'], env),
  };
  const counts = JSON.parse(steps.reconcile.stdout).counts as Record<string, number>;
  const exported = steps.export.stdout.split('\n').length - 2;
  const found = Object.values(counts).reduce((a, b) => a + b, 0);
  if (exported !== found) throw new Error(`the export has ${exported} discrepancies, the reconciliation found ${found}`);
  const total = Object.values(steps).reduce((s, x) => s + x.seconds, 0);
  return {
    e2e_s: round(total),
    e2e_ingest_s: round(steps.ingest.seconds),
    e2e_import_s: round(steps.import.seconds),
    e2e_reconcile_s: round(steps.reconcile.seconds),
    e2e_export_s: round(steps.export.seconds),
    e2e_microsoft_rows: microsoftRows,
    e2e_carrier_file_mb: Math.round(statSync(carrierFile).size / 1048576),
    e2e_discrepancies: found,
    e2e_peak_rss_mb: Math.max(...Object.values(steps).map((x) => x.peakRssMb)),
  };
};
