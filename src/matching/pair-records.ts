import { Dec } from '../common/decimal';
import { absMicros, CarrierRecord, MatchMethod, MatchSettings, MICROS_PER_SECOND, MicrosoftRecord, Micros, moneyTotal, normalizeCurrency } from './rules';

/**
 * The pairing rules of reconciliation-rules.md v1 as pure functions: the reference the SQL passes
 * (matching.repository.ts) are checked against. No I/O, no clock; the result does not depend on the
 * order of the inputs.
 */

export interface Pair {
  microsoft: MicrosoftRecord;
  carrier: CarrierRecord;
  method: MatchMethod;
}

export interface Duplicate {
  record: CarrierRecord;
  /** The row ingested first, which takes part in matching instead. */
  original: CarrierRecord;
}

export interface PairingResult {
  pairs: Pair[];
  duplicates: Duplicate[];
  unpairedMicrosoft: MicrosoftRecord[];
  unpairedCarrier: CarrierRecord[];
}

const SEPARATORS = /[\s().-]/g;

/**
 * A Microsoft number as E.164 (Graph mostly sends E.164 already): separators dropped, `tel:` and a
 * `00` prefix turned into `+`, a bare digit string given its `+`. Masked digits (`*`) are kept. Not a
 * number (`anonymous`, empty): null, which never pairs by numbers. Mirrored in SQL by
 * MICROSOFT_NUMBER_SQL (matching.sql.ts).
 */
export function normalizeMicrosoftNumber(text: string | null | undefined): string | null {
  if (text === null || text === undefined) return null;
  let s = text.trim().replace(SEPARATORS, '');
  if (s.slice(0, 4).toLowerCase() === 'tel:') s = s.slice(4);
  if (s.startsWith('00')) s = '+' + s.slice(2);
  else if (/^[0-9]/.test(s)) s = '+' + s;
  return /^\+[1-9][0-9*]{1,19}$/.test(s) ? s : null;
}

/** Rule 3: equal after normalisation, a `*` in the Microsoft number matching any one digit (equal lengths). */
export function numbersMatch(microsoft: string | null, carrier: string): boolean {
  if (microsoft === null || microsoft.length !== carrier.length) return false;
  for (let i = 0; i < microsoft.length; i++) {
    const m = microsoft[i];
    const c = carrier[i];
    if (m !== c && !(m === '*' && c >= '0' && c <= '9')) return false;
  }
  return true;
}

/** "When both rows name a tenant, the tenants must be equal" (both passes). */
const tenantsAgree = (m: MicrosoftRecord, c: CarrierRecord) => c.tenantId === null || c.tenantId.toLowerCase() === m.tenantId.toLowerCase();

const cmpStr = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const cmpBig = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

interface Candidate {
  m: MicrosoftRecord;
  c: CarrierRecord;
  dStart: Micros;
  dDuration: Dec;
}

/**
 * The candidate order of rules 2 and 3: |Δstart|, then |Δduration|, then Microsoft row id, then
 * carrier record ref. Tenant, the Microsoft row's start (one id can be stored on two days) and
 * ingest order break the last ties (ids and refs need not be unique), so the order is total and the
 * greedy result independent of input order.
 */
export function compareCandidates(a: Candidate, b: Candidate): number {
  return (
    cmpBig(a.dStart, b.dStart) ||
    a.dDuration.comparedTo(b.dDuration) ||
    cmpStr(a.m.id, b.m.id) ||
    cmpStr(a.m.tenantId.toLowerCase(), b.m.tenantId.toLowerCase()) ||
    cmpBig(a.m.start, b.m.start) ||
    cmpStr(a.c.ref, b.c.ref) ||
    cmpBig(a.c.seq, b.c.seq)
  );
}

const candidate = (m: MicrosoftRecord, c: CarrierRecord): Candidate => ({
  m,
  c,
  dStart: absMicros(m.start, c.start),
  dDuration: (m.durationSeconds ?? new Dec(0)).minus(c.durationSeconds).abs(),
});

/** Greedy one-to-one pairing over candidates taken in the rules' order. */
function greedy(candidates: Candidate[], method: MatchMethod, pairedM: Set<MicrosoftRecord>, pairedC: Set<CarrierRecord>, out: Pair[]): void {
  candidates.sort(compareCandidates);
  for (const k of candidates) {
    if (pairedM.has(k.m) || pairedC.has(k.c)) continue;
    pairedM.add(k.m);
    pairedC.add(k.c);
    out.push({ microsoft: k.m, carrier: k.c, method });
  }
}

/** Rule 1's equality: call id (empty included), start, numbers, duration and money as numbers, currency. */
export function duplicateKey(c: CarrierRecord): string {
  return [c.callId ?? '', c.start.toString(), c.caller, c.callee, c.durationSeconds.toFixed(), moneyTotal(c).toFixed(), normalizeCurrency(c.currency) ?? ''].join('\u0000');
}

export function pairRecords(microsoft: readonly MicrosoftRecord[], carrier: readonly CarrierRecord[], settings: MatchSettings): PairingResult {
  // Rule 1: duplicates first. The row ingested first (lowest seq) stays in matching.
  const firstByKey = new Map<string, CarrierRecord>();
  for (const c of [...carrier].sort((a, b) => cmpBig(a.seq, b.seq))) {
    const key = duplicateKey(c);
    if (!firstByKey.has(key)) firstByKey.set(key, c);
  }
  const duplicates: Duplicate[] = [];
  const matchable: CarrierRecord[] = [];
  for (const c of carrier) {
    const original = firstByKey.get(duplicateKey(c))!;
    if (original === c) matchable.push(c);
    else duplicates.push({ record: c, original });
  }

  const pairs: Pair[] = [];
  const pairedM = new Set<MicrosoftRecord>();
  const pairedC = new Set<CarrierRecord>();

  // Rule 2: by call id (exact, trimmed, non-empty) within callIdWindowSeconds.
  const byCallId = new Map<string, CarrierRecord[]>();
  for (const c of matchable) if (c.callId) byCallId.set(c.callId, [...(byCallId.get(c.callId) ?? []), c]);
  const callIdWindow = BigInt(settings.callIdWindowSeconds) * MICROS_PER_SECOND;
  const byId: Candidate[] = [];
  for (const m of microsoft) {
    if (!m.callId) continue;
    for (const c of byCallId.get(m.callId) ?? []) {
      if (tenantsAgree(m, c) && absMicros(m.start, c.start) <= callIdWindow) byId.push(candidate(m, c));
    }
  }
  greedy(byId, 'CALL_ID', pairedM, pairedC, pairs);

  // Rule 3: rows still unpaired, by numbers (masked digits allowed) and start within matchWindowSeconds.
  const matchWindow = BigInt(settings.matchWindowSeconds) * MICROS_PER_SECOND;
  const byNumbers: Candidate[] = [];
  const restC = matchable.filter((c) => !pairedC.has(c));
  for (const m of microsoft) {
    if (pairedM.has(m)) continue;
    for (const c of restC) {
      if (absMicros(m.start, c.start) <= matchWindow && tenantsAgree(m, c) && numbersMatch(m.caller, c.caller) && numbersMatch(m.callee, c.callee)) {
        byNumbers.push(candidate(m, c));
      }
    }
  }
  greedy(byNumbers, 'NUMBERS_AND_TIME', pairedM, pairedC, pairs);

  return {
    pairs,
    duplicates,
    unpairedMicrosoft: microsoft.filter((m) => !pairedM.has(m)),
    unpairedCarrier: matchable.filter((c) => !pairedC.has(c)),
  };
}
