import { classify, Discrepancy } from './classify';
import { pairRecords } from './pair-records';
import { CarrierRecord, MatchSettings, MICROS_PER_SECOND, MicrosoftRecord, Micros } from './rules';

/**
 * The whole of one window's reconciliation as a pure function: which rows are looked at (the window
 * and its edge margins), pairing, classification, and which discrepancies belong to the window. The
 * SQL implementation (MatchingRepository) must give exactly these discrepancies; a medium test
 * checks it on random inputs.
 */

export const MICROS_PER_DAY = 86_400n * MICROS_PER_SECOND;

/** Edge margins (reconciliation-rules.md § In scope), in microseconds. */
export function margins(settings: MatchSettings): { near: Micros; far: Micros } {
  return {
    // Numbers-and-time candidates of an in-window row lie within matchWindowSeconds of the edge, and
    // their competitors within twice that.
    near: 2n * BigInt(settings.matchWindowSeconds) * MICROS_PER_SECOND,
    // Call-id candidates: a whole day at least, and the whole call-id window.
    far: BigInt(Math.max(settings.callIdWindowSeconds, 86_400)) * MICROS_PER_SECOND,
  };
}

/**
 * The rows a window's matching looks at: those starting in the window widened by the near margin,
 * and, within the far margin, those sharing a call id with a row (either side) starting in the window.
 */
export function selectInputs<M extends MicrosoftRecord, C extends CarrierRecord>(
  microsoft: readonly M[], carrier: readonly C[], from: Micros, to: Micros, settings: MatchSettings,
): { microsoft: M[]; carrier: C[] } {
  const { near, far } = margins(settings);
  const inWindow = (t: Micros) => t >= from && t < to;
  const ids = new Set<string>();
  for (const r of [...microsoft, ...carrier]) if (r.callId && inWindow(r.start)) ids.add(r.callId);
  const keep = (r: { start: Micros; callId: string | null }) =>
    (r.start >= from - near && r.start < to + near) || (r.callId !== null && ids.has(r.callId) && r.start >= from - far && r.start < to + far);
  return { microsoft: microsoft.filter(keep), carrier: carrier.filter(keep) };
}

export const dayOf = (t: Micros): Micros => (t >= 0n ? t - (t % MICROS_PER_DAY) : t - (((t % MICROS_PER_DAY) + MICROS_PER_DAY) % MICROS_PER_DAY));

/** The UTC days overlapping [from, to) on which the carrier has no CDR at all (its whole table, not only the window). */
export function daysWithoutCarrierData(allCarrier: readonly CarrierRecord[], from: Micros, to: Micros): Micros[] {
  const withData = new Set(allCarrier.map((c) => dayOf(c.start)));
  const out: Micros[] = [];
  for (let d = dayOf(from); d < to; d += MICROS_PER_DAY) if (!withData.has(d)) out.push(d);
  return out;
}

export interface WindowResult {
  discrepancies: Discrepancy[];
  daysWithoutCarrierData: Micros[];
}

/**
 * One window: every discrepancy whose instant is in [from, to). A Microsoft row left unpaired on a
 * day without any carrier data is not a MISSING_AT_CARRIER: the day is reported instead.
 */
export function reconcileWindow(
  allMicrosoft: readonly MicrosoftRecord[], allCarrier: readonly CarrierRecord[], from: Micros, to: Micros, settings: MatchSettings,
): WindowResult {
  const input = selectInputs(allMicrosoft, allCarrier, from, to, settings);
  const noData = daysWithoutCarrierData(allCarrier, from, to);
  const silent = new Set(noData);
  const found = classify(pairRecords(input.microsoft, input.carrier, settings), settings).filter(
    (d) => d.start >= from && d.start < to && !(d.kind === 'MISSING_AT_CARRIER' && silent.has(dayOf(d.start))),
  );
  // One MISSING_AT_CARRIER per Microsoft id, the latest start (an id stored on two days is two rows).
  const latest = new Map<string, Discrepancy>();
  for (const d of found) {
    if (d.kind !== 'MISSING_AT_CARRIER') continue;
    const key = `${d.microsoftTenantId}/${d.microsoftRowId}`;
    const seen = latest.get(key);
    if (!seen || d.start > seen.start) latest.set(key, d);
  }
  const discrepancies = found.filter((d) => d.kind !== 'MISSING_AT_CARRIER' || latest.get(`${d.microsoftTenantId}/${d.microsoftRowId}`) === d);
  return { discrepancies, daysWithoutCarrierData: noData };
}
