import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { BenchSection, runCliMeasured, secondsOf } from './bench-context';
import { TENANT, writeSampleDay } from './e2e.bench';
import { round } from './ingest.bench';

const DAY_MS = 86_400_000;

/**
 * `--only history [--days N]` (not in the default run: about half a minute a day): N generated days
 * of Microsoft's log (`rows` rows a day, random GUID ids, src/demo/sample-day.ts) imported one after
 * the other into one database, as the nightly stores them, each import's wall time reported: does a
 * day cost more when many are stored? Then, in the same database and untimed but for the COPYs, the
 * last day's rows as stored COPYed into two copies of microsoft_call_rows that hold the days before
 * it: one with ocrecon's key (tenant_id, start_day, id), one with the key before migration
 * MicrosoftRowsKeyedByDay, (tenant_id, id).
 */
export const historyBench: BenchSection = async (ctx) => {
  const env = { DATABASE_URL: await ctx.createDatabase() };
  await runCliMeasured(['carriers', 'add', 'bench', '--name', 'Bench Telecom'], env);
  await runCliMeasured(['tenants', 'add', TENANT, '--carrier', 'bench'], env);
  const imports: number[] = [];
  const first = Date.UTC(2026, 10, 1);
  for (let d = 0; d < ctx.days; d++) {
    const { microsoftFile } = await writeSampleDay(ctx.workDir, `history-${d}`, ctx.rows, first + d * DAY_MS, 100 + d, false, `H${d}-`);
    const run = await runCliMeasured(['import-microsoft', microsoftFile, '--tenant', TENANT, '--json'], env);
    imports.push(run.seconds);
    rmSync(microsoftFile);
  }
  const copies = await lastDayCopies(env.DATABASE_URL, new Date(first + (ctx.days - 1) * DAY_MS).toISOString(), join(ctx.workDir, 'history-last.copy'));
  return {
    history_days: ctx.days,
    history_import_s: imports.map(round).join(', '),
    history_import_first_s: round(imports[0]),
    history_import_last_s: round(imports[imports.length - 1]),
    history_copy_last_day_s: round(copies.key),
    history_copy_last_day_old_key_s: round(copies.oldKey),
  };
};

/** COPY of the last day's stored rows into copies of microsoft_call_rows holding the days before, by each key. */
async function lastDayCopies(url: string, lastDay: string, file: string): Promise<{ key: number; oldKey: number }> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query(`SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) AS cols FROM information_schema.columns
      WHERE table_name = 'microsoft_call_rows' AND column_name <> 'start_day'`);
    const cols: string = rows[0].cols;
    await pipeline(c.query(copyTo(`COPY (SELECT ${cols} FROM microsoft_call_rows WHERE start_time >= '${lastDay}') TO STDOUT`)), createWriteStream(file));
    await c.query(`CREATE TABLE history_key (LIKE microsoft_call_rows INCLUDING DEFAULTS INCLUDING GENERATED)`);
    await c.query(`CREATE TABLE history_old_key (LIKE microsoft_call_rows INCLUDING DEFAULTS)`);
    await c.query(`ALTER TABLE history_old_key DROP COLUMN start_day`);
    for (const [table, key] of [['history_key', 'tenant_id, start_day, id'], ['history_old_key', 'tenant_id, id']]) {
      await c.query(`INSERT INTO ${table} (${cols}) SELECT ${cols} FROM microsoft_call_rows WHERE start_time < '${lastDay}'`);
      await c.query(`ALTER TABLE ${table} ADD PRIMARY KEY (${key})`);
      await c.query(`CREATE INDEX ON ${table} (tenant_id, start_time)`);
      await c.query(`VACUUM ANALYZE ${table}`);
    }
    await c.query('CHECKPOINT');
    const key = await secondsOf(() => pipeline(createReadStream(file), c.query(copyFrom(`COPY history_key (${cols}) FROM STDIN`))));
    await c.query('CHECKPOINT');
    const oldKey = await secondsOf(() => pipeline(createReadStream(file), c.query(copyFrom(`COPY history_old_key (${cols}) FROM STDIN`))));
    return { key, oldKey };
  } finally {
    await c.end();
  }
}
