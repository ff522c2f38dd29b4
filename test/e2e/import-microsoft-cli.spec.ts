import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runCli } from '../support/cli';
import { pullLockWaiters, startWaitingForPullLock } from '../support/pull-lock';
import { chargeText, writePstnNdjson } from '../support/fake-microsoft';
import { createTestDatabase, TestDatabase } from '../support/test-db';

const TENANT = '7e7e7e7e-0000-4000-8000-000000000007';


describe('ocrecon import-microsoft (child process)', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  const dir = mkdtempSync(join(tmpdir(), 'ocrecon-msi-cli-'));

  beforeAll(async () => {
    db = await createTestDatabase();
    env = { DATABASE_URL: db.url };
    expect((await runCli(['carriers', 'add', 'acme', '--name', 'Acme'], env)).code).toBe(0);
    expect((await runCli(['tenants', 'add', TENANT, '--carrier', 'acme'], env)).code).toBe(0);
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps memory flat: 1,000,000 NDJSON rows (690 MB) need little more than 100,000, every row stored exactly', async () => {
    const small = join(dir, 'small.ndjson');
    const big = join(dir, 'big.ndjson');
    await writePstnNdjson(small, 100_000, Date.UTC(2026, 10, 3), '7e7e0001');
    await writePstnNdjson(big, 1_000_000, Date.UTC(2026, 10, 4), '7e7e0002');
    // V8 may let a long run's heap grow lazily before it collects (seen in CI: +116 MB once, +24 MB
    // the next time). A heap cap far below what a file-sized buffer would need keeps the figure about
    // the import, not the collector: an import that held the file (690 MB) would die here.
    const capped = { ...env, NODE_OPTIONS: '--max-old-space-size=96' };
    const a = await runCli(['import-microsoft', small, '--tenant', TENANT, '--json'], capped);
    const b = await runCli(['import-microsoft', big, '--tenant', TENANT, '--json'], capped);
    expect(a.code).toBe(0);
    expect(b).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(b.stdout)).toMatchObject({ format: 'ndjson', rowsRead: 1_000_000, inserted: 1_000_000, rejected: 0 });
    expect(b.peakRssMb - a.peakRssMb).toBeLessThan(40);
    expect(b.peakRssMb).toBeLessThan(200);

    // money to the last of its 20 digits (summed over a million rows), instants truncated to the microsecond
    const { rows } = await db.sql.query(`SELECT count(*)::int AS n, sum(charge)::text AS charge,
        count(*) FILTER (WHERE to_char(start_time AT TIME ZONE 'UTC', 'US') = '123456')::int AS seven_digit_fractions
      FROM microsoft_call_rows WHERE tenant_id = $1 AND id LIKE '7e7e0002%'`, [TENANT]);
    let expected = 0n; // chargeText(i) is 0.<20 digits>: sum the digits as integers
    for (let i = 0; i < 1_000_000; i++) expected += BigInt(chargeText(i).slice(2));
    const digits = expected.toString().padStart(21, '0');
    expect(rows[0]).toEqual({ n: 1_000_000, charge: `${digits.slice(0, -20)}.${digits.slice(-20)}`, seven_digit_fractions: 20 * 16_667 }); // every third row of each 50,000 has 7 digits
  }, 600_000);

  it('rolls back on SIGTERM, evidence included: no raw batch is left that no row names', async () => {
    // new rows first (COPYed straight in, their evidence on the second connection), then stored ones:
    // the import turns to the stage, which commits that evidence before its first upsert
    const old = join(dir, 'old.ndjson');
    const mixed = join(dir, 'mixed.ndjson');
    await writePstnNdjson(old, 200_000, Date.UTC(2026, 10, 5), '7e7e0003');
    await writePstnNdjson(mixed, 8_000, Date.UTC(2026, 10, 5), '7e7e0004');
    appendFileSync(mixed, readFileSync(old));
    expect((await runCli(['import-microsoft', old, '--tenant', TENANT], env)).code).toBe(0);
    const state = async () => (await db.sql.query(`SELECT (SELECT count(*)::int FROM microsoft_call_rows) AS rows, (SELECT count(*)::int FROM microsoft_raw_batches) AS batches,
        (SELECT count(*)::int FROM microsoft_raw_batches b WHERE NOT EXISTS (SELECT 1 FROM microsoft_call_rows r WHERE r.raw_batch = b.id)) AS unnamed`)).rows[0];
    const before = await state();
    expect(before.unnamed).toBe(0);

    const child = spawn(process.execPath, [CLI, 'import-microsoft', mixed, '--tenant', TENANT], { env: { ...process.env, ...env } });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    const upserting = async () => (await db.sql.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%SELECT line AS ord%' AND pid <> pg_backend_pid()`)).rowCount! > 0;
    for (let i = 0; i < 1000 && !(await upserting()); i++) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGTERM');
    expect(await exited).toBe(1);
    expect(stderr).toMatch(/ocrecon: import-microsoft: stopped before the end of mixed\.ndjson; nothing of it was stored \(run it again\)\n$/);
    expect(await state()).toEqual(before);

    // SIGKILL at the same point: the evidence committed for the file stays, named by no row, until the
    // next import (or nightly run) finds its import's transaction aborted and deletes it
    const killed = spawn(process.execPath, [CLI, 'import-microsoft', mixed, '--tenant', TENANT], { env: { ...process.env, ...env }, stdio: 'ignore' });
    const gone = new Promise((r) => killed.on('close', r));
    for (let i = 0; i < 1000 && !(await upserting()); i++) await new Promise((r) => setTimeout(r, 10));
    killed.kill('SIGKILL');
    await gone;
    expect(await state()).toMatchObject({ rows: before.rows, unnamed: expect.any(Number) });
    expect((await state()).unnamed).toBeGreaterThan(0);
    const tiny = join(dir, 'tiny.ndjson');
    await writePstnNdjson(tiny, 1, Date.UTC(2026, 10, 6), '7e7e0005');
    expect((await runCli(['import-microsoft', tiny, '--tenant', TENANT], env)).code).toBe(0);
    expect(await state()).toEqual({ rows: before.rows + 1, batches: before.batches + 1, unnamed: 0 });
  }, 120_000);

  it('stops on SIGTERM while it waits for a pull of the tenant to end, storing nothing', async () => {
    const file = join(dir, 'waiting.ndjson');
    await writePstnNdjson(file, 10, Date.UTC(2026, 10, 7), '7e7e0006');
    const rows = async () => (await db.sql.query(`SELECT count(*)::int AS n FROM microsoft_call_rows`)).rows[0].n;
    const before = await rows();
    // a pull of the tenant's PSTN log under way elsewhere: it holds the pull lock
    const waiting = await startWaitingForPullLock(db.sql, TENANT, 'pstn', ['import-microsoft', file, '--tenant', TENANT], env);
    try {
      expect(await pullLockWaiters(db.sql)).toBe(1);
      waiting.child.kill('SIGTERM');
      expect(await waiting.exited).toBe(1);
      expect(waiting.stderr).toMatch(/ocrecon: import-microsoft: stopped before the end of waiting\.ndjson; nothing of it was stored \(run it again\)\n$/);
      expect(await pullLockWaiters(db.sql)).toBe(0);
      expect(await rows()).toBe(before);
    } finally {
      await waiting.release();
    }
    expect((await runCli(['import-microsoft', file, '--tenant', TENANT], env)).code).toBe(0);
    expect(await rows()).toBe(before + 10);
  });
});
