import { spawn } from 'node:child_process';
import { Dec } from '../../src/common/decimal';
import { CLI, runCli } from '../support/cli';
import { pullLockWaiters, startWaitingForPullLock } from '../support/pull-lock';
import { chargeText, connectionChargeText, directRoutingRows, FakeMicrosoft, pstnRows } from '../support/fake-microsoft';
import { createTestDatabase, TestDatabase } from '../support/test-db';

// `ocrecon pull` as a user runs it: a child process whose @azure/identity credential gets its tokens
// from the loopback Entra stand-in (authorityHost pointed at it, instance discovery off) and whose
// Graph calls go to the loopback Graph, trusted through NODE_EXTRA_CA_CERTS.
const T1 = '1a1a1a1a-0000-4000-8000-000000000001';
const T2 = '2b2b2b2b-0000-4000-8000-000000000002';
const T3 = '3c3c3c3c-0000-4000-8000-000000000003';
const DAY = Date.UTC(2026, 0, 10);

describe('ocrecon pull (child process, real @azure/identity, loopback Entra ID and Graph)', () => {
  let db: TestDatabase;
  let fake: FakeMicrosoft;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    fake = await FakeMicrosoft.start();
    fake.setTenant(T1, {
      pstn: pstnRows(2500, DAY, 86_400_000, '1a1a1a1a'),
      directRouting: directRoutingRows(30, DAY, 86_400_000),
      dialout: ['{"userId":"u-1","userPrincipalName":"u1@contoso.example","userDisplayName":"U 1","usageLocation":"US","destinationContext":"International","currency":"USD","totalCalls":3,"totalCallSeconds":420,"totalCallCharge":1.23456789012345678901}'],
    });
    fake.setTenant(T2, { forbidden: true });
    fake.setTenant(T3, { pstn: pstnRows(5000, DAY, 86_400_000, '3c3c3c3c') });
    env = {
      DATABASE_URL: db.url,
      AZURE_CLIENT_ID: fake.clientId,
      AZURE_CLIENT_SECRET: fake.clientSecret,
      AZURE_AUTHORITY_HOST: fake.url,
      GRAPH_BASE_URL: fake.url,
      NODE_EXTRA_CA_CERTS: fake.certFile,
      OCRECON_GRAPH_BACKOFF_BASE_MS: '50',
    };
    expect((await runCli(['carriers', 'add', 'acme', '--name', 'Acme'], env)).code).toBe(0);
    for (const t of [T1, T2]) expect((await runCli(['tenants', 'add', t, '--carrier', 'acme'], env)).code).toBe(0);
    expect((await runCli(['carriers', 'add', 'beta', '--name', 'Beta'], env)).code).toBe(0);
    expect((await runCli(['tenants', 'add', T3, '--carrier', 'beta'], env)).code).toBe(0);
  });
  afterAll(async () => {
    await fake?.close();
    await db?.drop();
  });

  it('pulls every row exactly once through 429/503/504 and an expired token, and names the tenant without consent', async () => {
    fake.inject({ match: (r) => r.tenantId === T1 && r.fn === 'getPstnCalls' && r.skip === 0, revokeTokens: true });
    fake.inject({ match: (r) => r.tenantId === T1 && r.fn === 'getPstnCalls' && r.skip === 1000, status: 429, retryAfter: '1' });
    fake.inject({ match: (r) => r.tenantId === T1 && r.fn === 'getPstnCalls' && r.skip === 2000, status: 503 });
    fake.inject({ match: (r) => r.tenantId === T1 && r.fn === 'getDirectRoutingCalls', status: 504 });

    const r = await runCli(['pull', '--carrier', 'acme', '--from', '2026-01-10', '--to', '2026-01-11T00:00:00Z', '--json'], env);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`tenant ${T2}`);
    expect(r.stderr).toContain('CallRecords.Read.All');
    const report = JSON.parse(r.stdout);
    const t1 = report.tenants.find((t: { tenantId: string }) => t.tenantId === T1);
    expect(t1).toMatchObject({ ok: true, sources: { pstn: { received: 2500, inserted: 2500, pages: 3 }, 'direct-routing': { received: 30, inserted: 30 }, dialout: { received: 1 } } });
    expect(report.tenants.find((t: { tenantId: string }) => t.tenantId === T2)).toMatchObject({ ok: false });

    // every row once, money exact to the last digit, timestamps truncated to microseconds
    const { rows } = await db.sql.query(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids, sum(charge)::text AS charge, sum(connection_charge)::text AS fee
      FROM microsoft_call_rows WHERE tenant_id = $1 AND source = 'pstn'`, [T1]);
    let charge = new Dec(0);
    let fee = new Dec(0);
    for (let i = 0; i < 2500; i++) (charge = charge.plus(chargeText(i))), (fee = fee.plus(connectionChargeText(i)));
    expect(rows[0]).toMatchObject({ n: 2500, ids: 2500 });
    expect(new Dec(rows[0].charge).minus(charge).isZero()).toBe(true);
    expect(new Dec(rows[0].fee).minus(fee).isZero()).toBe(true);
    expect(rows[0].fee).toBe('7747.0000000000000002500'); // 2500 x 0.0000000000000000001: a float would have lost it
    const first = await db.sql.query(`SELECT to_char(start_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS start, charge::text, call_type, microsoft_raw_row(raw_batch, raw_line)->>'charge' AS raw_charge
      FROM microsoft_call_rows WHERE tenant_id = $1 AND id = '1a1a1a1a-0000-4000-8000-000000000000'`, [T1]);
    expect(first.rows[0]).toEqual({ start: '2026-01-10T00:00:00.123456', charge: chargeText(0), call_type: 'brand_new_call_type', raw_charge: chargeText(0) });
    const dr = await db.sql.query(`SELECT count(*)::int AS n FROM microsoft_call_rows WHERE tenant_id = $1 AND source = 'direct-routing' AND successful_call AND final_sip_code = 200`, [T1]);
    expect(dr.rows[0].n).toBe(30);
    const agg = await db.sql.query(`SELECT total_call_charge::text AS c FROM microsoft_dialout_aggregates WHERE tenant_id = $1`, [T1]);
    expect(agg.rows).toEqual([{ c: '1.23456789012345678901' }]);

    // no page served twice; Retry-After honoured; the token scope is the cloud's Graph root
    const pages = fake.pagesServed(T1).map((s) => `${s.fn}:${s.skip}`);
    expect(new Set(pages).size).toBe(pages.length);
    const throttled = fake.served.find((s) => s.tenantId === T1 && s.status === 429)!;
    const retried = fake.pagesServed(T1).find((s) => s.fn === 'getPstnCalls' && s.skip === 1000)!;
    expect(retried.at - throttled.at).toBeGreaterThanOrEqual(1000);
    expect(fake.tokenRequests.filter((t) => t.tenantId === T1).length).toBe(2); // the first token, and one renewal after the 401
    expect(new Set(fake.tokenRequests.map((t) => t.scope))).toEqual(new Set(['https://graph.microsoft.com/.default']));

    // the pulls are recorded for the nightly batch
    const pulls = await db.sql.query(`SELECT tenant_id, source, status, rows_received, error FROM microsoft_pulls ORDER BY tenant_id, source`);
    expect(pulls.rows.filter((p) => p.tenant_id === T1).map((p) => [p.source, p.status, p.rows_received])).toEqual([
      ['dialout', 'done', 1], ['direct-routing', 'done', 30], ['pstn', 'done', 2500],
    ]);
    expect(pulls.rows.find((p) => p.tenant_id === T2)).toMatchObject({ status: 'failed', error: expect.stringContaining('CallRecords.Read.All') });
    // the one 429 is recorded against the PSTN pull (it feeds ocrecon_graph_throttled_total)
    const throttledBy = await db.sql.query(`SELECT source, throttled FROM microsoft_pulls WHERE tenant_id = $1 ORDER BY source`, [T1]);
    expect(throttledBy.rows).toEqual([{ source: 'dialout', throttled: 0 }, { source: 'direct-routing', throttled: 0 }, { source: 'pstn', throttled: 1 }]);
  });

  it('resumes a pull killed midway without fetching any page twice', async () => {
    fake.inject({ match: (r) => r.tenantId === T3 && r.skip === 3000, hang: true });
    const child = spawn(process.execPath, [CLI, 'pull', '--tenant', T3, '--from', '2026-01-10', '--to', '2026-01-11', '--source', 'pstn'], {
      env: { ...process.env, ...env }, stdio: 'ignore',
    });
    const exited = new Promise((r) => child.on('close', r));
    for (let i = 0; i < 600 && !fake.served.some((s) => s.tenantId === T3 && s.skip === 3000); i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await exited;
    const before = await db.sql.query(`SELECT count(*)::int AS n FROM microsoft_call_rows WHERE tenant_id = $1`, [T3]);
    expect(before.rows[0].n).toBe(3000);
    const cursor = await db.sql.query(`SELECT status, pages, next_link FROM microsoft_pulls WHERE tenant_id = $1`, [T3]);
    expect(cursor.rows).toEqual([{ status: 'running', pages: 3, next_link: expect.stringContaining('$skip=3000') }]);

    const r = await runCli(['pull', '--tenant', T3, '--from', '2026-01-10', '--to', '2026-01-11', '--source', 'pstn', '--json'], env);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout).tenants[0].sources.pstn).toMatchObject({ pages: 2, received: 2000, inserted: 2000 });
    const after = await db.sql.query(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM microsoft_call_rows WHERE tenant_id = $1`, [T3]);
    expect(after.rows[0]).toEqual({ n: 5000, ids: 5000 });
    expect(fake.pagesServed(T3).map((s) => s.skip).sort((a, b) => a - b)).toEqual([0, 1000, 2000, 3000, 4000]);
  });

  it('stops on SIGTERM at its next page, even in a long Retry-After, and the same command resumes there', async () => {
    fake.inject({ match: (r) => r.tenantId === T3 && r.skip === 2000, status: 429, retryAfter: '300', times: 1 });
    const served = fake.served.length;
    const args = ['pull', '--tenant', T3, '--from', '2026-01-10', '--to', '2026-01-11', '--source', 'pstn', '--json'];
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise((r) => child.on('close', r));
    for (let i = 0; i < 600 && !fake.served.slice(served).some((s) => s.tenantId === T3 && s.status === 429); i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    expect(await exited).toBe(1);
    expect(stderr).toContain('stopping: each pull ends at its next page');
    expect(stderr).toMatch(/stopped by a stop signal; every page pulled is stored: run the same command again to resume/);
    const newest = async () => (await db.sql.query(`SELECT id, status, pages, next_link FROM microsoft_pulls WHERE tenant_id = $1 ORDER BY started_at DESC LIMIT 1`, [T3])).rows[0];
    const stopped = await newest();
    expect(stopped).toMatchObject({ status: 'interrupted', pages: 2, next_link: expect.stringContaining('$skip=2000') });
    expect((await db.sql.query(`SELECT error FROM microsoft_pulls WHERE id = $1`, [stopped.id])).rows[0].error).toMatch(/stopped by a stop signal.*\(after 2 pages\)$/);

    const r = await runCli(args, env);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout).tenants[0].sources.pstn).toMatchObject({ pages: 3, received: 3000, unchanged: 3000 });
    expect(await newest()).toMatchObject({ id: stopped.id, status: 'done', pages: 5 });
  });

  it('stops on SIGTERM while it waits for another pull of the same tenant and source', async () => {
    // another process pulls T3's PSTN log: it holds the pull lock (a session advisory lock)
    const pullsBefore = (await db.sql.query(`SELECT count(*)::int AS n FROM microsoft_pulls WHERE tenant_id = $1`, [T3])).rows[0].n;
    const waiting = await startWaitingForPullLock(db.sql, T3, 'pstn', ['pull', '--tenant', T3, '--from', '2026-01-10', '--to', '2026-01-11', '--source', 'pstn'], env);
    try {
      expect(await pullLockWaiters(db.sql)).toBe(1);
      waiting.child.kill('SIGTERM');
      expect(await waiting.exited).toBe(1);
      expect(waiting.stderr).toMatch(/stopped by a stop signal; every page pulled is stored/);
      expect(await pullLockWaiters(db.sql)).toBe(0);
      // it started no pull of its own
      expect((await db.sql.query(`SELECT count(*)::int AS n FROM microsoft_pulls WHERE tenant_id = $1`, [T3])).rows[0].n).toBe(pullsBefore);
    } finally {
      await waiting.release();
    }
  });

  it('stops with a one-line reason when the app has no credentials', async () => {
    const r = await runCli(['pull', '--tenant', T3, '--from', '2026-01-10', '--to', '2026-01-11'], { ...env, AZURE_CLIENT_SECRET: '' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ocrecon: pull needs AZURE_CLIENT_ID and either AZURE_CLIENT_SECRET/);
  });
});
