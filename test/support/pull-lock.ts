import { spawn } from 'node:child_process';
import { Client } from 'pg';
import { CLI } from './cli';

/**
 * `ocrecon <args>` started while the test's own session holds the pull lock of `tenant`/`source` (as
 * a pull under way in another process would), once the child is seen waiting for that lock. The
 * caller signals it, awaits `exited`, then calls `release`.
 */
export async function startWaitingForPullLock(sql: Client, tenant: string, source: string, args: string[], env: Record<string, string>) {
  const key = `${tenant}/${source}`;
  await sql.query(`SELECT pg_advisory_lock(hashtext('ocrecon.pull'), hashtext($1))`, [key]);
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
  const run = { child, stderr: '', exited: new Promise<number | null>((r) => child.on('close', r)) };
  child.stderr.on('data', (d) => (run.stderr += d));
  for (let i = 0; i < 600 && (await pullLockWaiters(sql)) === 0; i++) await new Promise((r) => setTimeout(r, 50));
  return Object.assign(run, { release: () => sql.query(`SELECT pg_advisory_unlock(hashtext('ocrecon.pull'), hashtext($1))`, [key]) });
}

/** Sessions of this database waiting for a pull lock. */
export async function pullLockWaiters(sql: Client): Promise<number> {
  const { rows } = await sql.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'ocrecon-pull-lock' AND wait_event_type = 'Lock'`);
  return rows[0].n;
}
