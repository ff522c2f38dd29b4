import { BenchSection, openBenchContext } from './bench-context';
import { e2eBench } from './e2e.bench';
import { historyBench } from './history.bench';
import { importBench } from './import.bench';
import { ingestBench } from './ingest.bench';
import { pullBench } from './pull.bench';
import { matchBench } from './match.bench';

/**
 * `npm run bench [-- --rows N] [--only name,name] [--days N]`: runs each section and prints, as its
 * last line, one JSON object with every figure. Sections are independent (each makes its own
 * database). `history` (N days, 6 unless --days says) runs only when named.
 */
const SECTIONS: Record<string, BenchSection> = {
  ingest: ingestBench,
  pull: pullBench,
  match: matchBench,
  e2e: e2eBench,
  import: importBench,
};

/** Sections run only when --only names them. */
const ON_REQUEST: Record<string, BenchSection> = {
  history: historyBench,
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const rowsArg = args.indexOf('--rows');
  const rows = rowsArg >= 0 ? Number(args[rowsArg + 1]) : 1_000_000;
  if (!Number.isInteger(rows) || rows < 1) throw new Error('--rows must be a positive whole number');
  const daysArg = args.indexOf('--days');
  const days = daysArg >= 0 ? Number(args[daysArg + 1]) : 6;
  if (!Number.isInteger(days) || days < 2) throw new Error('--days must be a whole number of at least 2');
  const onlyArg = args.indexOf('--only');
  const only = onlyArg >= 0 ? args[onlyArg + 1].split(',') : Object.keys(SECTIONS);
  const ctx = await openBenchContext(rows, days);
  const figures: Record<string, number | string> = { rows };
  try {
    for (const name of only) {
      const section = SECTIONS[name] ?? ON_REQUEST[name];
      if (!section) throw new Error(`no bench section ${name} (have: ${[...Object.keys(SECTIONS), ...Object.keys(ON_REQUEST)].join(', ')})`);
      process.stderr.write(`bench: ${name}…\n`);
      const out = await section(ctx);
      process.stderr.write(`bench: ${name}: ${JSON.stringify(out)}\n`);
      Object.assign(figures, out);
    }
  } finally {
    await ctx.close();
  }
  process.stdout.write(JSON.stringify(figures) + '\n');
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`bench failed: ${error?.stack ?? error}\n`);
    process.exit(1);
  },
);
