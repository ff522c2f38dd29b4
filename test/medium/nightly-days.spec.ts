import { INestApplicationContext } from '@nestjs/common';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Client } from 'pg';
import { BatchRepository } from '../../src/batch/batch.repository';
import { IngestService } from '../../src/carrier-files/ingest.service';
import { CarriersService } from '../../src/carriers/carriers.service';
import { ImportMicrosoftService } from '../../src/microsoft-logs/import.service';
import { createTestApp, createTestDatabase, TestDatabase } from '../support/test-db';

const HEADER = 'start_time,duration_seconds,caller_number,callee_number';
const cdr = (start: string) => `${start},60,+14255550100,+14255550101`;

// Which older days the nightly reconciles again: those a carrier file touches that the day's last look
// (its snapshot) did not see, whatever the clocks say.
describe('older days that changed since they were last looked at (BatchRepository.daysChangedSinceLooked)', () => {
  let db: TestDatabase;
  let app: INestApplicationContext;
  let batch: BatchRepository;
  const dir = mkdtempSync(join(tmpdir(), 'ocrecon-days-'));
  const ingest = (name: string, ...starts: string[]) =>
    app.get(IngestService).ingest({ carrierId: 'acme', fileName: name, open: () => Readable.from([`${HEADER}\n${starts.map(cdr).join('\n')}\n`]) });
  const look = async (day: string) => {
    const { snapshot } = await batch.carrierRowsOnDay('acme', day);
    return snapshot;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await createTestApp(db.url);
    batch = app.get(BatchRepository);
    await app.get(CarriersService).addCarrier({ id: 'acme', name: 'Acme' });
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('names the days of files not seen by the day state, with the days they can pair across, within the range asked', async () => {
    await ingest('a.csv', '2026-10-10T10:00:00Z', '2026-10-10T23:59:59Z', '2026-10-20T00:00:00+02:00');
    // never looked at: the file's days and one day either side (the call-id window is one day)
    expect(await batch.daysChangedSinceLooked('acme', '2026-10-01', '2026-11-01')).toEqual(['2026-10-09', '2026-10-10', '2026-10-11', '2026-10-18', '2026-10-19', '2026-10-20']);
    expect(await batch.daysChangedSinceLooked('acme', '2026-10-10', '2026-10-19')).toEqual(['2026-10-10', '2026-10-11', '2026-10-18']);
    expect((await db.sql.query(`SELECT days::text[] AS days FROM carrier_files WHERE file_name = 'a.csv'`)).rows[0].days).toEqual(['2026-10-10', '2026-10-19']);

    for (const day of ['2026-10-09', '2026-10-10', '2026-10-11', '2026-10-18', '2026-10-19', '2026-10-20']) {
      await batch.saveDayState({ carrierId: 'acme', day, status: 'waiting', fingerprint: null, reconcileRunId: null, snapshot: await look(day) });
    }
    expect(await batch.daysChangedSinceLooked('acme', '2026-10-01', '2026-11-01')).toEqual([]);

    await ingest('b.csv', '2026-10-19T08:00:00Z');
    expect(await batch.daysChangedSinceLooked('acme', '2026-10-01', '2026-11-01')).toEqual(['2026-10-18', '2026-10-19', '2026-10-20']);
  });

  it("names the days of a pull of one of the carrier's tenants that stored or changed rows since, not of one that changed nothing", async () => {
    const T = '6a6a6a6a-0000-4000-8000-00000000006a';
    await app.get(CarriersService).addTenant({ tenantId: T, carrierId: 'acme' });
    const pull = async (from: string, to: string, changed: boolean) =>
      db.sql.query(`INSERT INTO microsoft_pulls (tenant_id, source, window_from, window_to, status, last_xact) VALUES ($1, 'pstn', $2, $3, 'done', $4)`,
        [T, from, to, changed ? (await db.sql.query(`SELECT pg_current_xact_id()::text AS x`)).rows[0].x : null]);
    await pull('2026-08-10', '2026-08-12', true); // two days: 08-10 and 08-11
    await pull('2026-08-20', '2026-08-21', false);
    expect(await batch.daysChangedSinceLooked('acme', '2026-08-01', '2026-09-01')).toEqual(['2026-08-09', '2026-08-10', '2026-08-11', '2026-08-12']);
    for (const day of ['2026-08-09', '2026-08-10', '2026-08-11', '2026-08-12']) {
      await batch.saveDayState({ carrierId: 'acme', day, status: 'waiting', fingerprint: null, reconcileRunId: null, snapshot: await look(day) });
    }
    expect(await batch.daysChangedSinceLooked('acme', '2026-08-01', '2026-09-01')).toEqual([]);
    // another carrier's tenant: not this carrier's days
    await app.get(CarriersService).addCarrier({ id: 'other', name: 'Other' });
    await app.get(CarriersService).addTenant({ tenantId: '6b6b6b6b-0000-4000-8000-00000000006b', carrierId: 'other' });
    await db.sql.query(`INSERT INTO microsoft_pulls (tenant_id, source, window_from, window_to, status, last_xact) VALUES ('6b6b6b6b-0000-4000-8000-00000000006b', 'pstn', '2026-08-25', '2026-08-26', 'done', pg_current_xact_id()::text)`);
    expect(await batch.daysChangedSinceLooked('acme', '2026-08-01', '2026-09-01')).toEqual([]);
    expect(await batch.daysChangedSinceLooked('other', '2026-08-01', '2026-09-01')).toEqual(['2026-08-24', '2026-08-25', '2026-08-26']);
  });

  it('names the days of a Microsoft file imported since for one of its tenants', async () => {
    const T = '6c6c6c6c-0000-4000-8000-00000000006c';
    await app.get(CarriersService).addTenant({ tenantId: T, carrierId: 'acme' });
    const file = join(dir, 'late.ndjson');
    writeFileSync(file, ['2026-07-03T10:00:00.1234567Z', '2026-07-05T23:59:59Z'].map((t, i) =>
      `{"id":"imp-${i}","callId":"c-${i}","startDateTime":"${t}","duration":60,"charge":0.1,"connectionCharge":0,"currency":"USD","operator":"Acme"}`).join('\n') + '\n');
    expect(await app.get(ImportMicrosoftService).importFile(file, T)).toMatchObject({ inserted: 2 });
    expect(await batch.daysChangedSinceLooked('acme', '2026-07-01', '2026-08-01')).toEqual(['2026-07-02', '2026-07-03', '2026-07-04', '2026-07-05', '2026-07-06']);
  });

  it('counts a file committed after the day was looked at as unseen, even when its ingest began before', async () => {
    // the ingest's transaction starts (and takes its timestamps) first, the day is looked at, then it commits
    const slow = new Client({ connectionString: db.url });
    await slow.connect();
    try {
      await slow.query('BEGIN');
      await slow.query(`INSERT INTO carrier_files (carrier_id, sha256, file_name, rows_read, accepted, rejected, skipped, days, ingest_xact)
        VALUES ('acme', repeat('c', 64), 'slow.csv', 1, 1, 0, 0, '{2026-09-05}', pg_current_xact_id()::text)`);
      await batch.saveDayState({ carrierId: 'acme', day: '2026-09-05', status: 'waiting', fingerprint: null, reconcileRunId: null, snapshot: await look('2026-09-05') });
      expect(await batch.daysChangedSinceLooked('acme', '2026-09-05', '2026-09-06')).toEqual([]);
      await slow.query('COMMIT');
    } finally {
      await slow.end();
    }
    // its ingested_at is older than the day state's updated_at: a rule on timestamps would miss it
    const [times] = (await db.sql.query(`SELECT f.ingested_at < s.updated_at AS earlier FROM carrier_files f, batch_day_state s WHERE f.file_name = 'slow.csv' AND s.day = '2026-09-05'`)).rows;
    expect(times.earlier).toBe(true);
    expect(await batch.daysChangedSinceLooked('acme', '2026-09-05', '2026-09-06')).toEqual(['2026-09-05']);
  });
});
