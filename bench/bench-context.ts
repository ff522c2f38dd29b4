import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadConfig } from '../src/config/app-config';
import { openDatabase, runMigrations, withDatabase } from '../src/database/runtime';
import { runNodeMeasured } from './child-process';

/** What every benchmark section gets: the row count asked for, a scratch directory, a database. */
export interface BenchContext {
  rows: number;
  /** Days of the history section. */
  days: number;
  workDir: string;
  /** The server (DATABASE_URL, or the embedded one). */
  serverUrl: string;
  /** A fresh, migrated database on that server, dropped at the end. */
  createDatabase(): Promise<string>;
}

/** A section measures one thing and returns named figures for the final JSON line. */
export type BenchSection = (ctx: BenchContext) => Promise<Record<string, number | string>>;

export async function openBenchContext(rows: number, days = 6): Promise<BenchContext & { close(): Promise<void> }> {
  const config = loadConfig(process.env);
  const db = await openDatabase(config);
  const created: string[] = [];
  const workDir = mkdtempSync(join(tmpdir(), 'ocrecon-bench-'));
  const admin = async <T>(fn: (c: Client) => Promise<T>) => {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  return {
    rows,
    days,
    workDir,
    serverUrl: db.url,
    createDatabase: async () => {
      const name = `ocrecon_bench_${randomBytes(4).toString('hex')}`;
      await admin((c) => c.query(`CREATE DATABASE ${name}`));
      created.push(name);
      const url = withDatabase(db.url, name);
      await runMigrations(url);
      return url;
    },
    close: async () => {
      for (const name of created) await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(() => undefined);
      rmSync(workDir, { recursive: true, force: true });
      await db.stop();
    },
  };
}

/** Peak resident memory of this process (MB), sampled every 20 ms while fn runs. */
export async function measurePeakRss<T>(fn: () => Promise<T>): Promise<{ result: T; peakRssMb: number; seconds: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  const started = process.hrtime.bigint();
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, peakRssMb: Math.round(peak / 1048576), seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  } finally {
    clearInterval(timer);
  }
}

/** Runs `ocrecon <args>` in a child process, as a user would, and measures it; a failure throws. */
export async function runCliMeasured(args: string[], env: Record<string, string>): Promise<{ stdout: string; seconds: number; peakRssMb: number }> {
  const run = await runNodeMeasured(join(__dirname, '..', '..', 'bin', 'ocrecon.js'), args, env);
  if (run.code !== 0) throw new Error(`ocrecon ${args.join(' ')} exited ${run.code}: ${run.stderr.trim()}`);
  return run;
}

/** Seconds fn takes. */
export async function secondsOf(fn: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e9;
}
