import fc from 'fast-check';
import { Dec, plain } from '../../src/common/decimal';
import { classify, classifyPair, Discrepancy, duplicateAtCarrier, missingAtCarrier, missingAtMicrosoft } from '../../src/matching/classify';
import { pairRecords } from '../../src/matching/pair-records';
import { reconcileWindow } from '../../src/matching/reconcile-reference';
import { formatMicros, parseMicros } from '../../src/matching/rules';
import { cr, ms, SETTINGS, windowArb } from '../support/match-fixtures';

const kinds = (ds: Discrepancy[]) => ds.map((d) => d.kind).sort();
const pair = (m: ReturnType<typeof ms>, c: ReturnType<typeof cr>) => ({ microsoft: m, carrier: c, method: 'CALL_ID' as const });
const view = (d: Discrepancy) => ({
  kind: d.kind, durationDelta: plain(d.durationDelta), microsoftTotal: d.microsoftTotal && plain(d.microsoftTotal),
  carrierTotal: d.carrierTotal && plain(d.carrierTotal), moneyDelta: d.moneyDelta && plain(d.moneyDelta),
});

describe('classifyPair: case table', () => {
  const tol = { ...SETTINGS, chargeTolerance: new Dec('0.01') };
  it.each<[string, Parameters<typeof ms>[0], Parameters<typeof cr>[0], string[], typeof SETTINGS?]>([
    ['agreeing pair', {}, {}, []],
    ['duration difference exactly at the tolerance (1 s) is not flagged', { duration: '60' }, { duration: '61' }, []],
    ['duration just over the tolerance', { duration: '60' }, { duration: '61.001' }, ['DURATION_MISMATCH']],
    ['duration missing at Microsoft counts as 0', { duration: null }, { duration: '60' }, ['DURATION_MISMATCH']],
    ['charge must agree exactly with tolerance 0', { charge: '0.12' }, { charge: '0.120001' }, ['CHARGE_MISMATCH']],
    ['charge difference exactly at the tolerance (0.01) is not flagged', { charge: '0.12' }, { charge: '0.13' }, [], tol],
    ['charge just over the tolerance', { charge: '0.12' }, { charge: '0.130001' }, ['CHARGE_MISMATCH'], tol],
    ['connection charge is part of the total', { charge: '0.10', connectionCharge: '0.02' }, { charge: '0.12' }, []],
    ['a missing amount counts as 0', { charge: '0', connectionCharge: null }, { charge: null, connectionCharge: null }, []],
    ['both sides missing money: nothing to compare', { charge: null, currency: null }, { charge: null, currency: null }, []],
    ['currency mismatch: money is then not compared', { currency: 'USD', charge: '0.12' }, { currency: 'EUR', charge: '0.50' }, ['CURRENCY_MISMATCH']],
    ['a missing currency differs from any', { currency: null }, { currency: 'USD' }, ['CURRENCY_MISMATCH']],
    ['…another missing one included', { currency: null }, { currency: null }, ['CURRENCY_MISMATCH']],
    ['currency case does not matter', { currency: 'usd' }, { currency: 'USD' }, []],
    ['no currency mismatch when one side carries no money; the money differs', { currency: 'USD', charge: '0.12' }, { currency: 'EUR', charge: '0' }, ['CHARGE_MISMATCH']],
    ['several rules fail: one discrepancy each', { duration: '10', charge: '1' }, { duration: '20', charge: '2' }, ['CHARGE_MISMATCH', 'DURATION_MISMATCH']],
    ['duration and currency', { duration: '10', currency: 'USD' }, { duration: '20', currency: 'GBP' }, ['CURRENCY_MISMATCH', 'DURATION_MISMATCH']],
  ])('%s', (_name, m, c, expected, settings = SETTINGS) => {
    expect(kinds(classifyPair(pair(ms(m), cr(c)), settings))).toEqual(expected);
  });

  it('deltas are carrier − Microsoft; none for a currency mismatch (nor the other kinds of that pair)', () => {
    const [charge] = classifyPair(pair(ms({ charge: '0.12' }), cr({ charge: '0.15', connectionCharge: '0.01' })), SETTINGS);
    expect(view(charge)).toEqual({ kind: 'CHARGE_MISMATCH', durationDelta: '0', microsoftTotal: '0.12', carrierTotal: '0.16', moneyDelta: '0.04' });
    const ds = classifyPair(pair(ms({ duration: '30' }), cr({ currency: 'EUR' })), SETTINGS);
    expect(ds.map(view)).toEqual([
      { kind: 'DURATION_MISMATCH', durationDelta: '30', microsoftTotal: '0.12', carrierTotal: '0.12', moneyDelta: null },
      { kind: 'CURRENCY_MISMATCH', durationDelta: '30', microsoftTotal: '0.12', carrierTotal: '0.12', moneyDelta: null },
    ]);
  });
});

