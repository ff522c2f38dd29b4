import { Injectable, OnModuleInit } from '@nestjs/common';
import { hostname } from 'node:os';
import { CarriersService } from '../carriers/carriers.service';
import { Dec, plain } from '../common/decimal';
import { sleepUnlessAborted } from '../common/sleep';
import { ErrorCode, invalidInput, OcreconError } from '../common/ocrecon-error';
import { AppConfig } from '../config/app-config';
import { MatchingService, ReconcileResult } from '../matching/matching.service';
import { AppLogger } from '../observability/app-logger';
import { MetricsService } from '../observability/metrics.service';
import { MicrosoftLogsRepository } from '../microsoft-logs/microsoft-logs.repository';
import { PullProgress, PullService, TenantPullResult } from '../microsoft-logs/pull.service';
import { BatchRepository, LockSession } from './batch.repository';
import { RunStatus } from './batch-run.entity';
import { StepStatus } from './batch-step.entity';
import { addDays, backoffMs, nextDay, nightDays, parseDay, yesterday } from './nightly-plan';

export interface NightlyRequest {
  /** The night's day (default: yesterday, UTC). */
  date?: string;
  /** One carrier (default: every carrier). */
  carrierId?: string;
  trigger: 'manual' | 'schedule';
  /**
   * A stop signal: once aborted, the run ends cleanly. A pull stops at its next page (or in a wait
   * for Graph), with every page before it committed; a failed step is not tried again; a
   * reconciliation under way finishes; no further day starts. The run is recorded as interrupted.
   */
  signal?: AbortSignal;
  /** Called as each step ends (progress on a terminal). */
  onStep?: (e: { carrierId: string; day: string; step: string; status: StepStatus }) => void;
}

export interface DayOutcome {
  carrierId: string;
  day: string;
  pull: StepStatus | 'skipped';
  reconcile: StepStatus;
  /** The reconciliation's counts per kind, when it ran (or the last run's, when unchanged). */
  counts?: Record<string, number>;
  reconcileRunId?: string;
  totalsByCurrency?: ReconcileResult['totalsByCurrency'];
  error?: string;
}

export interface NightlySummary {
  runId: string;
  date: string;
  status: RunStatus;
  days: DayOutcome[];
  /** The night's discrepancies per kind: days reconciled now, and the standing result of days that did not change. */
  counts: Record<string, number>;
  /** Per currency: the two sides' totals over the reconciled days, and carrier − Microsoft. */
  money: { currency: string | null; microsoftTotal: string; carrierTotal: string; moneyDelta: string }[];
  /** Per currency: the absolute money difference of the flagged calls of the reconciled days (each call once). */
  moneyAtStake: { currency: string | null; amount: string; calls: number }[];
  waiting: { carrierId: string; day: string }[];
  failed: { carrierId: string; day: string; step: string; error: string }[];
}

class StepFailed extends Error {}

/**
 * The nightly reconciliation batch. For each carrier and each day of the night (the day and the
 * trailing days Microsoft may still be filling in): pull every tenant's Microsoft logs of the day,
 * then reconcile the day if its inputs changed since it was last reconciled. Older days (within
 * OCRECON_NIGHTLY_LOOKBACK_DAYS) that a carrier file, a pull or an import changed since their last look are
 * reconciled again too, without a pull. A day without any carrier CDR is reported as waiting, not
 * reconciled into a flood of MISSING_AT_CARRIER.
 *
 * Exactly one runner per carrier and day: a session-level advisory lock is held while working on
 * it, and a day finished by another runner since this run started is not done again. Every step is
 * idempotent (pulls upsert by row id and resume from their cursor, reconciliation replaces the
 * window's results), so a crashed run is safely restarted by running the night again.
 */
