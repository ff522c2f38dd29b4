import { INestApplicationContext } from '@nestjs/common';
import fc from 'fast-check';
import { Dec, plain } from '../../src/common/decimal';
import { CarriersService } from '../../src/carriers/carriers.service';
import { Discrepancy, naturalKey } from '../../src/matching/classify';
import { MatchingService } from '../../src/matching/matching.service';
import { normalizeMicrosoftNumber } from '../../src/matching/pair-records';
import { reconcileWindow } from '../../src/matching/reconcile-reference';
import { CarrierRecord, formatMicros, MicrosoftRecord, parseMicros } from '../../src/matching/rules';
import { SETTINGS, T1, T2 } from '../support/match-fixtures';
import { createTestApp, createTestDatabase, TestDatabase } from '../support/test-db';

/**
 * The SQL matcher gives exactly the discrepancies of the pure reference (reconcile-reference.ts) on
 * random inputs: several candidates per call id, masked and differently written numbers, rows across
 * midnight and in the far margin, duplicates, rows out of scope, days without carrier data.
 */
const FILE_ID = '00000000-0000-4000-8000-00000000f11e';
const FROM = '2026-11-02T00:00:00Z';
const TO = '2026-11-04T00:00:00Z';
const ANCHORS = ['2026-11-02T00:00:00Z', '2026-11-03T00:00:00Z', '2026-11-03T23:59:58Z', '2026-11-01T00:00:05Z', '2026-10-31T23:59:50Z', '2026-11-04T23:59:59Z']
  .map(parseMicros);
const NUMBERS = ['+14255550100', '+14255550101', '+4930123456'];

const msArb = fc.record({
  tenantId: fc.constantFrom(T1, T2),
  callId: fc.constantFrom(null, 'a', 'b', 'c', ' b ', ''),
  anchor: fc.constantFrom(0, 0, 0, 0, 1, 1, 2, 3, 4, 5),
  offset: fc.integer({ min: -6, max: 6 }),
  micros: fc.constantFrom(0, 1, 999999),
  duration: fc.constantFrom(0, 59, 60, 61, 62, null),
  charge: fc.constantFrom('0.12', '0.13', '0', null, '0.120001'),
  connectionCharge: fc.constantFrom(null, '0.01'),
  currency: fc.constantFrom('USD', 'usd', 'EUR', null),
  caller: fc.constantFrom(...NUMBERS),
  callee: fc.constantFrom(...NUMBERS),
  writing: fc.constantFrom('e164', 'e164', 'mask3', 'mask4', 'spaced', 'bare', 'anonymous'),
  scope: fc.constantFrom('in', 'in', 'in', 'in', 'other-operator', 'direct-routing', 'OPERATOR-CASE'),
});

const carrierArb = fc.record({
  tenantId: fc.constantFrom(T1, T2, null),
  callId: fc.constantFrom(null, 'a', 'b', 'c'),
  anchor: fc.constantFrom(0, 0, 0, 0, 1, 1, 2, 3, 4, 5),
  offset: fc.integer({ min: -6, max: 6 }),
  micros: fc.constantFrom(0, 1, 999999),
  duration: fc.constantFrom('0', '59', '60', '60.5', '61', '62'),
  charge: fc.constantFrom('0.12', '0.13', '0', null),
  connectionCharge: fc.constantFrom(null, '0.01'),
  currency: fc.constantFrom('USD', 'EUR', null),
  caller: fc.constantFrom(...NUMBERS),
  callee: fc.constantFrom(...NUMBERS),
  withRecordId: fc.boolean(),
});

const inputArb = fc.tuple(fc.array(msArb, { maxLength: 40 }), fc.array(carrierArb, { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 4 }));

function writeNumber(n: string, how: string): string {
  switch (how) {
    case 'mask3': return n.slice(0, -3) + '***';
    case 'mask4': return n.slice(0, -4) + '****';
    case 'spaced': return `${n.slice(0, 3)} ${n.slice(3, 6)}-${n.slice(6)}`;
    case 'bare': return n.slice(1);
    case 'anonymous': return 'anonymous';
    default: return n;
  }
}

const text = (v: Dec | null | undefined) => (v === null || v === undefined ? '' : plain(v));
const canon = (d: { key: string; start: string; tenant: string | null; callId: string | null; ref: string | null; values: (Dec | null)[]; mcur: string | null; ccur: string | null; method: string | null }) =>
  [d.key, d.start, d.tenant ?? '', d.callId ?? '', d.ref ?? '', ...d.values.map(text), d.mcur ?? '', d.ccur ?? '', d.method ?? ''].join(' | ');

const fromReference = (d: Discrepancy) =>
  canon({
    key: naturalKey(d), start: formatMicros(d.start), tenant: d.tenantId, callId: d.callId, ref: d.carrierRecordRef,
    values: [d.microsoftDuration, d.carrierDuration, d.durationDelta, d.microsoftTotal, d.carrierTotal, d.moneyDelta],
    mcur: d.microsoftCurrency, ccur: d.carrierCurrency, method: d.matchMethod,
  });

