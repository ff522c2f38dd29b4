import { Injectable } from '@nestjs/common';
import { CarriersService } from '../carriers/carriers.service';
import { Dec, plain } from '../common/decimal';
import { TransactionRunner } from '../database/transaction';
import { ControlRow, MatchingRepository, reconcilePasses } from './matching.repository';
import { dayOf, margins } from './reconcile-reference';
import { DISCREPANCY_KINDS, DiscrepancyKind, MICROS_PER_SECOND, RULE_SET_VERSION } from './rules';
import { parseWindow } from './window';

export interface ReconcileRequest {
  carrierId: string;
  /** ISO 8601 or a date (00:00 UTC). */
  from: string;
  to: string;
  /** Told the name of each SQL pass as it starts (progress on a terminal). */
  onPass?: (pass: string) => void;
}

export interface MoneyTotals {
  /** ISO 4217; null for money without a currency. */
  currency: string | null;
  microsoftTotal: string;
  carrierTotal: string;
  moneyDelta: string;
}

export interface DailyControl {
  day: string;
  tenantId: string | null;
  carrierHasData: boolean;
  microsoftCalls: number;
  carrierCalls: number;
  callsDelta: number;
  microsoftSeconds: string;
  carrierSeconds: string;
  secondsDelta: string;
  microsoftMinutes: string;
  carrierMinutes: string;
  currency: string | null;
  microsoftMoney: string | null;
  carrierMoney: string | null;
  moneyDelta: string | null;
  matchedCalls: number;
  /** Matched Microsoft calls / Microsoft calls (4 decimals); null without Microsoft calls. */
  matchRate: string | null;
}

/** The result of `ocrecon reconcile` (interfaces.md) plus the run's details. */
export interface ReconcileResult {
  runId: string;
  carrierId: string;
  from: string;
  to: string;
  ruleSetVersion: number;
  settings: Record<string, string | number>;
  inputs: { microsoft: { rows: number; checksum: string }; carrier: { rows: number; checksum: string } };
  counts: Record<DiscrepancyKind, number>;
  /** Each side's money over its rows starting in the window; null when it spans several currencies (see totalsByCurrency). */
  microsoftTotal: string | null;
  carrierTotal: string | null;
  moneyDelta: string | null;
  currency: string | null;
  totalsByCurrency: MoneyTotals[];
  pairs: { callId: number; numbersAndTime: number };
  /** UTC days of the window on which the carrier has no CDR at all: their Microsoft rows are not MISSING_AT_CARRIER. */
  daysWithoutCarrierData: string[];
  discrepancies: { created: number; kept: number; removed: number };
  controls: DailyControl[];
  seconds: number;
}

const minutes = (seconds: string) => plain(new Dec(seconds).div(60).toDecimalPlaces(4));

function control(r: ControlRow): DailyControl {
  return {
    day: r.day,
    tenantId: r.tenant_id,
    carrierHasData: r.carrier_has_data,
    microsoftCalls: r.microsoft_calls,
    carrierCalls: r.carrier_calls,
    callsDelta: r.carrier_calls - r.microsoft_calls,
    microsoftSeconds: plain(r.microsoft_seconds),
    carrierSeconds: plain(r.carrier_seconds),
    secondsDelta: plain(new Dec(r.carrier_seconds).minus(r.microsoft_seconds)),
    microsoftMinutes: minutes(r.microsoft_seconds),
    carrierMinutes: minutes(r.carrier_seconds),
    currency: r.currency,
    microsoftMoney: r.microsoft_money === null ? null : plain(r.microsoft_money),
    carrierMoney: r.carrier_money === null ? null : plain(r.carrier_money),
    moneyDelta: r.microsoft_money === null || r.carrier_money === null ? null : plain(new Dec(r.carrier_money).minus(r.microsoft_money)),
    matchedCalls: r.matched_calls,
    matchRate: r.microsoft_calls === 0 ? null : plain(new Dec(r.matched_calls).div(r.microsoft_calls).toDecimalPlaces(4)),
  };
}

/**
 * Reconciles one carrier's window (reconciliation-rules.md v1): stages both sides with the edge
 * margins, pairs, classifies, replaces the window's discrepancies (keeping review state), stores the
 * run and its summary controls, all in one transaction.
 */
@Injectable()
export class MatchingService {
  constructor(
    private readonly carriers: CarriersService,
    private readonly matching: MatchingRepository,
    private readonly transactions: TransactionRunner,
  ) {}

