import { execFileSync } from 'node:child_process';
import { createReadStream, statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { join } from 'node:path';
import { Client } from 'pg';
import { sampleCalls, writeCanonicalFile } from '../src/demo/sample-carrier-file';
import { BenchSection, runCliMeasured } from './bench-context';

const TENANTS = ['0d7d6f3a-1c2b-4f5e-9a8b-7c6d5e4f3a2b', '6b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'];

/**
 * Ingest of a canonical carrier file through the CLI, against the floor: psql's \copy of the same
 * file into a plain table with the same columns and the same indexes as carrier_cdrs (record_id
 * unique, start_time).
 */
export const ingestBench: BenchSection = async (ctx) => {
  const file = join(ctx.workDir, 'carrier.csv');
  await writeCanonicalFile(file, sampleCalls({ rows: ctx.rows, dayStartMs: Date.UTC(2026, 10, 1), tenants: TENANTS }));
  const url = await ctx.createDatabase();
  const env = { DATABASE_URL: url };
  await runCliMeasured(['carriers', 'add', 'bench', '--name', 'Bench Carrier'], env);
  const ingest = await runCliMeasured(['ingest', file, '--carrier', 'bench', '--json'], env);
  const result = JSON.parse(ingest.stdout);
  if (result.accepted !== ctx.rows) throw new Error(`ingest accepted ${result.accepted} of ${ctx.rows} rows`);

  const c = new Client({ connectionString: url });
  await c.connect();
  await c.query(`CREATE TABLE copy_floor (
    record_id text, call_id text, tenant_id uuid, direction text, start_time timestamptz, end_time timestamptz,
    duration_seconds numeric(12,3), caller_number text, callee_number text, charge numeric(18,6),
    connection_charge numeric(18,6), currency char(3))`);
  await c.query(`CREATE UNIQUE INDEX ON copy_floor (record_id)`);
  await c.query(`CREATE INDEX ON copy_floor (start_time)`);
  await c.end();
  const started = process.hrtime.bigint();
  if (hasPsql()) {
    execFileSync('psql', [url, '-q', '-c', `\\copy copy_floor FROM '${file}' WITH (FORMAT csv, HEADER true)`], { stdio: 'inherit' });
  } else {
    // No psql on this machine (the embedded server ships none): the same COPY FROM STDIN that \copy sends.
    const client = new Client({ connectionString: url });
    await client.connect();
    await pipeline(createReadStream(file), client.query(copyFrom(`COPY copy_floor FROM STDIN WITH (FORMAT csv, HEADER true)`)));
    await client.end();
  }
  const floorSeconds = Number(process.hrtime.bigint() - started) / 1e9;

  return {
    rows: ctx.rows,
    ingest_file_mb: Math.round(statSync(file).size / 1048576),
    ingest_s: round(ingest.seconds),
    ingest_rows_per_s: Math.round(ctx.rows / ingest.seconds),
    copy_floor_rows_per_s: Math.round(ctx.rows / floorSeconds),
    ingest_peak_rss_mb: ingest.peakRssMb,
  };
};

export const round = (x: number) => Math.round(x * 100) / 100;

function hasPsql(): boolean {
  try {
    execFileSync('psql', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
