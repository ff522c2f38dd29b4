import { join } from 'node:path';
import { writePstnNdjson } from '../test/support/fake-microsoft';
import { BenchSection, runCliMeasured } from './bench-context';
import { round } from './ingest.bench';

const TENANT = '5b5b5b5b-0000-4000-8000-000000000005';

/**
 * `ocrecon import-microsoft` of an NDJSON file of `rows` PSTN rows as Graph sends them (money with
 * 20 decimals, 7/5/0 fraction digits), as a child process into a fresh database; then the same file
 * again (every row unchanged).
 */
export const importBench: BenchSection = async (ctx) => {
  const file = join(ctx.workDir, 'microsoft.ndjson');
  await writePstnNdjson(file, ctx.rows, Date.UTC(2026, 10, 1), '5b5b5b5b');
  const env = { DATABASE_URL: await ctx.createDatabase() };
  await runCliMeasured(['carriers', 'add', 'bench', '--name', 'Bench'], env);
  await runCliMeasured(['tenants', 'add', TENANT, '--carrier', 'bench'], env);
  const first = await runCliMeasured(['import-microsoft', file, '--tenant', TENANT, '--json'], env);
  const counts = JSON.parse(first.stdout);
  if (counts.inserted !== ctx.rows) throw new Error(`import stored ${counts.inserted} of ${ctx.rows} rows`);
  const again = await runCliMeasured(['import-microsoft', file, '--tenant', TENANT, '--json'], env);
  if (JSON.parse(again.stdout).unchanged !== ctx.rows) throw new Error('a second import changed rows');
  return {
    import_rows: ctx.rows,
    import_s: round(first.seconds),
    import_rows_per_s: Math.round(ctx.rows / first.seconds),
    import_peak_rss_mb: first.peakRssMb,
    import_again_s: round(again.seconds),
  };
};