describe('reconcile in SQL = the pure reference', () => {
  let db: TestDatabase;
  let app: INestApplicationContext;
  let matching: MatchingService;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await createTestApp(db.url);
    const carriers = app.get(CarriersService);
    await carriers.addCarrier({ id: 'eq', name: 'Eq Carrier', operatorNames: ['Eq Carrier', 'EqAlias'] });
    await carriers.addTenant({ tenantId: T1, carrierId: 'eq' });
    await carriers.addTenant({ tenantId: T2, carrierId: 'eq' });
    await db.sql.query(
      `INSERT INTO carrier_files (id, carrier_id, sha256, file_name, rows_read, accepted, rejected, skipped) VALUES ($1, 'eq', repeat('0', 64), 'cdrs.csv', 0, 0, 0, 0)`,
      [FILE_ID],
    );
    matching = app.get(MatchingService);
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('gives the same discrepancies and days without carrier data on random windows', async () => {
    await fc.assert(
      fc.asyncProperty(inputArb, async ([msRows, cRows, dupIdx]) => {
        await db.sql.query(`TRUNCATE microsoft_call_rows, carrier_cdrs, discrepancies CASCADE`);
        const microsoft: MicrosoftRecord[] = [];
        for (const [i, r] of msRows.entries()) {
          const start = ANCHORS[r.anchor] + BigInt(r.offset) * 1_000_000n + BigInt(r.micros);
          const caller = writeNumber(r.caller, r.writing === 'bare' || r.writing === 'spaced' ? r.writing : 'e164');
          const callee = writeNumber(r.callee, r.writing);
          const id = `m${String(i).padStart(3, '0')}`;
          await db.sql.query(
            `INSERT INTO microsoft_call_rows (tenant_id, id, source, call_id, start_time, duration_seconds, charge, connection_charge, currency,
               caller_number, callee_number, operator, raw) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, '{}')`,
            [r.tenantId, id, r.scope === 'direct-routing' ? 'direct-routing' : 'pstn', r.callId, formatMicros(start), r.duration, r.charge, r.connectionCharge,
              r.currency, caller, callee, r.scope === 'other-operator' ? 'Microsoft' : r.scope === 'OPERATOR-CASE' ? 'EQALIAS' : 'Eq Carrier'],
          );
          if (r.scope === 'other-operator' || r.scope === 'direct-routing') continue;
          const trimmed = r.callId?.trim() || null;
          microsoft.push({
            tenantId: r.tenantId, id, callId: trimmed, start, durationSeconds: r.duration === null ? null : new Dec(r.duration),
            charge: r.charge === null ? null : new Dec(r.charge), connectionCharge: r.connectionCharge === null ? null : new Dec(r.connectionCharge),
            currency: r.currency, caller: normalizeMicrosoftNumber(caller), callee: normalizeMicrosoftNumber(callee),
          });
        }
        const rows = [...cRows, ...(cRows.length ? dupIdx.map((i) => cRows[i % cRows.length]) : [])];
        const carrier: CarrierRecord[] = [];
        for (const [i, r] of rows.entries()) {
          const start = ANCHORS[r.anchor] + BigInt(r.offset) * 1_000_000n + BigInt(r.micros);
          const line = i + 2;
          const recordId = r.withRecordId ? `R${i}` : null;
          const [{ id }] = (await db.sql.query(
            `INSERT INTO carrier_cdrs (carrier_id, file_id, line, record_id, call_id, tenant_id, start_time, duration_seconds, caller_number, callee_number,
               charge, connection_charge, currency) VALUES ('eq', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
            [FILE_ID, line, recordId, r.callId, r.tenantId, formatMicros(start), r.duration, r.caller, r.callee, r.charge, r.connectionCharge, r.currency],
          )).rows;
          carrier.push({
            seq: BigInt(id), ref: recordId ?? `cdrs.csv:${line}`, refKey: recordId ? `id:${recordId}` : `file:${FILE_ID}:${line}`,
            callId: r.callId, tenantId: r.tenantId, start, durationSeconds: new Dec(r.duration),
            charge: r.charge === null ? null : new Dec(r.charge), connectionCharge: r.connectionCharge === null ? null : new Dec(r.connectionCharge),
            currency: r.currency, caller: r.caller, callee: r.callee,
          });
        }

        const expected = reconcileWindow(microsoft, carrier, parseMicros(FROM), parseMicros(TO), SETTINGS);
        const result = await matching.reconcile({ carrierId: 'eq', from: FROM, to: TO });
        const stored = await db.sql.query(
          `SELECT natural_key, start_time, tenant_id, call_id, carrier_record_ref, microsoft_duration::text, carrier_duration::text, duration_delta::text,
                  microsoft_total::text, carrier_total::text, money_delta::text, microsoft_currency, carrier_currency, match_method,
                  (extract(epoch FROM start_time) * 1000000)::bigint::text AS start_us
           FROM discrepancies`,
        );
        const dec = (v: string | null) => (v === null ? null : new Dec(v));
        const actual = stored.rows.map((r) =>
          canon({
            key: r.natural_key, start: formatMicros(BigInt(r.start_us)), tenant: r.tenant_id, callId: r.call_id, ref: r.carrier_record_ref,
            values: [r.microsoft_duration, r.carrier_duration, r.duration_delta, r.microsoft_total, r.carrier_total, r.money_delta].map(dec),
            mcur: r.microsoft_currency, ccur: r.carrier_currency, method: r.match_method,
          }),
        );
        expect(actual.sort()).toEqual(expected.discrepancies.map(fromReference).sort());
        expect(result.daysWithoutCarrierData).toEqual(expected.daysWithoutCarrierData.map((d) => formatMicros(d).slice(0, 10)));
      }),
      { numRuns: 80 },
    );
  });
});
