import { INestApplicationContext } from '@nestjs/common';
import { Readable } from 'node:stream';
import { CarriersService } from '../../src/carriers/carriers.service';
import { IngestService } from '../../src/carrier-files/ingest.service';
import { DiscrepanciesService } from '../../src/discrepancies/discrepancies.service';
import { MatchingService } from '../../src/matching/matching.service';
import { ObservabilityRepository } from '../../src/observability/observability.repository';
import { MetricsService } from '../../src/observability/metrics.service';
import { createTestApp, createTestDatabase, TestDatabase } from '../support/test-db';

const HEADER = 'start_time,duration_seconds,caller_number,callee_number';
const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('metrics from the database', () => {
  let db: TestDatabase;
  let app: INestApplicationContext;
  let metrics: MetricsService;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await createTestApp(db.url);
    metrics = app.get(MetricsService);
    await app.get(CarriersService).addCarrier({ id: 'acme', name: 'Acme' });
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('counts ingested and rejected rows and files, Microsoft pulls and reconciliation runs, as stored', async () => {
    const ingest = app.get(IngestService);
    const text = `${HEADER}\n2026-11-01T10:00:00Z,60,+14255550100,+14255550101\n2026-11-01T10:00:00Z,bad,+14255550100,+14255550101\n`;
    await ingest.ingest({ carrierId: 'acme', fileName: 'a.csv', open: () => Readable.from([text]) });
    let progress: Array<{ bytesRead: number }> = [];
    const second = `${HEADER}\n2026-11-02T10:00:00Z,60,+14255550100,+14255550101\n`;
    await ingest.ingest({ carrierId: 'acme', fileName: 'b.csv', open: () => Readable.from([second]), onProgress: (p) => progress.push(p) });
    expect(progress.at(-1)?.bytesRead).toBe(Buffer.byteLength(second));
    progress = [];

    await db.sql.query(
      `INSERT INTO microsoft_pulls (tenant_id, source, window_from, window_to, status, rows_received)
       VALUES ('0d7d6f3a-1c2b-4f5e-9a8b-7c6d5e4f3a2b', 'pstn', '2026-11-01', '2026-11-02', 'done', 120),
              ('0d7d6f3a-1c2b-4f5e-9a8b-7c6d5e4f3a2b', 'pstn', '2026-11-02', '2026-11-03', 'failed', 30)`,
    );
    await db.sql.query(
      `INSERT INTO reconciliation_runs (carrier_id, window_from, window_to, rule_set_version, settings, inputs, result, started_at, finished_at)
       VALUES ('acme', '2026-11-01', '2026-11-02', 1, '{}', '{}', '{}', '2026-11-03T02:30:00Z', '2026-11-03T02:30:12.5Z')`,
    );

    const scrape = await metrics.scrape();
    expect(value(scrape, 'ocrecon_carrier_rows_ingested_total{carrier="acme"}')).toBe(2);
    expect(value(scrape, 'ocrecon_carrier_rows_rejected_total{carrier="acme"}')).toBe(1);
    expect(value(scrape, 'ocrecon_carrier_files_total{carrier="acme",status="loaded"}')).toBe(2);
    expect(value(scrape, 'ocrecon_microsoft_rows_pulled_total{source="pstn"}')).toBe(150);
    expect(value(scrape, 'ocrecon_microsoft_pulls_total{source="pstn",status="failed"}')).toBe(1);
    expect(value(scrape, 'ocrecon_reconciliation_runs_total{carrier="acme"}')).toBe(1);
    expect(value(scrape, 'ocrecon_reconciliation_last_run_duration_seconds{carrier="acme"}')).toBe(12.5);
    // Only the server adds Node's process metrics.
    expect(scrape).not.toMatch(/^process_cpu_user_seconds_total/m);
  });

  it('counts discrepancies per carrier, kind and status as stored, through reconciliations, reviews and the fold of the counts', async () => {
    const T = '3e3e3e3e-0000-4000-8000-00000000003e';
    await app.get(CarriersService).addCarrier({ id: 'globex', name: 'Globex' });
    await app.get(CarriersService).addTenant({ tenantId: T, carrierId: 'globex' });
    const file = [
      'record_id,call_id,tenant_id,start_time,duration_seconds,caller_number,callee_number',
      `r1,call-1,${T},2026-11-05T10:00:00Z,60,+14255550100,+4930123456`,
      `r2,call-2,${T},2026-11-05T11:00:00Z,75,+14255550100,+4930123457`,
      `r3,call-3,${T},2026-11-05T12:00:00Z,30,+14255550100,+4930123458`,
    ].join('\n');
    await app.get(IngestService).ingest({ carrierId: 'globex', fileName: 'g.csv', open: () => Readable.from([file + '\n']) });
    const ms = (id: string, callId: string, start: string, duration: number) =>
      db.sql.query(
        `WITH b AS (INSERT INTO microsoft_raw_batches (tenant_id, row_count, lines) VALUES ($1, 1, '{}') RETURNING id)
         INSERT INTO microsoft_call_rows (tenant_id, id, source, call_id, start_time, duration_seconds, caller_number, callee_number, operator, raw_batch, raw_line)
         SELECT $1, $2, 'pstn', $3, $4, $5, '+14255550100', '+4930123400', 'Globex', b.id, 1 FROM b`,
        [T, id, callId, start, duration],
      );
    await ms('m1', 'call-1', '2026-11-05T10:00:00Z', 60);
    await ms('m2', 'call-2', '2026-11-05T11:00:00Z', 70);
    await ms('m4', 'call-4', '2026-11-05T14:00:00Z', 20);

    const stored = async () => {
      const r = await db.sql.query(`SELECT carrier_id, kind, status, count(*)::int AS n FROM discrepancies GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`);
      return Object.fromEntries(r.rows.map((x) => [`ocrecon_discrepancies{carrier="${x.carrier_id}",kind="${x.kind}",status="${x.status}"}`, x.n]));
    };
    const scraped = async () =>
      Object.fromEntries((await metrics.scrape()).split('\n').filter((l) => l.startsWith('ocrecon_discrepancies{')).map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]));
    const reconcile = () => app.get(MatchingService).reconcile({ carrierId: 'globex', from: '2026-11-05', to: '2026-11-06' });

    // the passes are told as they start (the CLI's progress line on a terminal)
    const passes: string[] = [];
    await app.get(MatchingService).reconcile({ carrierId: 'globex', from: '2026-11-05', to: '2026-11-06', onPass: (p) => passes.push(p) });
    expect(passes).toEqual(expect.arrayContaining(['classify', 'upsert', 'controls']));
    expect(passes.indexOf('classify')).toBeLessThan(passes.indexOf('upsert'));
    expect(await scraped()).toEqual({
      'ocrecon_discrepancies{carrier="globex",kind="DURATION_MISMATCH",status="OPEN"}': 1,
      'ocrecon_discrepancies{carrier="globex",kind="MISSING_AT_CARRIER",status="OPEN"}': 1,
      'ocrecon_discrepancies{carrier="globex",kind="MISSING_AT_MICROSOFT",status="OPEN"}': 1,
    });
    // a review moves one between statuses; the same window again keeps (updates) every one of them
    const [mismatch] = (await db.sql.query(`SELECT id FROM discrepancies WHERE kind = 'DURATION_MISMATCH'`)).rows;
    await app.get(DiscrepanciesService).review(mismatch.id, 'disputed');
    await reconcile();
    expect(await scraped()).toEqual({
      'ocrecon_discrepancies{carrier="globex",kind="DURATION_MISMATCH",status="DISPUTED"}': 1,
      'ocrecon_discrepancies{carrier="globex",kind="MISSING_AT_CARRIER",status="OPEN"}': 1,
      'ocrecon_discrepancies{carrier="globex",kind="MISSING_AT_MICROSOFT",status="OPEN"}': 1,
    });
    // Microsoft's row for call-3 arrives and call-4's goes: two discrepancies vanish, one appears
    await ms('m3', 'call-3', '2026-11-05T12:00:00Z', 45);
    await db.sql.query(`DELETE FROM microsoft_call_rows WHERE id = 'm4'`);
    await reconcile();
    expect(await scraped()).toEqual(await stored());
    expect(await scraped()).toEqual({
      'ocrecon_discrepancies{carrier="globex",kind="DURATION_MISMATCH",status="DISPUTED"}': 1,
      'ocrecon_discrepancies{carrier="globex",kind="DURATION_MISMATCH",status="OPEN"}': 1,
    });

    // folded: one row per non-zero sum, the same counts
    const deltas = async () => (await db.sql.query(`SELECT count(*)::int AS n FROM discrepancy_count_deltas WHERE carrier_id = 'globex'`)).rows[0].n;
    expect(await deltas()).toBeGreaterThan(2);
    expect(await app.get(ObservabilityRepository).compactDiscrepancyCounts()).toBe(true);
    expect(await deltas()).toBe(2);
    expect(await scraped()).toEqual(await stored());
  });

  it('counts pulls, their rows and throttling as stored, through a pull moving page by page and the fold of the counts', async () => {
    const truth = async () => {
      const r = await db.sql.query(`SELECT source, status, count(*)::int AS n, sum(rows_received)::int AS rows, sum(throttled)::int AS t FROM microsoft_pulls GROUP BY 1, 2`);
      const pulls = Object.fromEntries(r.rows.map((x) => [`ocrecon_microsoft_pulls_total{source="${x.source}",status="${x.status}"}`, x.n]));
      const rows = new Map<string, number>();
      const throttled = new Map<string, number>();
      for (const x of r.rows) {
        rows.set(x.source, (rows.get(x.source) ?? 0) + x.rows);
        throttled.set(x.source, (throttled.get(x.source) ?? 0) + x.t);
      }
      return { pulls, rows: Object.fromEntries(rows), throttled: Object.fromEntries(throttled) };
    };
    const scraped = async () => {
      const lines = (await metrics.scrape()).split('\n');
      const pick = (name: string, label: (l: string) => string) =>
        Object.fromEntries(lines.filter((l) => l.startsWith(`${name}{`)).map((l) => [label(l.slice(0, l.lastIndexOf(' '))), Number(l.slice(l.lastIndexOf(' ') + 1))]));
      return {
        pulls: pick('ocrecon_microsoft_pulls_total', (k) => k),
        rows: pick('ocrecon_microsoft_rows_pulled_total', (k) => /source="([^"]+)"/.exec(k)![1]),
        throttled: pick('ocrecon_graph_throttled_total', (k) => /source="([^"]+)"/.exec(k)![1]),
      };
    };
    const { rows: [pull] } = await db.sql.query(`INSERT INTO microsoft_pulls (tenant_id, source, window_from, window_to, status) VALUES ('5f5f5f5f-0000-4000-8000-00000000005f', 'direct-routing', '2026-11-01', '2026-11-02', 'running') RETURNING id`);
    expect(await scraped()).toEqual(await truth());
    for (const last of [false, false, true]) {
      await db.sql.query(`UPDATE microsoft_pulls SET pages = pages + 1, rows_received = rows_received + 1000, throttled = throttled + 1, status = $2 WHERE id = $1`, [pull.id, last ? 'done' : 'running']);
    }
    const after = await truth();
    expect(after.rows['direct-routing']).toBe(3000);
    expect(await scraped()).toEqual(after);
    expect(await app.get(ObservabilityRepository).compactPullCounts()).toBe(true);
    expect((await db.sql.query(`SELECT count(*)::int AS n FROM microsoft_pull_count_deltas`)).rows[0].n).toBe(Object.keys(after.pulls).length);
    expect(await scraped()).toEqual(after);
  });

  it('takes metrics registered by a feature module, and a failing one leaves only itself empty', async () => {
    metrics.registerGauge('ocrecon_test_open_items', 'test', ['kind'], async () => [
      { labels: { kind: 'A' }, value: 3 },
      { labels: { kind: 'B' }, value: 0 },
    ]);
    metrics.registerCounter('ocrecon_test_broken_total', 'test', [], async () => {
      throw new Error('relation "batch_runs" does not exist');
    });
    const scrape = await metrics.scrape();
    expect(value(scrape, 'ocrecon_test_open_items{kind="A"}')).toBe(3);
    expect(value(scrape, 'ocrecon_test_open_items{kind="B"}')).toBe(0);
    expect(scrape).toMatch(/^# TYPE ocrecon_test_broken_total counter$/m);
    expect(value(scrape, 'ocrecon_carrier_rows_ingested_total{carrier="acme"}')).toBe(2);
  });
});