describe('unpaired rows and duplicates', () => {
  it('MISSING_AT_CARRIER has a negative delta, MISSING_AT_MICROSOFT and DUPLICATE_AT_CARRIER positive ones', () => {
    expect(view(missingAtCarrier(ms({ charge: '0.12', duration: '60' })))).toEqual({
      kind: 'MISSING_AT_CARRIER', durationDelta: '-60', microsoftTotal: '0.12', carrierTotal: null, moneyDelta: '-0.12',
    });
    expect(view(missingAtMicrosoft(cr({ charge: '0.12', duration: '60.5' })))).toEqual({
      kind: 'MISSING_AT_MICROSOFT', durationDelta: '60.5', microsoftTotal: null, carrierTotal: '0.12', moneyDelta: '0.12',
    });
    const dup = duplicateAtCarrier(cr({ ref: 'f.csv:3' }));
    expect([dup.microsoftRowId, dup.carrierRecordRef, plain(dup.moneyDelta)]).toEqual([null, 'f.csv:3', '0.12']);
  });
});

describe('reconcileWindow: windows and days', () => {
  const day1 = [parseMicros('2026-11-01'), parseMicros('2026-11-02')] as const;
  const day2 = [parseMicros('2026-11-02'), parseMicros('2026-11-03')] as const;
  it('a pair across midnight belongs to the day of its Microsoft row, and is missing on neither day', () => {
    const m = [ms({ start: '2026-11-01T23:59:58Z', duration: '10' })];
    const c = [cr({ start: '2026-11-02T00:00:01Z', duration: '30' })];
    expect(kinds(reconcileWindow(m, c, ...day1, SETTINGS).discrepancies)).toEqual(['DURATION_MISMATCH']);
    expect(reconcileWindow(m, c, ...day2, SETTINGS).discrepancies).toEqual([]);
  });

  it('a day without any carrier data reports the day, not every call as missing at the carrier', () => {
    const m = [ms({ id: 'a', start: '2026-11-01T10:00:00Z' }), ms({ id: 'b', start: '2026-11-02T10:00:00Z' })];
    const c = [cr({ start: '2026-11-02T12:00:00Z', callId: 'x' })];
    const r = reconcileWindow(m, c, day1[0], day2[1], SETTINGS);
    expect(r.daysWithoutCarrierData.map(formatMicros)).toEqual(['2026-11-01T00:00:00Z']);
    expect(r.discrepancies.map((d) => `${d.kind}:${d.microsoftRowId ?? d.carrierRecordRef}`).sort()).toEqual(['MISSING_AT_CARRIER:b', expect.stringMatching(/^MISSING_AT_MICROSOFT:r/)]);
  });
});

describe('classify: properties', () => {
  it('every in-window record ends in exactly one pair or one unpaired discrepancy', () => {
    fc.assert(
      fc.property(windowArb, ({ microsoft, carrier }) => {
        const result = pairRecords(microsoft, carrier, SETTINGS);
        const ds = classify(result, SETTINGS);
        const unpaired = ds.filter((d) => d.matchMethod === null);
        for (const m of microsoft) {
          const paired = result.pairs.filter((p) => p.microsoft === m).length;
          const missing = unpaired.filter((d) => d.microsoftRowId === m.id).length;
          expect(paired + missing).toBe(1);
        }
        for (const c of carrier) {
          const paired = result.pairs.filter((p) => p.carrier === c).length;
          const other = unpaired.filter((d) => d.carrierRecordRef === c.ref).length;
          expect(paired + other).toBe(1);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('the window result does not depend on input order and is the same when run twice', () => {
    const key = (ds: Discrepancy[]) => ds.map((d) => `${d.kind}|${d.microsoftRowId}|${d.carrierRecordRef}|${plain(d.moneyDelta)}|${plain(d.durationDelta)}`).sort();
    const from = parseMicros('2026-11-02');
    const to = parseMicros('2026-11-03');
    fc.assert(
      fc.property(windowArb, ({ microsoft, carrier }) => {
        const once = key(reconcileWindow(microsoft, carrier, from, to, SETTINGS).discrepancies);
        expect(key(reconcileWindow([...microsoft].reverse(), [...carrier].reverse(), from, to, SETTINGS).discrepancies)).toEqual(once);
        expect(key(reconcileWindow(microsoft, carrier, from, to, SETTINGS).discrepancies)).toEqual(once);
      }),
      { numRuns: 200 },
    );
  });
});

describe('formatMicros / parseMicros', () => {
  it.each([
    ['2026-11-01T10:00:05Z', '2026-11-01T10:00:05Z'],
    ['2026-11-01T10:00:05.1234567Z', '2026-11-01T10:00:05.123456Z'],
    ['2026-11-01T11:00:05.25+01:00', '2026-11-01T10:00:05.25Z'],
    ['2026-11-01', '2026-11-01T00:00:00Z'],
  ])('%p -> %p', (a, b) => expect(formatMicros(parseMicros(a))).toBe(b));
});
