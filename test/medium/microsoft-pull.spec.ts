import { createHash } from 'node:crypto';
import { INestApplicationContext } from '@nestjs/common';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CarriersService } from '../../src/carriers/carriers.service';
import { AppConfig } from '../../src/config/app-config';
import { TransactionRunner } from '../../src/database/transaction';
import { TenantPullError } from '../../src/microsoft-logs/graph-client';
import { GraphConnector } from '../../src/microsoft-logs/graph-connector';
import { GraphHttp } from '../../src/microsoft-logs/graph-http';
import { MatchingService } from '../../src/matching/matching.service';
import { ImportMicrosoftService } from '../../src/microsoft-logs/import.service';
import { MicrosoftLogsRepository } from '../../src/microsoft-logs/microsoft-logs.repository';
import { PullService } from '../../src/microsoft-logs/pull.service';
import { FakeMicrosoft, pstnRows } from '../support/fake-microsoft';
import { createTestApp, createTestDatabase, TestDatabase } from '../support/test-db';

// The pull and import services on a real PostgreSQL, against the loopback Graph over HTTPS. Tokens
// come straight from the stand-in here (the real @azure/identity path is covered by the CLI tests).
const A = 'aaaaaaaa-0000-4000-8000-00000000000a';
const B = 'bbbbbbbb-0000-4000-8000-00000000000b';
const C = 'cccccccc-0000-4000-8000-00000000000c';
const F1 = 'f1f1f1f1-0000-4000-8000-0000000000f1';
const F2 = 'f2f2f2f2-0000-4000-8000-0000000000f2';
const F3 = 'f3f3f3f3-0000-4000-8000-0000000000f3';
const DAY = 86_400_000;
const START = Date.UTC(2025, 0, 1);