@Injectable()
export class NightlyService implements OnModuleInit {
  constructor(
    private readonly config: AppConfig,
    private readonly batch: BatchRepository,
    private readonly carriers: CarriersService,
    private readonly pulls: PullService,
    private readonly matching: MatchingService,
    private readonly logger: AppLogger,
    private readonly metrics: MetricsService,
    private readonly microsoftLogs: MicrosoftLogsRepository,
  ) {}

  onModuleInit(): void {
    this.metrics.registerCounter('ocrecon_batch_runs_total', 'Nightly batch runs, by status', ['status'], async () =>
      (await this.batch.runTotals()).map((r) => ({ labels: { status: r.status }, value: r.runs })));
    this.metrics.registerGauge('ocrecon_batch_last_run_duration_seconds', 'Duration of the latest finished nightly run', ['status'], async () =>
      (await this.batch.lastFinishedRun()).map((r) => ({ labels: { status: r.status }, value: r.seconds })));
  }

  async run(request: NightlyRequest): Promise<NightlySummary> {
    let date: string;
    try {
      date = request.date ? parseDay(request.date) : yesterday(Date.now());
    } catch (error) {
      throw invalidInput(`--date: ${(error as Error).message}`);
    }
    // `serve` starts on a schema that is behind (its /health says so); its schedule must not run there.
    if (await this.batch.schemaBehind()) throw new OcreconError(ErrorCode.Unavailable, 'the database schema is not current: run `ocrecon migrate` first');
    const carriers = request.carrierId ? [await this.carriers.requireCarrier(request.carrierId)] : await this.carriers.listCarriers();
    const session = await this.batch.openLockSession();
    try {
      await this.abandonDeadRuns(session);
      // and the evidence of imports killed between their two commits (rows never stored)
      await this.microsoftLogs.deleteAbandonedEvidence();
      const run = await this.batch.createRun({ trigger: request.trigger, runDate: date, carrierId: request.carrierId ?? null, runner: `${hostname()}:${process.pid}` });
      await session.tryLock(`run:${run.id}`);
      const log = this.logger.forRun(run.id, 'NightlyService', { date, trigger: request.trigger });
      log.info({ carriers: carriers.map((c) => c.id), trailingDays: this.config.OCRECON_NIGHTLY_TRAILING_DAYS }, 'nightly run started');
      const summary: NightlySummary = { runId: run.id, date, status: 'running', days: [], counts: {}, money: [], moneyAtStake: [], waiting: [], failed: [] };
      let interrupted = false;
      try {
        outer: for (const carrier of carriers) {
          const days = nightDays(date, this.config.OCRECON_NIGHTLY_TRAILING_DAYS);
          // Older days that changed since they were last looked at (a late or corrected carrier file, an
          // old window pulled by hand, a Microsoft file imported late): reconciled again if their inputs
          // changed; not pulled again.
          const late = await this.batch.daysChangedSinceLooked(carrier.id, addDays(date, -this.config.OCRECON_NIGHTLY_LOOKBACK_DAYS), days[0]);
          for (const day of [...late, ...days]) {
            if (request.signal?.aborted) {
              interrupted = true;
              break outer;
            }
            const outcome = await this.runDay(session, run.id, run.startedAt, carrier.id, day, request, late.includes(day));
            log.info({ carrierId: carrier.id, day, pull: outcome.pull, reconcile: outcome.reconcile, counts: outcome.counts, error: outcome.error }, 'day done');
            summary.days.push(outcome);
          }
        }
      } catch (error) {
        await this.batch.finishRun(run.id, 'failed', this.summarize(summary), (error as Error).message);
        log.error({ err: error }, 'nightly run failed');
        throw error;
      }
      summary.moneyAtStake = await this.batch.moneyAtStake(
        summary.days.filter((d) => d.reconcile === 'succeeded' || d.reconcile === 'unchanged').map(({ carrierId, day }) => ({ carrierId, day })),
      );
      interrupted ||= summary.days.some((d) => d.pull === 'interrupted' || d.reconcile === 'interrupted');
      summary.status = interrupted ? 'interrupted' : summary.days.some((d) => d.pull === 'failed' || d.reconcile === 'failed') ? 'failed' : 'succeeded';
      await this.batch.finishRun(run.id, summary.status, this.summarize(summary));
      log.info({ status: summary.status, counts: summary.counts, waiting: summary.waiting.length, failed: summary.failed.length }, 'nightly run finished');
      return summary;
    } finally {
      await session.close();
    }
  }

