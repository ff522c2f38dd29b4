import fc from 'fast-check';
import { Dec } from '../../src/common/decimal';
import { CarrierRecord, MatchSettings, MicrosoftRecord, parseMicros } from '../../src/matching/rules';

export const T1 = '11111111-1111-4111-8111-111111111111';
export const T2 = '22222222-2222-4222-8222-222222222222';

export const SETTINGS: MatchSettings = {
  durationToleranceSeconds: new Dec(1),
  chargeTolerance: new Dec(0),
  matchWindowSeconds: 5,
  callIdWindowSeconds: 86400,
};

const dec = (v: string | null | undefined) => (v === null || v === undefined ? null : new Dec(v));

export function ms(o: Partial<{ tenantId: string; id: string; callId: string | null; start: string; duration: string | null; charge: string | null; connectionCharge: string | null; currency: string | null; caller: string | null; callee: string | null }> = {}): MicrosoftRecord {
  return {
    tenantId: o.tenantId ?? T1,
    id: o.id ?? 'm1',
    callId: o.callId === undefined ? 'call-1' : o.callId,
    start: parseMicros(o.start ?? '2026-11-01T10:00:00Z'),
    durationSeconds: o.duration === undefined ? new Dec(60) : dec(o.duration),
    charge: o.charge === undefined ? new Dec('0.12') : dec(o.charge),
    connectionCharge: dec(o.connectionCharge),
    currency: o.currency === undefined ? 'USD' : o.currency,
    caller: o.caller === undefined ? '+14255550100' : o.caller,
    callee: o.callee === undefined ? '+4930123456' : o.callee,
  };
}

let seq = 0n;
export function cr(o: Partial<{ seq: bigint; ref: string; callId: string | null; tenantId: string | null; start: string; duration: string; charge: string | null; connectionCharge: string | null; currency: string | null; caller: string; callee: string }> = {}): CarrierRecord {
  const s = o.seq ?? ++seq;
  const ref = o.ref ?? `r${s}`;
  return {
    seq: s,
    ref,
    refKey: ref,
    callId: o.callId === undefined ? 'call-1' : o.callId,
    tenantId: o.tenantId === undefined ? T1 : o.tenantId,
    start: parseMicros(o.start ?? '2026-11-01T10:00:00Z'),
    durationSeconds: new Dec(o.duration ?? '60'),
    charge: o.charge === undefined ? new Dec('0.12') : dec(o.charge),
    connectionCharge: dec(o.connectionCharge),
    currency: o.currency === undefined ? 'USD' : o.currency,
    caller: o.caller ?? '+14255550100',
    callee: o.callee ?? '+4930123456',
  };
}

/**
 * Random windows of both sides drawn from small pools, so call ids, numbers, starts and amounts
 * collide often: several candidates per row, duplicates, masks, rows across midnight.
 */
const BASE = parseMicros('2026-11-01T23:59:50Z');
const CALL_IDS = [null, 'a', 'b', 'c', 'd'];
const NUMBERS = ['+14255550100', '+14255550101', '+4930123456'];
const maskOf = (n: string, k: number) => (k === 0 ? n : n.slice(0, n.length - k) + '*'.repeat(k));

export const microsoftArb = fc.record({
  tenantId: fc.constantFrom(T1, T2),
  callId: fc.constantFrom(...CALL_IDS),
  startOffset: fc.integer({ min: 0, max: 24 }),
  micros: fc.constantFrom(0, 1, 500000, 999999),
  duration: fc.constantFrom('0', '59', '60', '61', '62', null),
  charge: fc.constantFrom('0.12', '0.13', '0', null, '0.120001'),
  connectionCharge: fc.constantFrom(null, '0', '0.01'),
  currency: fc.constantFrom('USD', 'EUR', null),
  caller: fc.constantFrom(...NUMBERS),
  callee: fc.constantFrom(...NUMBERS),
  mask: fc.constantFrom(0, 0, 3, 4),
}).map((r) => ({
  tenantId: r.tenantId, id: '', callId: r.callId, start: BASE + BigInt(r.startOffset) * 1_000_000n + BigInt(r.micros),
  durationSeconds: r.duration === null ? null : new Dec(r.duration), charge: dec(r.charge), connectionCharge: dec(r.connectionCharge),
  currency: r.currency, caller: r.caller, callee: maskOf(r.callee, r.mask),
}) as MicrosoftRecord);

export const carrierArb = fc.record({
  tenantId: fc.constantFrom(T1, T2, null),
  callId: fc.constantFrom(...CALL_IDS),
  startOffset: fc.integer({ min: 0, max: 24 }),
  micros: fc.constantFrom(0, 1, 500000, 999999),
  duration: fc.constantFrom('0', '59', '60', '60.5', '61', '62'),
  charge: fc.constantFrom('0.12', '0.13', '0', null, '0.120001'),
  connectionCharge: fc.constantFrom(null, '0.01'),
  currency: fc.constantFrom('USD', 'EUR', null),
  caller: fc.constantFrom(...NUMBERS),
  callee: fc.constantFrom(...NUMBERS),
  ref: fc.constantFrom('x', 'y', 'z', ''),
}).map((r) => ({
  seq: 0n, ref: r.ref, refKey: r.ref, callId: r.callId, tenantId: r.tenantId,
  start: BASE + BigInt(r.startOffset) * 1_000_000n + BigInt(r.micros), durationSeconds: new Dec(r.duration),
  charge: dec(r.charge), connectionCharge: dec(r.connectionCharge), currency: r.currency, caller: r.caller, callee: r.callee,
}) as CarrierRecord);

/** Both sides with unique Microsoft ids and carrier seqs; a few carrier rows repeated (duplicates). */
export const windowArb = fc
  .tuple(fc.array(microsoftArb, { maxLength: 25 }), fc.array(carrierArb, { maxLength: 25 }), fc.array(fc.nat(), { maxLength: 4 }))
  .map(([m, c, dupIdx]) => {
    const microsoft = m.map((r, i) => ({ ...r, id: `m${String(i).padStart(3, '0')}` }));
    const withDups = [...c, ...(c.length ? dupIdx.map((i) => ({ ...c[i % c.length] })) : [])];
    const carrier = withDups.map((r, i) => {
      const ref = r.ref === '' ? `f.csv:${i + 2}` : `${r.ref}${i}`;
      return { ...r, seq: BigInt(i + 1), ref, refKey: ref };
    });
    return { microsoft, carrier };
  });
