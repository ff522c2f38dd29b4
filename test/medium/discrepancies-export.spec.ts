import { INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CarriersService } from '../../src/carriers/carriers.service';
import { DiscrepanciesRepository } from '../../src/discrepancies/discrepancies.repository';
import { createTestApp, createTestDatabase, TestDatabase } from '../support/test-db';

// The export pages through a window by (start_time, id). Times within one second written with
// fractions of different lengths (10:00:05Z, 10:00:05.5Z, 10:00:05.25Z) do not sort in time order as
// text, so the pages must be ordered by the stored instants, not by the exported text.
describe('discrepancy export: every discrepancy of the window once, in time order, whatever the page size', () => {
  let db: TestDatabase;
  let app: INestApplicationContext;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await createTestApp(db.url);
    await app.get(CarriersService).addCarrier({ id: 'acme', name: 'Acme' });
    const run = randomUUID();
    const times = ['10:00:05', '10:00:05.5', '10:00:05.25', '10:00:05.000001', '10:00:06', '10:00:04.999', '10:00:05.5', '10:00:05'];
    for (let k = 0; k < 40; k++) {
      const t = `2026-11-01T${times[k % times.length]}Z`;
      await db.sql.query(
        `INSERT INTO discrepancies (carrier_id, natural_key, kind, start_time, duration_delta, run_id) VALUES ('acme', $1, 'MISSING_AT_CARRIER', $2, 0, $3)`,
        [`k${k}`, t, run],
      );
    }
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it.each([1, 3, 7, 40, 5000])('pages of %i', async (pageSize) => {
    const seen: { id: string; start_time: string; start_raw: string }[] = [];
    for await (const page of app.get(DiscrepanciesRepository).streamWindow('acme', '2026-11-01', '2026-11-02', null, pageSize)) seen.push(...page);
    const stored = await db.sql.query(`SELECT id::text FROM discrepancies WHERE carrier_id = 'acme' ORDER BY start_time, id`);
    expect(seen.map((r) => r.id)).toEqual(stored.rows.map((r) => r.id));
    expect(seen.map((r) => r.start_time)).toContain('2026-11-01T10:00:05Z');
    expect(seen.map((r) => r.start_time)).toContain('2026-11-01T10:00:05.25Z');
  });
});