  /** A run left 'running' whose runner is gone (its lock is free) ended without saying so. */
  private async abandonDeadRuns(session: LockSession): Promise<void> {
    for (const run of await this.batch.listRunning()) {
      if (await session.tryLock(`run:${run.id}`)) {
        await this.batch.abandonRun(run.id, 'the runner stopped without finishing (crash or kill); its steps are safe to run again');
        await session.unlock(`run:${run.id}`);
      }
    }
  }

  /** `late`: a day before the night's trailing days, there because its data changed since it was last looked at (no pull). */
  private async runDay(session: LockSession, runId: string, runStarted: Date, carrierId: string, day: string, request: NightlyRequest, late = false): Promise<DayOutcome> {
    const key = `day:${carrierId}:${day}`;
    const note = (step: string, status: StepStatus) => request.onStep?.({ carrierId, day, step, status });
    if (!(await session.tryLock(key))) {
      await this.recordStep(runId, carrierId, day, 'reconcile', 'locked', 0, { reason: 'another runner is working on this carrier and day' });
      note('reconcile', 'locked');
      return { carrierId, day, pull: 'skipped', reconcile: 'locked' };
    }
    try {
      if (await this.batch.doneElsewhereSince(carrierId, day, runId, runStarted)) {
        await this.recordStep(runId, carrierId, day, 'reconcile', 'done-elsewhere', 0, { reason: 'another runner finished this carrier and day after this run started' });
        note('reconcile', 'done-elsewhere');
        return { carrierId, day, pull: 'skipped', reconcile: 'done-elsewhere' };
      }
      const outcome: DayOutcome = { carrierId, day, pull: 'skipped', reconcile: 'blocked' };

      // 1. Microsoft's logs of the day, tenant by tenant.
      if (late) {
        await this.recordStep(runId, carrierId, day, 'pull', 'skipped' as StepStatus, 0, {
          reason: "its data changed since it was last looked at (a carrier file, a pull by hand or an import); it is before the trailing days, so Microsoft's logs of it are settled and not pulled again",
        });
      } else if (this.config.AZURE_CLIENT_ID) {
        // The carrier's tenants side by side (OCRECON_PULL_CONCURRENCY). A retry of the step pulls again
        // only the tenants that failed with a failure that may pass (throttled, unavailable); a tenant
        // refused (no consent) is reported and not retried.
        const done = new Map<string, TenantPullResult>();
        const pull = await this.step(runId, carrierId, day, 'pull', request.signal, async () => {
          const tenants = (await this.carriers.listTenants(carrierId)).filter((t) => {
            const last = done.get(t.tenantId.toLowerCase());
            return !last?.ok && !last?.permanent;
          });
          const waiting: PullProgress = (e) => {
            if (e.waiting) this.logger.forRun(runId, 'NightlyService', { carrierId, day }).info({ tenantId: e.tenantId, source: e.source }, 'waiting for another pull of this tenant to end');
          };
          // a tenant of several carriers: pulled once a night, by the first carrier's step to get to it
          for (const r of await this.pulls.pullTenants(tenants, day, nextDay(day), waiting, { doneSince: runStarted, signal: request.signal })) done.set(r.tenantId, r);
          const results = [...done.values()];
          const failed = results.filter((r) => !r.ok);
          const detail = { tenants: results.map((r) => ({ tenantId: r.tenantId, ok: r.ok, error: r.error, sources: r.sources })) };
          if (results.some((r) => r.stopped)) return { status: 'interrupted' as const, detail, error: 'stopped by a stop signal; the next run resumes the pull where it stopped' };
          if (failed.length > 0) return { status: 'failed' as const, detail, error: failed.map((f) => f.error).join('; '), permanent: failed.every((f) => f.permanent) };
          return { status: 'succeeded' as const, detail };
        });
        outcome.pull = pull.status;
        note('pull', pull.status);
        if (pull.status === 'interrupted') {
          // nothing to reconcile against yet; the run ends here (the caller sees the signal)
          outcome.error = pull.error;
          return { ...outcome, reconcile: 'interrupted' };
        }
        if (pull.status !== 'succeeded') {
          outcome.error = pull.error;
          await this.recordStep(runId, carrierId, day, 'reconcile', 'blocked', 0, { reason: 'Microsoft logs of the day are incomplete (pull failed)' });
          note('reconcile', 'blocked');
          return outcome;
        }
      } else {
        await this.recordStep(runId, carrierId, day, 'pull', 'skipped' as StepStatus, 0, { reason: 'AZURE_CLIENT_ID is not set: the Microsoft rows already stored (import-microsoft) are used' });
      }

      // 2. Nothing from the carrier for the day yet: wait, don't flag every call as missing.
      const carrierRows = await this.batch.carrierRowsOnDay(carrierId, day);
      if (carrierRows.rows === 0) {
        await this.recordStep(runId, carrierId, day, 'reconcile', 'waiting', 0, { reason: 'no carrier CDR for this day has arrived yet' });
        await this.batch.saveDayState({ carrierId, day, status: 'waiting', fingerprint: null, reconcileRunId: null, snapshot: carrierRows.snapshot });
        note('reconcile', 'waiting');
        return { ...outcome, reconcile: 'waiting' };
      }

      // 3. Reconcile the day when its inputs changed since it was last reconciled.
      const { fingerprint, snapshot } = await this.batch.dayFingerprint(carrierId, day);
      const state = await this.batch.findDayState(carrierId, day);
      if (state?.status === 'reconciled' && state.fingerprint === fingerprint) {
        // looked at again: files seen now (that changed nothing) no longer make the day a candidate
        await this.batch.saveDayState({ carrierId, day, status: 'reconciled', fingerprint, reconcileRunId: state.reconcileRunId, snapshot });
        await this.recordStep(runId, carrierId, day, 'reconcile', 'unchanged', 0, { reconcileRunId: state.reconcileRunId, fingerprint });
        note('reconcile', 'unchanged');
        // The day's standing result is the last reconciliation's: report it as this night's.
        const last = state.reconcileRunId ? await this.batch.reconcileRunResult(state.reconcileRunId) : null;
        return { ...outcome, reconcile: 'unchanged', reconcileRunId: state.reconcileRunId ?? undefined, counts: last?.counts, totalsByCurrency: last?.totalsByCurrency };
      }
      let result: ReconcileResult | undefined;
      const rec = await this.step(runId, carrierId, day, 'reconcile', request.signal, async () => {
        result = await this.matching.reconcile({ carrierId, from: day, to: nextDay(day) });
        const { runId: reconcileRunId, counts, totalsByCurrency, daysWithoutCarrierData, discrepancies, inputs } = result;
        return { status: 'succeeded' as const, detail: { reconcileRunId, counts, totalsByCurrency, daysWithoutCarrierData, discrepancies, inputs, fingerprint } };
      });
      note('reconcile', rec.status);
      if (rec.status !== 'succeeded' || !result) return { ...outcome, reconcile: rec.status, error: rec.error };
      await this.batch.saveDayState({ carrierId, day, status: 'reconciled', fingerprint, reconcileRunId: result.runId, snapshot });
      return { ...outcome, reconcile: 'succeeded', counts: result.counts, reconcileRunId: result.runId, totalsByCurrency: result.totalsByCurrency };
    } finally {
      await session.unlock(key);
    }
  }

