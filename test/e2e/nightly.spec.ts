import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleDay } from '../../src/demo/sample-day';
import { writeCanonicalFile } from '../../src/demo/sample-carrier-file';
import { CLI, runCli } from '../support/cli';
import { FakeMicrosoft } from '../support/fake-microsoft';
import { createTestDatabase, TestDatabase } from '../support/test-db';

// The nightly batch as cron or an operator runs it: `ocrecon nightly` child processes pulling from
// the loopback Entra ID + Graph stand-in with the real @azure/identity client, then reconciling.
const T1 = '4a5e8f0c-2b7d-4c1e-9f3a-6d8b0e2c4a71';
const T2 = 'b3c9d1e7-5f2a-4e8b-a6c0-9d4f7e1b3a25';
const D = '2026-11-01';
const DAY_MS = Date.UTC(2026, 10, 1);

describe('ocrecon nightly', () => {
  let db: TestDatabase;
  let fake: FakeMicrosoft;
  let env: Record<string, string>;
  const dir = mkdtempSync(join(tmpdir(), 'ocrecon-nightly-'));
  const day = sampleDay({ rows: 4000, dayStartMs: DAY_MS, tenants: [T1, T2], operator: 'Fabrikam Telecom', seed: 3, recordPrefix: 'N', rate: 0.01 });
  const q = async (sql: string, params: unknown[] = []) => (await db.sql.query(sql, params)).rows;
  const nightly = async (...args: string[]) => {
    const r = await runCli(['nightly', '--date', D, '--carrier', 'fab', '--json', ...args], env);
    if (r.stdout === '') throw new Error(`nightly printed nothing: ${r.stderr}`);
    return { code: r.code, summary: JSON.parse(r.stdout), stderr: r.stderr };
  };
  const exportCsv = async () => (await runCli(['discrepancies', '--carrier', 'fab', '--from', D, '--to', '2026-11-02', '--format', 'csv'], env)).stdout;

  beforeAll(async () => {
    db = await createTestDatabase();
    fake = await FakeMicrosoft.start();
    for (const t of [T1, T2]) fake.setTenant(t, { pstn: day.microsoftRows.filter((r) => r.tenantId === t).map(({ startMs, json }) => ({ startMs, json })) });
    env = {
      DATABASE_URL: db.url, AZURE_CLIENT_ID: fake.clientId, AZURE_CLIENT_SECRET: fake.clientSecret, AZURE_AUTHORITY_HOST: fake.url,
      GRAPH_BASE_URL: fake.url, NODE_EXTRA_CA_CERTS: fake.certFile, OCRECON_GRAPH_BACKOFF_BASE_MS: '50', OCRECON_BATCH_RETRY_BASE_MS: '50',
    };
    expect((await runCli(['carriers', 'add', 'fab', '--name', 'Fabrikam', '--operator-name', 'Fabrikam Telecom'], env)).code).toBe(0);
    for (const t of [T1, T2]) expect((await runCli(['tenants', 'add', t, '--carrier', 'fab'], env)).code).toBe(0);
  });
  afterAll(async () => {
    await fake?.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports days without carrier data as waiting instead of flagging every call as missing', async () => {
    const { code, summary } = await nightly();
    expect(code).toBe(0);
    expect(summary.status).toBe('succeeded');
    expect(summary.days.map((d: { day: string; pull: string; reconcile: string }) => [d.day, d.pull, d.reconcile])).toEqual([
      ['2026-10-30', 'succeeded', 'waiting'], ['2026-10-31', 'succeeded', 'waiting'], [D, 'succeeded', 'waiting'],
    ]);
    expect(summary.waiting).toHaveLength(3);
    expect((await q(`SELECT count(*)::int AS n FROM microsoft_call_rows`))[0].n).toBe(day.microsoftRows.length);
    expect((await q(`SELECT count(*)::int AS n FROM discrepancies`))[0].n).toBe(0);
  });

  it('reconciles the day once the carrier file is in, finding what was planted', async () => {
    const file = join(dir, 'fab-2026-11-01.csv');
    await writeCanonicalFile(file, day.carrierRows);
    expect((await runCli(['ingest', file, '--carrier', 'fab'], env)).code).toBe(0);
    const { code, summary } = await nightly();
    expect(code).toBe(0);
    const d = summary.days.find((x: { day: string }) => x.day === D);
    expect(d.reconcile).toBe('succeeded');
    for (const [kind, n] of Object.entries(day.planted)) expect([kind, summary.counts[kind] ?? 0]).toEqual([kind, n]);
    // The planted currency mismatches put some of Microsoft's money in EUR, which the carrier never billed.
    expect(summary.money.map((m: { currency: string }) => m.currency).sort()).toEqual(['EUR', 'USD']);
    expect(summary.money.find((m: { currency: string }) => m.currency === 'EUR').carrierTotal).toBe('0');
  });

  it('gives the same result when run again, and does not redo an unchanged day', async () => {
    const before = await exportCsv();
    const runsBefore = (await q(`SELECT count(*)::int AS n FROM reconciliation_runs`))[0].n;
    const { summary } = await nightly();
    expect(summary.days.find((x: { day: string }) => x.day === D).reconcile).toBe('unchanged');
    expect((await q(`SELECT count(*)::int AS n FROM reconciliation_runs`))[0].n).toBe(runsBefore);
    expect(await exportCsv()).toBe(before);
    expect(before.split('\n').length).toBeGreaterThan(10);
  });

  it('does the work once when two runners start together', async () => {
    // New carrier data for the day, so the day must be reconciled again: by one runner only.
    const late = join(dir, 'fab-late.csv');
    await writeCanonicalFile(late, [{ ...(day.carrierRows.find((r) => typeof r !== 'string') as object), recordId: 'LATE-1', callId: 'late-call@sbc' } as never]);
    expect((await runCli(['ingest', late, '--carrier', 'fab'], env)).code).toBe(0);
    const runsBefore = (await q(`SELECT count(*)::int AS n FROM reconciliation_runs WHERE window_from = $1::timestamptz`, [D]))[0].n;
    const [a, b] = await Promise.all([nightly(), nightly()]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const outcomes = [a, b].map((r) => r.summary.days.find((x: { day: string }) => x.day === D).reconcile).sort();
    expect(outcomes).toEqual(expect.arrayContaining(['succeeded']));
    expect(outcomes.filter((o: string) => o === 'succeeded')).toHaveLength(1);
    expect((await q(`SELECT count(*)::int AS n FROM reconciliation_runs WHERE window_from = $1::timestamptz`, [D]))[0].n).toBe(runsBefore + 1);
  });

  it('marks a killed run abandoned and completes the night on the next run', async () => {
    // Graph hangs on the first page of tenant 2: the runner is killed while pulling.
    fake.inject({ match: (r) => r.tenantId === T2 && r.fn === 'getPstnCalls', hang: true, times: 1 });
    const late = join(dir, 'fab-late-2.csv');
    await writeCanonicalFile(late, [{ ...(day.carrierRows.find((r) => typeof r !== 'string') as object), recordId: 'LATE-2', callId: 'late-call-2@sbc' } as never]);
    expect((await runCli(['ingest', late, '--carrier', 'fab'], env)).code).toBe(0);
    const child = spawn(process.execPath, [CLI, 'nightly', '--date', D, '--carrier', 'fab'], { env: { ...process.env, ...env }, stdio: 'ignore' });
    // Killed once Graph holds its request: killed any earlier (a busy machine), the run would leave
    // the hang armed for the next run, which would then wait out Graph's timeout.
    for (let i = 0; i < 2400 && !fake.served.some((s) => s.tenantId === T2 && s.status === 0); i++) await new Promise((r) => setTimeout(r, 25));
    expect(fake.served.some((s) => s.tenantId === T2 && s.status === 0)).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    expect((await q(`SELECT count(*)::int AS n FROM batch_runs WHERE status = 'running'`))[0].n).toBe(1);

    const { code, summary } = await nightly();
    expect(code).toBe(0);
    expect(summary.status).toBe('succeeded');
    expect(summary.days.find((x: { day: string }) => x.day === D).reconcile).toBe('succeeded');
    expect((await q(`SELECT status FROM batch_runs ORDER BY started_at`)).map((r) => r.status)).toContain('abandoned');
    expect((await q(`SELECT count(*)::int AS n FROM batch_runs WHERE status = 'running'`))[0].n).toBe(0);

    const runs = await runCli(['runs', '--json'], env);
    const list = JSON.parse(runs.stdout);
    expect(list[0]).toMatchObject({ status: 'succeeded', runDate: D, trigger: 'manual' });
    const shown = await runCli(['runs', '--id', list[0].id], env);
    expect(shown.stdout).toMatch(new RegExp(`fab ${D} reconcile: succeeded`));
    // a mistyped id or limit is the user's mistake, said in one line
    expect(await runCli(['runs', '--id', 'not-a-run'], env)).toMatchObject({ code: 1, stderr: 'ocrecon: no nightly run not-a-run\n' });
    expect(await runCli(['runs', '--limit', 'ten'], env)).toMatchObject({ code: 1, stderr: 'ocrecon: --limit must be a whole number of runs (1 or more), got "ten"\n' });
  });

  it('stops on SIGTERM without waiting out Graph, leaving nothing half-done, and the next run resumes', async () => {
    const late = join(dir, 'fab-late-3.csv');
    await writeCanonicalFile(late, [{ ...(day.carrierRows.find((r) => typeof r !== 'string') as object), recordId: 'LATE-3', callId: 'late-call-3@sbc' } as never]);
    expect((await runCli(['ingest', late, '--carrier', 'fab'], env)).code).toBe(0);
    // Graph throttles the first page for 5 minutes: the pull step is waiting out Retry-After when the
    // signal comes, and stops there instead of waiting (nor is the step tried again).
    fake.inject({ match: (r) => r.tenantId === T1 && r.fn === 'getPstnCalls', status: 429, retryAfter: '300', times: 1 });
    const served = fake.served.length;
    const child = spawn(process.execPath, [CLI, 'nightly', '--date', D, '--carrier', 'fab', '--json'], { env: { ...process.env, ...env } });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    for (let i = 0; i < 400 && !fake.served.slice(served).some((s) => s.status === 429); i++) await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(1);
    const summary = JSON.parse(stdout);
    expect(summary.status).toBe('interrupted');
    expect(summary.days.length).toBeLessThan(3);
    expect((await q(`SELECT status FROM batch_runs WHERE id = $1`, [summary.runId]))[0].status).toBe('interrupted');
    expect(summary.days.at(-1)).toMatchObject({ pull: 'interrupted', reconcile: 'interrupted' });
    expect(await q(`SELECT step, status, attempts FROM batch_steps WHERE run_id = $1 AND day = $2`, [summary.runId, summary.days.at(-1).day]))
      .toEqual([{ step: 'pull', status: 'interrupted', attempts: 1 }]);
    // the throttled pull is recorded as stopped, not failed, and not left running
    const newest = async () => (await q(
      `SELECT id, status, error FROM microsoft_pulls WHERE tenant_id = $1 AND source = 'pstn' AND window_from = $2::date ORDER BY started_at DESC LIMIT 1`, [T1, summary.days.at(-1).day]))[0];
    const stopped = await newest();
    expect(stopped).toMatchObject({ status: 'interrupted', error: expect.stringMatching(/stopped by a stop signal.*after 0 pages/) });
    // No step of any run is left running (the killed run's were closed when it was found abandoned).
    expect((await q(`SELECT count(*)::int AS n FROM batch_steps WHERE status = 'running'`))[0].n).toBe(0);
    expect((await q(`SELECT count(*)::int AS n FROM microsoft_pulls WHERE status = 'running'`))[0].n).toBe(0);

    // the next run resumes that pull (the same record) and finishes the night
    const again = await nightly();
    expect(again.code).toBe(0);
    expect(again.summary.status).toBe('succeeded');
    expect(await newest()).toEqual({ id: stopped.id, status: 'done', error: null });
  });

  it('reconciles an older day again when a carrier file comes for it late, without pulling it again', async () => {
    const later = '2026-11-11'; // the night's days: 11-09 to 11-11; the day D is 10 days before
    const first = await nightly('--date', later);
    expect(first.code).toBe(0);
    // D was looked at by earlier runs (the last one was stopped before it): whatever is left, one run settles it
    const settled = await nightly('--date', later);
    expect(settled.summary.days.map((d: { day: string }) => d.day)).toEqual(['2026-11-09', '2026-11-10', '2026-11-11']);

    const late = join(dir, 'fab-late-4.csv');
    await writeCanonicalFile(late, [{ ...(day.carrierRows.find((r) => typeof r !== 'string') as object), recordId: 'LATE-4', callId: 'late-call-4@sbc' } as never]);
    expect((await runCli(['ingest', late, '--carrier', 'fab'], env)).code).toBe(0);
    const served = fake.served.length;
    const { code, summary } = await nightly('--date', later);
    expect(code).toBe(0);
    // D and the days its rows can pair across; D's neighbours have no carrier data
    expect(summary.days.map((d: { day: string; pull: string; reconcile: string }) => [d.day, d.pull, d.reconcile])).toEqual([
      ['2026-10-31', 'skipped', 'waiting'], [D, 'skipped', 'succeeded'], ['2026-11-02', 'skipped', 'waiting'],
      ['2026-11-09', 'succeeded', 'waiting'], ['2026-11-10', 'succeeded', 'waiting'], ['2026-11-11', 'succeeded', 'waiting'],
    ]);
    expect(fake.served.slice(served).some((s) => s.at && s.skip === 0 && s.status === 200)).toBe(true); // the night's days were pulled
    const flagged = await q(`SELECT kind FROM discrepancies WHERE carrier_record_ref = 'LATE-4'`);
    expect(flagged).toEqual([{ kind: 'MISSING_AT_MICROSOFT' }]);
    const [step] = await q(`SELECT status, detail->>'reason' AS reason FROM batch_steps WHERE run_id = $1 AND day = $2 AND step = 'pull'`, [summary.runId, D]);
    expect(step).toEqual({ status: 'skipped', reason: expect.stringMatching(/^its data changed since it was last looked at/) });

    // looked at: the next night leaves it alone
    const again = await nightly('--date', later);
    expect(again.summary.days.map((d: { day: string }) => d.day)).toEqual(['2026-11-09', '2026-11-10', '2026-11-11']);
  });

  it('pulls the tenants side by side; a retry pulls again only a tenant whose failure may pass, never one refused', async () => {
    const [ok, flaky, refused] = ['c1c1c1c1-0000-4000-8000-0000000000c1', 'c2c2c2c2-0000-4000-8000-0000000000c2', 'c3c3c3c3-0000-4000-8000-0000000000c3'];
    expect((await runCli(['carriers', 'add', 'con', '--name', 'Contoso Voice'], env)).code).toBe(0);
    for (const t of [ok, flaky, refused]) expect((await runCli(['tenants', 'add', t, '--carrier', 'con'], env)).code).toBe(0);
    const rows = day.microsoftRows.filter((r) => r.tenantId === T1).slice(0, 50).map(({ startMs, json }) => ({ startMs, json }));
    fake.setTenant(ok, { pstn: rows });
    fake.setTenant(flaky, { pstn: rows });
    fake.setTenant(refused, { pstn: [], forbidden: true });
    // the flaky tenant's first page fails past Graph's retries (1 here) once: the step's first attempt fails
    fake.inject({ match: (r) => r.tenantId === flaky && r.fn === 'getPstnCalls', status: 503, times: 2 });
    const served = fake.served.length;
    const r = await runCli(['nightly', '--date', D, '--carrier', 'con', '--json'], { ...env, OCRECON_GRAPH_MAX_RETRIES: '1', OCRECON_NIGHTLY_TRAILING_DAYS: '0' });
    const summary = JSON.parse(r.stdout);
    expect(summary.days.map((d: { pull: string; reconcile: string }) => [d.pull, d.reconcile])).toEqual([['failed', 'blocked']]);
    expect(summary.failed).toEqual([{ carrierId: 'con', day: D, step: 'pull', error: expect.stringMatching(new RegExp(`^tenant ${refused}: Graph refused access .*admin consent\\)?$`)) }]);
    const [step] = await q(`SELECT status, attempts, detail FROM batch_steps WHERE run_id = $1 AND step = 'pull'`, [summary.runId]);
    expect(step.status).toBe('failed');
    expect(step.attempts).toBe(2);
    expect(step.detail.tenants.map((t: { tenantId: string; ok: boolean }) => [t.tenantId, t.ok]).sort()).toEqual([[ok, true], [flaky, true], [refused, false]]);
    const requests = (tenant: string) => fake.served.slice(served).filter((s) => s.tenantId === tenant).map((s) => `${s.fn}:${s.skip}:${s.status}`);
    // each of the good tenant's pages fetched once; the refused tenant asked once; the flaky one again after its failure
    expect(requests(ok)).toEqual([...new Set(requests(ok))]);
    expect(requests(refused)).toEqual(['getPstnCalls:0:403']);
    expect(requests(flaky).filter((x) => x === 'getPstnCalls:0:503')).toHaveLength(2);
    expect(requests(flaky)).toContain('getPstnCalls:0:200');
    expect((await q(`SELECT tenant_id, count(*)::int AS n FROM microsoft_call_rows WHERE tenant_id = ANY($1::uuid[]) GROUP BY 1 ORDER BY 1`, [[ok, flaky, refused]]))).toEqual([
      { tenant_id: ok, n: 50 }, { tenant_id: flaky, n: 50 },
    ]);
  });

  it('pulls a tenant that two carriers serve once a night, not once per carrier', async () => {
    const shared = 'c1c1c1c1-0000-4000-8000-0000000000c1'; // con's tenant (the test before)
    expect((await runCli(['carriers', 'add', 'dual', '--name', 'Dual Telecom'], env)).code).toBe(0);
    expect((await runCli(['tenants', 'add', shared, '--carrier', 'dual'], env)).code).toBe(0);
    const served = fake.served.length;
    const r = await runCli(['nightly', '--date', '2026-12-01', '--json'], { ...env, OCRECON_NIGHTLY_TRAILING_DAYS: '0' });
    const summary = JSON.parse(r.stdout);
    const pulls = (carrier: string) => summary.days.find((d: { carrierId: string; day: string }) => d.carrierId === carrier && d.day === '2026-12-01').pull;
    expect([pulls('con'), pulls('dual')]).toEqual(['failed', 'succeeded']); // con's refused tenant still fails its step
    const asked = fake.served.slice(served).filter((s) => s.tenantId === shared && s.status === 200).map((s) => s.fn);
    expect(asked.sort()).toEqual(['getDirectRoutingCalls', 'getPstnCalls', 'getPstnOnlineMeetingDialoutReport']); // each once
    const [step] = await q(`SELECT detail FROM batch_steps WHERE run_id = $1 AND carrier_id = 'dual' AND day = '2026-12-01' AND step = 'pull'`, [summary.runId]);
    expect(step.detail.tenants).toEqual([expect.objectContaining({ tenantId: shared, ok: true, sources: expect.objectContaining({ pstn: expect.objectContaining({ pulls: 0, reused: 1 }) }) })]);
  });
});
