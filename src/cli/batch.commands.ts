import { Command, CommandRunner, Option } from 'nest-commander';
import { BatchRepository } from '../batch/batch.repository';
import { NightlySummary, NightlyService } from '../batch/nightly.service';
import { invalidInput, notFound } from '../common/ocrecon-error';
import { ShutdownSignal } from '../common/shutdown';
import { printResult } from './output';
import { GUID } from '../common/guid';

/** The one-screen summary of a night, for people (the JSON has every detail). */
export function describeNight(s: NightlySummary): string {
  const lines = [`nightly run ${s.runId} for ${s.date}: ${s.status}`];
  for (const d of s.days) {
    const counts = d.counts ? Object.entries(d.counts).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || 'no discrepancies' : '';
    lines.push(`  ${d.carrierId} ${d.day}: pull ${d.pull}, reconcile ${d.reconcile}${counts ? ` (${counts})` : ''}${d.error ? ` — ${d.error}` : ''}`);
  }
  const kinds = Object.entries(s.counts).filter(([, n]) => n > 0);
  lines.push(`  discrepancies: ${kinds.length ? kinds.map(([k, n]) => `${k} ${n}`).join(', ') : 'none'}`);
  for (const m of s.moneyAtStake) lines.push(`  money at stake ${m.currency ?? '(no currency)'}: ${m.amount} over ${m.calls} calls`);
  for (const m of s.money) lines.push(`  money ${m.currency ?? '(no currency)'}: Microsoft ${m.microsoftTotal}, carrier ${m.carrierTotal}, carrier − Microsoft ${m.moneyDelta}`);
  if (s.waiting.length) lines.push(`  waiting for carrier data: ${s.waiting.map((w) => `${w.carrierId} ${w.day}`).join(', ')}`);
  return lines.join('\n');
}

@Command({ name: 'nightly', description: 'the nightly reconciliation batch for one day (default: yesterday, UTC)' })
export class NightlyCommand extends CommandRunner {
  constructor(
    private readonly nightly: NightlyService,
    private readonly shutdown: ShutdownSignal,
  ) {
    super();
  }

  async run(_: string[], o: { date?: string; carrier?: string; json?: boolean }): Promise<void> {
    // A stop signal ends the run after its current step (recorded as interrupted), not mid-write.
    const unsubscribe = this.shutdown.onRequest(() => process.stderr.write('ocrecon: stopping after the current step…\n'));
    try {
      const summary = await this.nightly.run({
        date: o.date,
        carrierId: o.carrier,
        trigger: 'manual',
        signal: this.shutdown.stopping,
        onStep: process.stderr.isTTY && !o.json ? (e) => process.stderr.write(`  ${e.carrierId} ${e.day} ${e.step}: ${e.status}\n`) : undefined,
      });
      printResult(summary, o.json, () => describeNight(summary));
      if (summary.status === 'failed' || summary.status === 'interrupted') process.exitCode = 1;
    } finally {
      unsubscribe();
    }
  }

  @Option({ flags: '--date <day>', description: 'YYYY-MM-DD' }) parseDate(v: string) { return v; }
  @Option({ flags: '--carrier <carrierId>' }) parseCarrier(v: string) { return v; }
  @Option({ flags: '--json' }) parseJson() { return true; }
}

@Command({ name: 'runs', description: 'the nightly runs, newest first (--id for one run and its steps)' })
export class RunsCommand extends CommandRunner {
  constructor(private readonly batch: BatchRepository) {
    super();
  }

  async run(_: string[], o: { limit?: string; id?: string; json?: boolean }): Promise<void> {
    if (o.id !== undefined) {
      const run = GUID.test(o.id) ? await this.batch.findRun(o.id) : null;
      if (!run) throw notFound(`no nightly run ${o.id}`);
      const steps = await this.batch.runSteps(run.id);
      printResult({ ...run, steps }, o.json, () =>
        [`${run.id} ${run.runDate} ${run.trigger} ${run.status} ${run.startedAt.toISOString()} → ${run.finishedAt?.toISOString() ?? '…'} (${run.runner})${run.error ? ` ${run.error}` : ''}`,
          ...steps.map((s) => `  ${s.carrierId} ${s.day} ${s.step}: ${s.status}${s.attempts > 1 ? ` after ${s.attempts} attempts` : ''}${s.error ? ` — ${s.error}` : ''}`)].join('\n'));
      return;
    }
    const limit = o.limit === undefined ? 20 : Number(o.limit);
    if (!Number.isInteger(limit) || limit < 1) throw invalidInput(`--limit must be a whole number of runs (1 or more), got ${JSON.stringify(o.limit)}`);
    const runs = await this.batch.listRuns(limit);
    printResult(runs, o.json, () =>
      runs.map((r) => `${r.id}  ${r.runDate}  ${r.trigger.padEnd(8)} ${r.status.padEnd(11)} ${r.startedAt.toISOString()}  ${r.finishedAt ? `${((r.finishedAt.getTime() - r.startedAt.getTime()) / 1000).toFixed(1)} s` : 'running'}`).join('\n') || '(no runs)');
  }

  @Option({ flags: '--limit <n>' }) parseLimit(v: string) { return v; }
  @Option({ flags: '--id <runId>' }) parseId(v: string) { return v; }
  @Option({ flags: '--json' }) parseJson() { return true; }
}