describe('Microsoft logs: pull and import services', () => {
  let db: TestDatabase;
  let app: INestApplicationContext;
  let fake: FakeMicrosoft;
  let small: FakeMicrosoft; // 100-row pages: many pages from few rows
  const dir = mkdtempSync(join(tmpdir(), 'ocrecon-ms-'));

  function pullService(server: FakeMicrosoft): PullService {
    const config = Object.assign(new AppConfig(), app.get(AppConfig), { GRAPH_BASE_URL: server.url });
    const connector = new GraphConnector(config, { tokens: { getToken: async (t) => server.issueToken(t.tenantId) }, http: new GraphHttp({ ca: server.cert }) });
    return new PullService(app.get(CarriersService), app.get(MicrosoftLogsRepository), app.get(TransactionRunner), connector, config);
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await createTestApp(db.url, {
      OCRECON_GRAPH_RATE_LIMIT: '5', OCRECON_GRAPH_RATE_WINDOW_MS: '400', OCRECON_GRAPH_BACKOFF_BASE_MS: '10', OCRECON_GRAPH_MAX_RETRIES: '2',
    });
    fake = await FakeMicrosoft.start();
    small = await FakeMicrosoft.start({ pageSize: 100 });
    const carriers = app.get(CarriersService);
    await carriers.addCarrier({ id: 'acme', name: 'Acme' });
    for (const t of [A, B, C, F1, F2, F3]) await carriers.addTenant({ tenantId: t, carrierId: 'acme' });
  });
  afterAll(async () => {
    await fake?.close();
    await small?.close();
    await app?.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('splits a 100-day window into 90-day calls, stores each row once, and a re-pull replaces only what Microsoft changed', async () => {
    const rows = pstnRows(1500, START, 100 * DAY, 'aaaaaaaa');
    fake.setTenant(A, { pstn: rows });
    const pulls = pullService(fake);
    const first = await pulls.pullWindow({ tenantId: A, from: '2025-01-01', to: '2025-04-11', source: 'pstn' });
    // row 1350 starts exactly on the chunk boundary: PSTN's toDateTime is inclusive, so both calls return it
    expect(first.sources.pstn).toEqual({ pulls: 2, pages: 3, received: 1501, inserted: 1500, updated: 0, unchanged: 1, rejected: 0 });
    const windows = fake.pagesServed(A).length;
    expect(windows).toBe(3);

    rows[7] = { ...rows[7], json: rows[7].json.replace(/"charge":[^,]+/, '"charge":9.99') };
    fake.setTenant(A, { pstn: rows });
    const again = await pulls.pullWindow({ tenantId: A, from: '2025-01-01', to: '2025-04-11', source: 'pstn' });
    expect(again.sources.pstn).toMatchObject({ received: 1501, inserted: 0, updated: 1, unchanged: 1500 });
    const stored = await db.sql.query(`SELECT count(*)::int AS n, (SELECT charge::text FROM microsoft_call_rows WHERE id = 'aaaaaaaa-0000-4000-8000-000000000007') AS c FROM microsoft_call_rows WHERE tenant_id = $1`, [A]);
    expect(stored.rows[0]).toEqual({ n: 1500, c: '9.99' });
    const recorded = await db.sql.query(`SELECT window_from, window_to, status, rows_inserted, rows_updated FROM microsoft_pulls WHERE tenant_id = $1 ORDER BY started_at, window_from`, [A]);
    expect(recorded.rows.map((r) => [r.window_from.toISOString(), r.window_to.toISOString(), r.status, r.rows_inserted, r.rows_updated])).toEqual([
      ['2025-01-01T00:00:00.000Z', '2025-04-01T00:00:00.000Z', 'done', 1351, 0], // the boundary row comes with the first call
      ['2025-04-01T00:00:00.000Z', '2025-04-11T00:00:00.000Z', 'done', 149, 0],
      ['2025-01-01T00:00:00.000Z', '2025-04-01T00:00:00.000Z', 'done', 0, 1],
      ['2025-04-01T00:00:00.000Z', '2025-04-11T00:00:00.000Z', 'done', 0, 0],
    ]);
    // a pull that stored or changed rows names its last such page's transaction (the nightly's cue); one that changed nothing names none
    const xacts = await db.sql.query(`SELECT rows_inserted + rows_updated > 0 AS changed, last_xact IS NOT NULL AS named FROM microsoft_pulls WHERE tenant_id = $1 ORDER BY started_at, window_from`, [A]);
    expect(xacts.rows.map((r) => [r.changed, r.named])).toEqual([[true, true], [true, true], [true, true], [false, false]]);

    // the evidence is each row's text from the page; a row sent spread over lines (JSON whitespace)
    // is a new text: updated, and kept with its line feeds as spaces
    rows[8] = { ...rows[8], json: rows[8].json.replace('{', '{\n  ') };
    fake.setTenant(A, { pstn: rows });
    const third = await pulls.pullWindow({ tenantId: A, from: '2025-01-01', to: '2025-04-11', source: 'pstn' });
    expect(third.sources.pstn).toMatchObject({ received: 1501, inserted: 0, updated: 1, unchanged: 1500 });
    const evidence = await db.sql.query(`SELECT r.id, w.raw FROM microsoft_call_rows r JOIN microsoft_raw_rows w USING (tenant_id, raw_batch, raw_line)
      WHERE r.tenant_id = $1 AND r.id IN ('aaaaaaaa-0000-4000-8000-000000000007', 'aaaaaaaa-0000-4000-8000-000000000008') ORDER BY r.id`, [A]);
    expect(evidence.rows.map((r) => r.raw)).toEqual([rows[7].json, rows[8].json.replace('\n', ' ')]);
  });

  it('stays under the per-tenant rate limit', async () => {
    small.setTenant(B, { pstn: pstnRows(1200, START, DAY, 'bbbbbbbb') });
    const r = await pullService(small).pullWindow({ tenantId: B, from: '2025-01-01', to: '2025-01-02', source: 'pstn' });
    expect(r.sources.pstn).toMatchObject({ pages: 12, inserted: 1200 });
    const at = small.served.filter((s) => s.tenantId === B).map((s) => s.at);
    expect(at).toHaveLength(12);
    // 5 per 400 ms, measured at the server (arrival times jitter by a few ms). The first request also
    // waits for the TLS handshake, so it arrives late and the sixth, sent 400 ms after it left, looks early.
    for (let i = 6; i < at.length; i++) expect(at[i] - at[i - 5]).toBeGreaterThanOrEqual(350);
    expect(at[11] - at[1]).toBeGreaterThanOrEqual(750);
  });

  it('gives a tenant up when its retries run out, and the next pull resumes from the last committed page', async () => {
    small.setTenant(C, { pstn: pstnRows(500, START, DAY, 'cccccccc') });
    small.inject({ match: (r) => r.tenantId === C && r.skip === 200, status: 503, times: 3 });
    const pulls = pullService(small);
    const failure = await pulls.pullWindow({ tenantId: C, from: '2025-01-01', to: '2025-01-02', source: 'pstn' }).catch((e) => e);
    expect(failure).toBeInstanceOf(TenantPullError);
    expect(failure.message).toMatch(new RegExp(`^tenant ${C}: Graph still failing after 2 retries \\(503 ServiceUnavailable`));
    const cursor = await db.sql.query(`SELECT status, pages, next_link, (SELECT count(*)::int FROM microsoft_call_rows WHERE tenant_id = $1) AS n FROM microsoft_pulls WHERE tenant_id = $1`, [C]);
    expect(cursor.rows).toEqual([{ status: 'failed', pages: 2, next_link: expect.stringContaining('$skip=200'), n: 200 }]);

    const resumed = await pulls.pullWindow({ tenantId: C, from: '2025-01-01', to: '2025-01-02', source: 'pstn' });
    expect(resumed.sources.pstn).toMatchObject({ pages: 3, inserted: 300 });
    expect(small.pagesServed(C).map((s) => s.skip)).toEqual([0, 100, 200, 300, 400]);
    const done = await db.sql.query(`SELECT status, pages, rows_inserted FROM microsoft_pulls WHERE tenant_id = $1`, [C]);
    expect(done.rows).toEqual([{ status: 'done', pages: 5, rows_inserted: 500 }]);
  });

  it('stores a page PostgreSQL cannot map alone through toStoredRow: bad rows recorded, the others stored, the cursor moved once', async () => {
    const E = 'eeeeeeee-0000-4000-8000-00000000000e';
    await app.get(CarriersService).addTenant({ tenantId: E, carrierId: 'acme' });
    const rows = pstnRows(250, START, DAY, 'eeeeeeee');
    rows[120] = { ...rows[120], json: rows[120].json.replace(/"startDateTime":"[^"]+"/, '"startDateTime":"2025-01-01T02:00:00.1234567+02:00"') };
    rows[130] = { ...rows[130], json: rows[130].json.replace(/"charge":[^,]+/, '"charge":"lots"') };
    // PostgreSQL text (and jsonb) cannot hold U+0000: the row is refused by name, the page still stored
    rows[140] = { ...rows[140], json: rows[140].json.replace(/"userDisplayName":"[^"]*"/, '"userDisplayName":"Bob\\u0000"') };
    expect(rows[140].json).toContain('Bob\\u0000');
    // an id past 512 bytes (its index entry would not fit) and money past 1000 digits leave PostgreSQL's mapping for toStoredRow
    // (the long id on the first page, which PostgreSQL maps; the long money makes the third one parsed here whole, as \u0000 does the second)
    const longId = Array.from({ length: 47 }, (_, k) => createHash('sha256').update(String(k)).digest('hex')).join('').slice(0, 3000); // incompressible
    rows[90] = { ...rows[90], json: rows[90].json.replace(/"id":"[^"]*"/, `"id":"${longId}"`) };
    rows[220] = { ...rows[220], json: rows[220].json.replace(/"charge":[^,]+/, `"charge":0.${'1'.repeat(20_000)}`) };
    small.setTenant(E, { pstn: rows });
    const r = await pullService(small).pullWindow({ tenantId: E, from: '2025-01-01', to: '2025-01-02', source: 'pstn' });
    expect(r.sources.pstn).toMatchObject({ pages: 3, received: 250, inserted: 246, rejected: 4 });
    const stored = await db.sql.query(`SELECT to_char(start_time AT TIME ZONE 'UTC', 'HH24:MI:SS.US') AS t FROM microsoft_call_rows WHERE tenant_id = $1 AND id = 'eeeeeeee-0000-4000-8000-000000000120'`, [E]);
    expect(stored.rows).toEqual([{ t: '00:00:00.123456' }]);
    // the evidence of the rows around the refused one, on the page parsed here, is their own text
    const evidence = await db.sql.query(
      `SELECT r.id, r.raw::text AS raw FROM microsoft_call_rows m, microsoft_raw_rows_of($1, ARRAY[m.id], ARRAY[m.start_day]) r WHERE m.tenant_id = $1 AND m.id IN ($2, $3) ORDER BY r.id`,
      [E, 'eeeeeeee-0000-4000-8000-000000000139', 'eeeeeeee-0000-4000-8000-000000000141']);
    expect(evidence.rows).toEqual([{ id: 'eeeeeeee-0000-4000-8000-000000000139', raw: rows[139].json }, { id: 'eeeeeeee-0000-4000-8000-000000000141', raw: rows[141].json }]);
    const pull = await db.sql.query(`SELECT status, pages, rows_received, rows_rejected, problems FROM microsoft_pulls WHERE tenant_id = $1`, [E]);
    expect(pull.rows).toEqual([{ status: 'done', pages: 3, rows_received: 250, rows_rejected: 4,
      problems: [{ page: 1, index: 90, id: longId, reason: 'id is longer than 512 bytes' },
        { page: 2, index: 30, id: 'eeeeeeee-0000-4000-8000-000000000130', reason: 'charge "lots" is not a decimal number' },
        { page: 2, index: 40, id: 'eeeeeeee-0000-4000-8000-000000000140', reason: 'userDisplayName holds a NUL character (\\u0000), which PostgreSQL text cannot store' },
        { page: 3, index: 20, id: 'eeeeeeee-0000-4000-8000-000000000220', reason: expect.stringMatching(/^charge "0\.1+…" has more digits than PostgreSQL's numeric holds$/) }] }]);
  });

  it('stores pages mapped from their bytes (straight in while new, staged on a re-pull) exactly as a saved page is imported', async () => {
    // the same rows for three tenants (ids told apart by their first 8 characters); some spread over
    // lines, some with text beyond ASCII, and a Direct Routing log beside the PSTN one
    const pstn = (tag: string, changed = false) => pstnRows(250, START, DAY, tag).map((r, i) => {
      let json = i % 5 === 0 ? r.json.replace(/,"/g, ',\n  "') : i % 7 === 0 ? r.json.replace('"User ', '"Zoë Ångström 日本 ') : r.json;
      if (changed && i % 50 === 3) json = json.replace(/"charge":[^,]+/, '"charge":9.99');
      return { ...r, json };
    });
    const directRouting = (tag: string) => Array.from({ length: 120 }, (_, i) => ({
      startMs: START + i * 60_000,
      json: `{"id":"${tag}-dr-${i}","correlationId":"k-${i % 100}","userId":"u-${i}","startDateTime":"2025-01-01T00:${String(i % 60).padStart(2, '0')}:00.1234567Z",` +
        `"endDateTime":"2025-01-01T01:00:00Z","duration":${i},"callType":"ByotIn","successfulCall":${i % 3 === 0},"finalSipCode":${i % 3 === 0 ? 200 : 486},` +
        `"callerNumber":"+14255550${String(i).padStart(3, '0')}","calleeNumber":"+12065550100","trunkFullyQualifiedDomainName":"sbc.example"}`,
    }));
    const repository = app.get(MicrosoftLogsRepository);
    const imports = app.get(ImportMicrosoftService);
    const window = { from: '2025-01-01', to: '2025-01-02', source: 'all' };
    const importPages = async (tenant: string, tag: string, changed = false) => {
      writeFileSync(join(dir, `${tag}-pstn.json`), `{"value":[${pstn(tag, changed).map((r) => r.json).join(',')}]}`);
      writeFileSync(join(dir, `${tag}-dr.json`), `{"value":[${directRouting(tag).map((r) => r.json).join(',')}]}`);
      await imports.importFile(join(dir, `${tag}-pstn.json`), tenant, { source: 'pstn' });
      await imports.importFile(join(dir, `${tag}-dr.json`), tenant, { source: 'direct-routing' });
    };
    const stored = async (tenant: string) => (await db.sql.query(
      `SELECT substr(id, 9) AS id, source, call_id, user_id, user_principal_name, user_display_name, start_time, end_time, duration_seconds,
              charge::text AS charge, connection_charge::text AS connection_charge, currency, call_type, caller_number, callee_number,
              destination_context, destination_name, conference_id, license_capability, inventory_type, operator, call_duration_source,
              tenant_country_code, usage_country_code, successful_call, final_sip_code
       FROM microsoft_call_rows WHERE tenant_id = $1 ORDER BY id`, [tenant])).rows;
    // the evidence: each row's text as Graph sent it (a saved page's import writes it anew, so it is checked apart)
    const evidence = async (tenant: string) => (await db.sql.query(
      `SELECT substr(id, 9) AS id, microsoft_raw_row(raw_batch, raw_line)::text AS raw FROM microsoft_call_rows WHERE tenant_id = $1 ORDER BY id`, [tenant])).rows;
    const sent = (tag: string, changed = false) => [...pstn(tag, changed), ...directRouting(tag)]
      .map((r) => ({ id: /"id":"([^"]+)"/.exec(r.json)![1].slice(8), raw: r.json.replace(/\n/g, ' ') }))
      .sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));

    // F1: a first pull, every page COPYed straight in; F2: the same rows from saved pages (lossless-json + toStoredRow)
    small.setTenant(F1, { pstn: pstn('f1f1f1f1'), directRouting: directRouting('f1f1f1f1') });
    const direct = jest.spyOn(repository, 'storeNewPage');
    const staged = jest.spyOn(repository, 'storeStagedPage');
    const first = await pullService(small).pullWindow({ tenantId: F1, ...window });
    expect(first.sources).toMatchObject({ pstn: { pages: 3, received: 250, inserted: 250 }, 'direct-routing': { pages: 2, received: 120, inserted: 120 } });
    expect([direct.mock.calls.length, staged.mock.calls.length]).toEqual([5, 0]);
    await importPages(F2, 'f2f2f2f2');
    const viaBytes = await stored(F1);
    expect(viaBytes).toHaveLength(370);
    expect(viaBytes).toEqual(await stored(F2));
    expect(await evidence(F1)).toEqual(sent('f1f1f1f1')); // a row spread over lines is one line of its batch, line feeds as spaces

    // a re-pull with 5 rows changed: the first page meets stored ids, so every page is staged
    direct.mockClear();
    small.setTenant(F1, { pstn: pstn('f1f1f1f1', true), directRouting: directRouting('f1f1f1f1') });
    const again = await pullService(small).pullWindow({ tenantId: F1, ...window });
    expect(again.sources).toMatchObject({ pstn: { received: 250, inserted: 0, updated: 5, unchanged: 245 }, 'direct-routing': { inserted: 0, updated: 0, unchanged: 120 } });
    expect([direct.mock.calls.length, staged.mock.calls.length]).toEqual([2, 5]); // one try per source
    await importPages(F2, 'f2f2f2f2', true);
    expect(await stored(F1)).toEqual(await stored(F2));
    expect(await evidence(F1)).toEqual(sent('f1f1f1f1', true));

    // F3: new rows staged from the start (as when a page's COPY meets a stored id) store the same
    direct.mockResolvedValue('id taken');
    small.setTenant(F3, { pstn: pstn('f3f3f3f3', true), directRouting: directRouting('f3f3f3f3') });
    const viaStage = await pullService(small).pullWindow({ tenantId: F3, ...window }).finally(() => {
      direct.mockRestore();
      staged.mockRestore();
    });
    expect(viaStage.sources).toMatchObject({ pstn: { inserted: 250 }, 'direct-routing': { inserted: 120 } });
    expect(await stored(F3)).toEqual(await stored(F2));
    expect(await evidence(F3)).toEqual(sent('f3f3f3f3', true));
    const pulls = async (tenant: string) => (await db.sql.query(
      `SELECT DISTINCT ON (source) source, pages, rows_received, rows_inserted, rows_updated, rows_unchanged, rows_rejected, status, next_link IS NULL AS ended
       FROM microsoft_pulls WHERE tenant_id = $1 ORDER BY source, started_at`, [tenant])).rows;
    expect(await pulls(F3)).toEqual(await pulls(F1)); // the first pull of each source
  });

  it('runs one pull of a tenant at a time: a second pull waits for the first to end, then pulls the window again', async () => {
    const G = '99999999-0000-4000-8000-000000000009';
    await app.get(CarriersService).addTenant({ tenantId: G, carrierId: 'acme' });
    small.setTenant(G, { pstn: pstnRows(300, START, DAY, '99999999') });
    let release!: () => void;
    small.inject({ match: (r) => r.tenantId === G && r.skip === 100, holdUntil: new Promise<void>((r) => (release = r)) });
    const pulls = pullService(small);
    const request = { tenantId: G, from: '2025-01-01', to: '2025-01-02', source: 'pstn' };
    const first = pulls.pullWindow(request);
    while (!small.served.some((s) => s.tenantId === G && s.skip === 100)) await new Promise((r) => setTimeout(r, 20));
    const events: { waiting?: boolean; pages: number }[] = [];
    const second = pulls.pullWindow(request, (e) => events.push(e));
    // The first pull's second page is held. Without the lock, the second pull would resume the first's
    // unfinished record from its cursor (page 2) at once and both would move that cursor.
    await new Promise((r) => setTimeout(r, 400));
    expect(small.pagesServed(G).map((s) => s.skip)).toEqual([0]);
    expect(events).toEqual([{ tenantId: G, source: 'pstn', pages: 0, received: 0, waiting: true }]);
    release();
    const [a, b] = await Promise.all([first, second]);
    expect(a.sources.pstn).toMatchObject({ pulls: 1, pages: 3, inserted: 300, unchanged: 0 });
    expect(b.sources.pstn).toMatchObject({ pulls: 1, pages: 3, inserted: 0, unchanged: 300 });
    expect(small.pagesServed(G).map((s) => s.skip)).toEqual([0, 100, 200, 0, 100, 200]);
    const recorded = await db.sql.query(`SELECT status, pages, rows_inserted, rows_unchanged FROM microsoft_pulls WHERE tenant_id = $1 ORDER BY started_at`, [G]);
    expect(recorded.rows).toEqual([
      { status: 'done', pages: 3, rows_inserted: 300, rows_unchanged: 0 },
      { status: 'done', pages: 3, rows_inserted: 0, rows_unchanged: 300 },
    ]);
  });

  it('imports a file of a tenant only while no pull of it runs', async () => {
    const H = '8b8b8b8b-0000-4000-8000-00000000008b';
    await app.get(CarriersService).addTenant({ tenantId: H, carrierId: 'acme' });
    writeFileSync(join(dir, 'held.ndjson'), `{"id":"h-1","callId":"c-1","startDateTime":"2025-03-01T10:00:00Z","duration":60,"operator":"Acme"}\n`);
    const pullLock = await app.get(MicrosoftLogsRepository).lockPulls(H, 'direct-routing'); // a pull of the tenant under way
    let waited = 0;
    let done = false;
    const importing = app.get(ImportMicrosoftService).importFile(join(dir, 'held.ndjson'), H, { onWaiting: () => waited++ }).then((r) => ((done = true), r));
    await new Promise((r) => setTimeout(r, 300));
    expect([waited, done]).toEqual([1, false]);
    expect((await db.sql.query(`SELECT count(*)::int AS n FROM microsoft_call_rows WHERE tenant_id = $1`, [H])).rows[0].n).toBe(0);
    await pullLock.release();
    expect(await importing).toMatchObject({ inserted: 1 });
    // and a pull waits for an import the same way (the same locks): the import's are free again
    const again = await app.get(MicrosoftLogsRepository).lockPulls(H, 'pstn', () => waited++);
    await again.release();
    expect(waited).toBe(1);
  });

  it('pulls more tenants side by side than the pool has connections', async () => {
    const carriers = app.get(CarriersService);
    await carriers.addCarrier({ id: 'many', name: 'Many' });
    const tenants = Array.from({ length: 12 }, (_, i) => `${String(i + 10).padStart(8, '7')}-0000-4000-8000-000000000077`);
    for (const [i, t] of tenants.entries()) {
      await carriers.addTenant({ tenantId: t, carrierId: 'many' });
      small.setTenant(t, { pstn: pstnRows(150, START, DAY, `7777${String(i + 10).padStart(4, '0')}`) });
    }
    const pulls = pullService(small);
    Object.assign((pulls as unknown as { config: AppConfig }).config, { OCRECON_PULL_CONCURRENCY: 12 }); // the pool holds 10
    const report = await pulls.pull({ carrierId: 'many', from: '2025-01-01', to: '2025-01-02', source: 'pstn' });
    expect(report.failed).toBe(0);
    expect(report.tenants.map((t) => t.sources.pstn!.inserted)).toEqual(tenants.map(() => 150));
  }, 30_000);

  it('refuses a window that is not one', async () => {
    await expect(pullService(fake).pull({ tenantId: A, from: '2025-01-02', to: '2025-01-01' })).rejects.toThrow('--to 2025-01-01 must be after --from 2025-01-02');
    await expect(pullService(fake).pull({ tenantId: A, from: 'soon', to: '2025-01-01' })).rejects.toThrow(/--from "soon"/);
    await expect(pullService(fake).pull({ tenantId: A, carrierId: 'acme', from: '2025-01-01', to: '2025-01-02' })).rejects.toThrow('either --tenant or --carrier');
    await expect(pullService(fake).pull({ tenantId: A, from: '2025-01-01', to: '2025-01-02', source: 'voip' })).rejects.toThrow(/--source must be one of/);
  });

  describe('import-microsoft', () => {
    const T = 'dddddddd-0000-4000-8000-00000000000d';
    const row = (id: string, extra = '') => `{"id":"${id}","callId":"c-${id}","startDateTime":"2025-02-01T10:00:00.1234567Z","duration":60,"charge":0.12345678901234567891,"connectionCharge":0,"currency":"USD","operator":"Acme"${extra}}`;
    beforeAll(async () => app.get(CarriersService).addTenant({ tenantId: T, carrierId: 'acme' }));

    it('loads a saved Graph page, an array of pages and NDJSON; bad rows are reported where they are; a second import changes nothing', async () => {
      const imports = app.get(ImportMicrosoftService);
      writeFileSync(join(dir, 'page.json'), `{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#Collection(microsoft.graph.callRecords.pstnCallLogRow)","value":[${row('p1')},${row('p2').replace('2025-02-01T10:00:00.1234567Z', 'tomorrow')}]}`);
      writeFileSync(join(dir, 'pages.json'), `[{"value":[${row('a1')}]},\n {"value":[\n  ${row('a2').replace('{', '{ ')} ,{"callId":"no id"}]}]`);
      writeFileSync(join(dir, 'rows.ndjson'), `${row('n1')}\n\n{"id":"n2",\n${row('n3')}\n{"id":"dr1","correlationId":"k","successfulCall":false,"finalSipCode":486}\n`);

      const page = await imports.importFile(join(dir, 'page.json'), T);
      expect(page).toEqual({ file: 'page.json', format: 'graph-json', rowsRead: 2, inserted: 1, updated: 0, unchanged: 0, rejected: 1,
        problems: [{ at: 'value[1]', reason: 'startDateTime: "tomorrow" is not an ISO 8601 date-time such as 2026-11-01T10:00:05Z' }] });
      const pages = await imports.importFile(join(dir, 'pages.json'), T);
      expect(pages).toMatchObject({ rowsRead: 3, inserted: 2, rejected: 1, problems: [{ at: '[1].value[1]', reason: 'id is missing' }] });
      const nd = await imports.importFile(join(dir, 'rows.ndjson'), T);
      expect(nd).toMatchObject({ format: 'ndjson', rowsRead: 4, inserted: 3, rejected: 1, problems: [{ line: 3, reason: expect.stringMatching(/^not JSON/) }] });
      expect(await imports.importFile(join(dir, 'rows.ndjson'), T)).toMatchObject({ inserted: 0, updated: 0, unchanged: 3, rejected: 1 });

      const stored = await db.sql.query(`SELECT id, source, charge::text, to_char(start_time AT TIME ZONE 'UTC', 'HH24:MI:SS.US') AS t FROM microsoft_call_rows WHERE tenant_id = $1 ORDER BY id`, [T]);
      expect(stored.rows.map((r) => r.id)).toEqual(['a1', 'a2', 'dr1', 'n1', 'n3', 'p1']);
      expect(stored.rows.find((r) => r.id === 'p1')).toEqual({ id: 'p1', source: 'pstn', charge: '0.12345678901234567891', t: '10:00:00.123456' });
      expect(stored.rows.find((r) => r.id === 'dr1')).toMatchObject({ source: 'direct-routing' });
      // each row's evidence is its text as saved, wherever it stood in the file
      const evidence = await db.sql.query(`SELECT r.id, w.raw FROM microsoft_call_rows r JOIN microsoft_raw_rows w USING (tenant_id, raw_batch, raw_line)
        WHERE r.tenant_id = $1 AND r.id IN ('a1', 'a2', 'p1') ORDER BY r.id`, [T]);
      expect(evidence.rows).toEqual([{ id: 'a1', raw: row('a1') }, { id: 'a2', raw: row('a2').replace('{', '{ ') }, { id: 'p1', raw: row('p1') }]);
    });

    it('loads the admin-center PSTN export, reporting bad lines with the header as line 1', async () => {
      const header = 'UsageId,Call ID,Conference ID,User Location,AAD ObjectId,UPN,User Display Name,Caller ID,Call Type,Number Type,Domestic/International,Destination Dialed,Destination Number,Start Time,End Time,Duration Seconds,Connection Fee,Charge,Currency,Capability';
      const line = (id: string, charge: string) => `${id},call-${id},,US,obj,u@contoso.example,"User, One",+14255550100,user_out,Subscriber,Domestic,United States,+12065550100,2025-02-01T10:00:00Z,2025-02-01T10:01:00Z,60,0.0100,${charge},USD,MCOPSTN1`;
      writeFileSync(join(dir, 'PSTN.calls.2025-02-01.csv'), `\uFEFF${header}\n${line('csv-1', '0.123456789012345678')}\n${line('csv-2', '1.5 EUR')}\n${line('csv-3', '2')}\n`);
      const reconcile = () => app.get(MatchingService).reconcile({ carrierId: 'acme', from: '2025-02-01', to: '2025-02-02' });
      const before = (await reconcile()).inputs.microsoft.rows;
      const r = await app.get(ImportMicrosoftService).importFile(join(dir, 'PSTN.calls.2025-02-01.csv'), T);
      // the export names no operator: its rows are the tenant's carrier's, under its operator name
      expect(r).toMatchObject({ format: 'admin-csv', rowsRead: 3, inserted: 2, rejected: 1, operator: 'Acme', operatorAssumed: true });
      expect(r.problems).toEqual([{ line: 3, reason: 'Charge "1.5 EUR" is not a decimal number' }]);
      const stored = await db.sql.query(`SELECT charge::text, connection_charge::text, user_display_name, operator FROM microsoft_call_rows WHERE tenant_id = $1 AND id = 'csv-1'`, [T]);
      expect(stored.rows).toEqual([{ charge: '0.123456789012345678', connection_charge: '0.0100', user_display_name: 'User, One', operator: 'Acme' }]);
      // so a reconciliation takes them (with operator NULL it never did)
      expect((await reconcile()).inputs.microsoft.rows).toBe(before + 2);

      // told otherwise (Calling Plan calls): stored as such, and out of the carrier's scope
      const progress: { bytesRead: number; rowsRead: number }[] = [];
      const told = await app.get(ImportMicrosoftService).importFile(join(dir, 'PSTN.calls.2025-02-01.csv'), T, { operator: 'Microsoft', onProgress: (p) => progress.push(p) });
      expect(progress.at(-1)).toEqual({ bytesRead: statSync(join(dir, 'PSTN.calls.2025-02-01.csv')).size, rowsRead: 3 });
      expect(told).toMatchObject({ updated: 2, operator: 'Microsoft', operatorAssumed: false });
      expect((await reconcile()).inputs.microsoft.rows).toBe(before);
    });

    it('asks whose calls an admin-center export holds when the tenant has two carriers, and takes --operator for nothing else', async () => {
      const carriers = app.get(CarriersService);
      await carriers.addCarrier({ id: 'globex', name: 'Globex' });
      const S = '5e5e5e5e-0000-4000-8000-00000000005e';
      await carriers.addTenant({ tenantId: S, carrierId: 'acme' });
      await carriers.addTenant({ tenantId: S, carrierId: 'globex' });
      const header = 'UsageId,Call ID,Conference ID,User Location,AAD ObjectId,UPN,User Display Name,Caller ID,Call Type,Number Type,Domestic/International,Destination Dialed,Destination Number,Start Time,End Time,Duration Seconds,Connection Fee,Charge,Currency,Capability';
      writeFileSync(join(dir, 'two.csv'), `${header}\ns-1,call-s1,,US,obj,u@contoso.example,U,+14255550100,user_out,Subscriber,Domestic,United States,+12065550100,2025-02-01T10:00:00Z,2025-02-01T10:01:00Z,60,0,0.01,USD,MCOPSTN1\n`);
      const imports = app.get(ImportMicrosoftService);
      await expect(imports.importFile(join(dir, 'two.csv'), S)).rejects.toThrow(
        `the admin-center export has no operator column and tenant ${S} is served by carriers acme, globex: say whose calls these are with --operator <name>`);
      expect(await imports.importFile(join(dir, 'two.csv'), S, { operator: 'Globex' })).toMatchObject({ inserted: 1, operator: 'Globex', operatorAssumed: false });
      writeFileSync(join(dir, 'graph-page.json'), `{"value":[{"id":"g-1","operator":"Globex"}]}`);
      await expect(imports.importFile(join(dir, 'graph-page.json'), S, { operator: 'Globex' })).rejects.toThrow(/^--operator applies to the admin-center export only: graph-page.json holds Graph rows/);
      await expect(imports.importFile(join(dir, 'two.csv'), S, { operator: ' ' })).rejects.toThrow('--operator must not be empty');
    });
  });
});