  /**
   * Runs a step, retrying a failure with backoff; records every attempt's outcome in batch_steps.
   * Once `signal` is aborted a failure is not tried again (the wait before a retry ends at once) and
   * the step is recorded as interrupted, as is a step whose fn says it was.
   */
  private async step(
    runId: string, carrierId: string, day: string, name: string, signal: AbortSignal | undefined,
    fn: () => Promise<{ status: 'succeeded' | 'failed' | 'interrupted'; detail: Record<string, unknown>; error?: string; permanent?: boolean }>,
  ): Promise<{ status: StepStatus; error?: string }> {
    const stepId = await this.batch.startStep({ runId, carrierId, day, step: name });
    const attempts = this.config.OCRECON_BATCH_ATTEMPTS;
    let lastError = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1 && signal?.aborted) {
        await this.batch.finishStep(stepId, 'interrupted', attempt - 1, null, `${lastError} (not tried again: stopped by a stop signal)`);
        return { status: 'interrupted', error: lastError };
      }
      try {
        const r = await fn();
        if (r.status === 'succeeded' || r.status === 'interrupted' || r.permanent) {
          await this.batch.finishStep(stepId, r.status, attempt, r.detail, r.error ?? null);
          return { status: r.status, error: r.error };
        }
        lastError = r.error ?? 'failed';
      } catch (error) {
        lastError = (error as Error).message ?? String(error);
        if ((error as { code?: string }).code === 'INVALID_INPUT' || (error as { code?: string }).code === 'NOT_FOUND') {
          await this.batch.finishStep(stepId, 'failed', attempt, null, lastError);
          return { status: 'failed', error: lastError };
        }
      }
      if (attempt < attempts) await sleepUnlessAborted(backoffMs(attempt, this.config.OCRECON_BATCH_RETRY_BASE_MS, 60000), signal);
    }
    await this.batch.finishStep(stepId, 'failed', attempts, null, lastError);
    return { status: 'failed', error: lastError };
  }

  private async recordStep(runId: string, carrierId: string, day: string, step: string, status: StepStatus, attempts: number, detail: Record<string, unknown>): Promise<void> {
    const id = await this.batch.startStep({ runId, carrierId, day, step });
    await this.batch.finishStep(id, status, attempts, detail);
  }

  /** The run's summary: what was waiting, what failed, the counts and the money of its reconciliations. */
  private summarize(summary: NightlySummary): Record<string, unknown> {
    summary.waiting = summary.days.filter((d) => d.reconcile === 'waiting').map(({ carrierId, day }) => ({ carrierId, day }));
    summary.failed = summary.days
      .filter((d) => d.pull === 'failed' || d.reconcile === 'failed')
      .map((d) => ({ carrierId: d.carrierId, day: d.day, step: d.pull === 'failed' ? 'pull' : 'reconcile', error: d.error ?? '' }));
    const counts: Record<string, number> = {};
    const money = new Map<string | null, { microsoft: Dec; carrier: Dec }>();
    for (const d of summary.days) {
      for (const [kind, n] of Object.entries(d.counts ?? {})) counts[kind] = (counts[kind] ?? 0) + n;
      for (const t of d.totalsByCurrency ?? []) {
        const m = money.get(t.currency) ?? { microsoft: new Dec(0), carrier: new Dec(0) };
        money.set(t.currency, { microsoft: m.microsoft.plus(t.microsoftTotal), carrier: m.carrier.plus(t.carrierTotal) });
      }
    }
    summary.counts = counts;
    summary.money = [...money.entries()].map(([currency, m]) => ({
      currency, microsoftTotal: plain(m.microsoft), carrierTotal: plain(m.carrier), moneyDelta: plain(m.carrier.minus(m.microsoft)),
    }));
    const { days, ...rest } = summary;
    return { ...rest, days: days.map(({ totalsByCurrency: _t, ...d }) => d) };
  }
}