  async reconcile(request: ReconcileRequest): Promise<ReconcileResult> {
    if (request.onPass) return reconcilePasses.run(request.onPass, () => this.reconcile({ ...request, onPass: undefined }));
    const started = process.hrtime.bigint();
    const window = parseWindow(request.from, request.to);
    const carrier = await this.carriers.requireCarrier(request.carrierId);
    const rules = {
      durationToleranceSeconds: carrier.durationToleranceSeconds,
      chargeTolerance: carrier.chargeTolerance,
      matchWindowSeconds: carrier.matchWindowSeconds,
      callIdWindowSeconds: carrier.callIdWindowSeconds,
    };
    const { near, far } = margins(rules);
    const settings = {
      operatorNames: carrier.operatorNames.join(','),
      durationToleranceSeconds: plain(rules.durationToleranceSeconds),
      chargeTolerance: plain(rules.chargeTolerance),
      matchWindowSeconds: rules.matchWindowSeconds,
      callIdWindowSeconds: rules.callIdWindowSeconds,
      nearMarginSeconds: Number(near / MICROS_PER_SECOND),
      farMarginSeconds: Number(far / MICROS_PER_SECOND),
    };
    // One snapshot for every pass (REPEATABLE READ: a concurrent load is seen entirely or not at all),
    // taken once this carrier's lock is held: one run per carrier at a time (re-runs of overlapping
    // windows would fight over the same discrepancies), each seeing what the one before committed.
    return this.transactions.run(async (tx) => {
      await this.matching.prepareRun(tx);
      const runId = await this.matching.createRun(tx, {
        carrierId: carrier.id, from: window.fromIso, to: window.toIso, ruleSetVersion: RULE_SET_VERSION, settings,
      });
      const staged = await this.matching.stageWindow(tx, carrier.id, window.fromIso, window.toIso, settings.nearMarginSeconds, settings.farMarginSeconds, {
        callIdWindowSeconds: rules.callIdWindowSeconds, durationTolerance: plain(rules.durationToleranceSeconds), chargeTolerance: plain(rules.chargeTolerance),
      }, dayOf(window.from) === dayOf(window.to - 1n));
      const pairs = await this.matching.pairRows(
        tx, rules.callIdWindowSeconds, rules.matchWindowSeconds, plain(rules.durationToleranceSeconds), plain(rules.chargeTolerance),
      );
      await this.matching.classifyWindow(tx, window.fromIso, window.toIso, plain(rules.durationToleranceSeconds), plain(rules.chargeTolerance));
      const stored = await this.matching.storeDiscrepancies(tx, carrier.id, runId, window.fromIso, window.toIso);

      const counts = Object.fromEntries(DISCREPANCY_KINDS.map((k) => [k, 0])) as Record<DiscrepancyKind, number>;
      for (const { kind, n } of await this.matching.countFound(tx)) counts[kind as DiscrepancyKind] = n;
      await this.matching.sumWindow(tx, window.fromIso, window.toIso);
      const totalsByCurrency: MoneyTotals[] = (await this.matching.windowTotals(tx)).map((t) => ({
        currency: t.currency,
        microsoftTotal: plain(t.microsoft_total),
        carrierTotal: plain(t.carrier_total),
        moneyDelta: plain(new Dec(t.carrier_total).minus(t.microsoft_total)),
      }));
      const single = totalsByCurrency.length <= 1;
      const only = totalsByCurrency[0];
      const inputsRows = await this.matching.inputChecksums(tx);
      const side = (s: string) => {
        const r = inputsRows.find((x) => x.side === s)!;
        return { rows: r.rows, checksum: r.checksum };
      };
      const inputs = { microsoft: side('microsoft'), carrier: side('carrier') };
      const daysWithoutCarrierData = await this.matching.daysWithoutCarrierData(tx);
      const controls = (await this.matching.storeControls(tx, carrier.id, runId)).map(control);
      const result: ReconcileResult = {
        runId,
        carrierId: carrier.id,
        from: window.fromIso,
        to: window.toIso,
        ruleSetVersion: RULE_SET_VERSION,
        settings,
        inputs,
        counts,
        microsoftTotal: single ? (only?.microsoftTotal ?? '0') : null,
        carrierTotal: single ? (only?.carrierTotal ?? '0') : null,
        moneyDelta: single ? (only?.moneyDelta ?? '0') : null,
        currency: single ? (only?.currency ?? null) : null,
        totalsByCurrency,
        pairs: { callId: staged.callIdPairs + pairs.callId, numbersAndTime: pairs.numbersAndTime },
        daysWithoutCarrierData,
        discrepancies: stored,
        controls,
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
      };
      const { controls: _c, seconds: _s, runId: _r, inputs: _i, settings: _st, ...summary } = result;
      await this.matching.finishRun(tx, runId, inputs, summary);
      return result;
    }, { isolation: 'REPEATABLE READ', lock: { space: 'ocrecon.reconcile', key: carrier.id } });
  }
}
