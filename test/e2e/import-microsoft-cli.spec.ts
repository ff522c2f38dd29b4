import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli';
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
});
