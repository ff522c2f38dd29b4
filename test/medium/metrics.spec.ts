import { INestApplicationContext } from '@nestjs/common';
import { Readable } from 'node:stream';
import { CarriersService } from '../../src/carriers/carriers.service';
import { IngestService } from '../../src/carrier-files/ingest.service';
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
