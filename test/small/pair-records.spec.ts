import fc from 'fast-check';
import { numbersMatch, normalizeMicrosoftNumber, pairRecords, PairingResult } from '../../src/matching/pair-records';
import { cr, ms, SETTINGS, T2, windowArb } from '../support/match-fixtures';

const summary = (r: PairingResult) => ({
  pairs: r.pairs.map((p) => `${p.microsoft.id}~${p.carrier.seq}~${p.method}`).sort(),
  duplicates: r.duplicates.map((d) => `${d.record.seq}<${d.original.seq}`).sort(),
  unpairedMicrosoft: r.unpairedMicrosoft.map((m) => m.id).sort(),
  unpairedCarrier: r.unpairedCarrier.map((c) => String(c.seq)).sort(),
});

function shuffle<T>(xs: readonly T[], seed: number): T[] {
  const a = [...xs];
  let s = seed || 1;
  for (let i = a.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

describe('normalizeMicrosoftNumber', () => {
  it.each([
    ['+14255550100', '+14255550100'],
    ['14255550100', '+14255550100'],
    ['0049 30 123456', '+4930123456'],
    ['tel:+49-30-123***', '+4930123***'],
    ['+33 1 23 45 ****', '+3312345****'],
    [' (425) 555-0100 ', '+4255550100'],
    ['anonymous', null],
    ['', null],
    [null, null],
    ['+0123', null],
  ])('%p -> %p', (input, expected) => expect(normalizeMicrosoftNumber(input)).toBe(expected));
});

describe('numbersMatch (rule 3, masked digits)', () => {
  it.each([
    ['+4930123456', '+4930123456', true],
    ['+4930123***', '+4930123456', true],
    ['+493012****', '+4930123456', true],
    ['+4930124***', '+4930123456', false], // an unmasked digit differs
    ['+4930123***', '+49301234567', false], // lengths must be equal
    ['+4930123****', '+4930123456', false],
    [null, '+4930123456', false],
  ])('%p vs %p -> %p', (m, c, expected) => expect(numbersMatch(m, c)).toBe(expected));
});

describe('pairRecords: case table', () => {
  it('pairs by call id first', () => {
    const r = pairRecords([ms()], [cr({ seq: 1n, caller: '+15550000000' })], SETTINGS);
    expect(summary(r)).toEqual({ pairs: ['m1~1~CALL_ID'], duplicates: [], unpairedMicrosoft: [], unpairedCarrier: [] });
  });

  it('pairs a call id at exactly callIdWindowSeconds apart, not one microsecond more', () => {
    const at = pairRecords([ms({ start: '2026-11-01T10:00:00Z', caller: '+15550000001' })], [cr({ seq: 1n, start: '2026-11-02T10:00:00Z' })], SETTINGS);
    expect(at.pairs).toHaveLength(1);
    const over = pairRecords([ms({ start: '2026-11-01T10:00:00Z' })], [cr({ seq: 1n, start: '2026-11-02T10:00:00.000001Z' })], SETTINGS);
    expect(over.pairs).toHaveLength(0);
  });

  it('pairs by numbers and time within matchWindowSeconds (inclusive), with a masked callee', () => {
    const r = pairRecords([ms({ callId: null, callee: '+4930123***', start: '2026-11-01T10:00:05Z' })], [cr({ seq: 1n, callId: 'other' })], SETTINGS);
    expect(summary(r).pairs).toEqual(['m1~1~NUMBERS_AND_TIME']);
    const over = pairRecords([ms({ callId: null, start: '2026-11-01T10:00:05.000001Z' })], [cr({ seq: 1n, callId: null })], SETTINGS);
    expect(over.pairs).toHaveLength(0);
  });

  it('does not pair when both rows name different tenants, but does when the carrier names none', () => {
    expect(pairRecords([ms()], [cr({ tenantId: T2 })], SETTINGS).pairs).toHaveLength(0);
    expect(pairRecords([ms()], [cr({ tenantId: null })], SETTINGS).pairs).toHaveLength(1);
  });

  it('several rows sharing a call id pair greedily by |Δstart|, then |Δduration|', () => {
    const m = [ms({ id: 'm1', start: '2026-11-01T10:00:00Z' }), ms({ id: 'm2', start: '2026-11-01T10:30:00Z' })];
    const c = [cr({ seq: 1n, start: '2026-11-01T10:29:59Z' }), cr({ seq: 2n, start: '2026-11-01T10:00:02Z' })];
    expect(summary(pairRecords(m, c, SETTINGS)).pairs).toEqual(['m1~2~CALL_ID', 'm2~1~CALL_ID']);
    // Same |Δstart|: the closer duration wins; the other carrier row stays unpaired.
    const c2 = [cr({ seq: 1n, duration: '90' }), cr({ seq: 2n, duration: '60.5' })];
    const r = pairRecords([ms()], c2, SETTINGS);
    expect(summary(r).pairs).toEqual(['m1~2~CALL_ID']);
    expect(summary(r).unpairedCarrier).toEqual(['1']);
  });

  it('breaks full ties by Microsoft row id, then carrier record ref', () => {
    const m = [ms({ id: 'b' }), ms({ id: 'a' })];
    const c = [cr({ seq: 1n, ref: 'zz' }), cr({ seq: 2n, ref: 'aa', caller: '+15550000000' })]; // not duplicates
    expect(summary(pairRecords(m, c, SETTINGS)).pairs).toEqual(['a~2~CALL_ID', 'b~1~CALL_ID']);
  });

  it('a duplicate row: the one ingested first matches, the other is a duplicate (219 = 219.000)', () => {
    const c = [cr({ seq: 7n, duration: '60.000' }), cr({ seq: 3n, duration: '60' })];
    const r = pairRecords([ms()], c, SETTINGS);
    expect(summary(r)).toEqual({ pairs: ['m1~3~CALL_ID'], duplicates: ['7<3'], unpairedMicrosoft: [], unpairedCarrier: [] });
  });

  it('rows differing in any duplicate field are not duplicates', () => {
    const r = pairRecords([], [cr({ seq: 1n }), cr({ seq: 2n, currency: 'EUR' }), cr({ seq: 3n, callId: null })], SETTINGS);
    expect(r.duplicates).toHaveLength(0);
  });

  it('a call across midnight pairs by call id', () => {
    const r = pairRecords([ms({ start: '2026-11-01T23:59:58Z' })], [cr({ seq: 1n, start: '2026-11-02T00:00:01Z' })], SETTINGS);
    expect(r.pairs).toHaveLength(1);
  });
});

describe('pairRecords: properties', () => {
  it('every record ends in exactly one pair, one duplicate or one unpaired list', () => {
    fc.assert(
      fc.property(windowArb, ({ microsoft, carrier }) => {
        const r = pairRecords(microsoft, carrier, SETTINGS);
        const mSeen = [...r.pairs.map((p) => p.microsoft.id), ...r.unpairedMicrosoft.map((m) => m.id)].sort();
        const cSeen = [...r.pairs.map((p) => p.carrier.seq), ...r.duplicates.map((d) => d.record.seq), ...r.unpairedCarrier.map((c) => c.seq)]
          .map(String).sort();
        expect(mSeen).toEqual(microsoft.map((m) => m.id).sort());
        expect(cSeen).toEqual(carrier.map((c) => String(c.seq)).sort());
      }),
      { numRuns: 300 },
    );
  });

  it('shuffling the inputs changes nothing, and running twice gives the same', () => {
    fc.assert(
      fc.property(windowArb, fc.integer(), ({ microsoft, carrier }, seed) => {
        const once = summary(pairRecords(microsoft, carrier, SETTINGS));
        expect(summary(pairRecords(shuffle(microsoft, seed), shuffle(carrier, seed + 1), SETTINGS))).toEqual(once);
        expect(summary(pairRecords(microsoft, carrier, SETTINGS))).toEqual(once);
      }),
      { numRuns: 300 },
    );
  });

  it('pairs respect the windows and the tenant rule', () => {
    fc.assert(
      fc.property(windowArb, ({ microsoft, carrier }) => {
        for (const p of pairRecords(microsoft, carrier, SETTINGS).pairs) {
          const d = p.microsoft.start > p.carrier.start ? p.microsoft.start - p.carrier.start : p.carrier.start - p.microsoft.start;
          expect(d <= BigInt(p.method === 'CALL_ID' ? 86400 : 5) * 1_000_000n).toBe(true);
          if (p.carrier.tenantId) expect(p.carrier.tenantId).toBe(p.microsoft.tenantId);
        }
      }),
    );
  });
});
