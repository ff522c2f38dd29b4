import { Dec } from '../common/decimal';
import { Pair, PairingResult } from './pair-records';
import { CarrierRecord, DiscrepancyKind, MatchMethod, MatchSettings, MicrosoftRecord, Micros, moneyTotal, normalizeCurrency } from './rules';

export { normalizeCurrency };

/**
 * Classification (reconciliation-rules.md v1 § Classification) as pure functions: what each pair,
 * unpaired row and duplicate turns into. Mirrored by the classification statement in matching.sql.ts.
 */

export interface Discrepancy {
  kind: DiscrepancyKind;
  /** The Microsoft row's tenant when there is one, else the carrier row's (may be null). */
  tenantId: string | null;
  callId: string | null;
  microsoftTenantId: string | null;
  microsoftRowId: string | null;
  carrierRecordRef: string | null;
  carrierRefKey: string | null;
  /** The instant that places it in a window: the Microsoft row's start for a pair, else the row's own. */
  start: Micros;
  microsoftDuration: Dec | null;
  carrierDuration: Dec | null;
  /** carrier − Microsoft, a missing side counting as 0. */
  durationDelta: Dec;
  microsoftTotal: Dec | null;
  microsoftCurrency: string | null;
  carrierTotal: Dec | null;
  carrierCurrency: string | null;
  /** carrier − Microsoft, a missing side counting as 0; null when the currencies differ. */
  moneyDelta: Dec | null;
  matchMethod: MatchMethod | null;
}

const ZERO = new Dec(0);


/**
 * CURRENCY_MISMATCH: both sides carry money (total ≠ 0) and the currencies are not the same known
 * currency (a missing currency differs from any, another missing one included).
 */
export function currenciesDiffer(m: MicrosoftRecord, c: CarrierRecord): boolean {
  if (moneyTotal(m).isZero() || moneyTotal(c).isZero()) return false;
  const a = normalizeCurrency(m.currency);
  const b = normalizeCurrency(c.currency);
  return a === null || b === null || a !== b;
}

function base(kind: DiscrepancyKind, m: MicrosoftRecord | null, c: CarrierRecord | null, method: MatchMethod | null, moneyComparable: boolean): Discrepancy {
  const mDur = m ? m.durationSeconds : null;
  const mTotal = m ? moneyTotal(m) : null;
  const cTotal = c ? moneyTotal(c) : null;
  return {
    kind,
    tenantId: m ? m.tenantId : c!.tenantId,
    callId: (m ? m.callId : null) ?? (c ? c.callId : null),
    microsoftTenantId: m && kind !== 'DUPLICATE_AT_CARRIER' ? m.tenantId : null,
    microsoftRowId: m ? m.id : null,
    carrierRecordRef: c ? c.ref : null,
    carrierRefKey: c ? c.refKey : null,
    start: m ? m.start : c!.start,
    microsoftDuration: mDur,
    carrierDuration: c ? c.durationSeconds : null,
    durationDelta: (c ? c.durationSeconds : ZERO).minus(mDur ?? ZERO),
    microsoftTotal: mTotal,
    microsoftCurrency: m ? normalizeCurrency(m.currency) : null,
    carrierTotal: cTotal,
    carrierCurrency: c ? normalizeCurrency(c.currency) : null,
    moneyDelta: moneyComparable ? (cTotal ?? ZERO).minus(mTotal ?? ZERO) : null,
    matchMethod: method,
  };
}

/** Every rule a pair fails gives one discrepancy (a pair may have several, or none). */
export function classifyPair(pair: Pair, settings: MatchSettings): Discrepancy[] {
  const { microsoft: m, carrier: c, method } = pair;
  const out: Discrepancy[] = [];
  const currencyMismatch = currenciesDiffer(m, c);
  const d = (kind: DiscrepancyKind) => base(kind, m, c, method, !currencyMismatch);
  // DURATION_MISMATCH: |Δ| > durationToleranceSeconds (a duration Graph left out counts as 0).
  if (c.durationSeconds.minus(m.durationSeconds ?? ZERO).abs().greaterThan(settings.durationToleranceSeconds)) out.push(d('DURATION_MISMATCH'));
  // CURRENCY_MISMATCH, and then money is not compared.
  if (currencyMismatch) out.push(d('CURRENCY_MISMATCH'));
  // CHARGE_MISMATCH: |Δ(charge + connection charge)| > chargeTolerance, a missing amount counting as 0.
  else if (moneyTotal(c).minus(moneyTotal(m)).abs().greaterThan(settings.chargeTolerance)) out.push(d('CHARGE_MISMATCH'));
  return out;
}

export const missingAtCarrier = (m: MicrosoftRecord): Discrepancy => base('MISSING_AT_CARRIER', m, null, null, true);
export const missingAtMicrosoft = (c: CarrierRecord): Discrepancy => base('MISSING_AT_MICROSOFT', null, c, null, true);
export const duplicateAtCarrier = (c: CarrierRecord): Discrepancy => base('DUPLICATE_AT_CARRIER', null, c, null, true);

/** Every discrepancy of a pairing result, before window selection. */
export function classify(result: PairingResult, settings: MatchSettings): Discrepancy[] {
  return [
    ...result.pairs.flatMap((p) => classifyPair(p, settings)),
    ...result.unpairedMicrosoft.map(missingAtCarrier),
    ...result.unpairedCarrier.map(missingAtMicrosoft),
    ...result.duplicates.map((d) => duplicateAtCarrier(d.record)),
  ];
}

/** The stable identity of a discrepancy across runs: kind + Microsoft row + carrier row. */
export const naturalKey = (d: Pick<Discrepancy, 'kind' | 'microsoftTenantId' | 'microsoftRowId' | 'carrierRefKey'>): string =>
  `${d.kind}|${d.microsoftTenantId ?? ''}/${d.microsoftRowId ?? ''}|${d.carrierRefKey ?? ''}`;
