import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { ShutdownSignal } from '../common/shutdown';
import { AppConfig } from '../config/app-config';
import { AppLogger } from '../observability/app-logger';
import { NightlySummary, NightlyService } from './nightly.service';

export const NIGHTLY_JOB = 'ocrecon-nightly';

/**
 * The nightly batch inside `ocrecon serve`: a cron job (OCRECON_NIGHTLY_CRON, UTC; default 02:30)
 * that starts one run of yesterday. A run still going when the next tick comes is not doubled;
 * several servers firing at once are kept apart by the batch's own locks. On a stop signal the run
 * ends after its current step, and shutdown waits for it.
 */
@Injectable()
export class NightlyScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  /** The run in progress (for shutdown, and for tests that wait for a fired run). */
  current: Promise<NightlySummary | undefined> | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly registry: SchedulerRegistry,
    private readonly nightly: NightlyService,
    private readonly shutdown: ShutdownSignal,
    private readonly logger: AppLogger,
  ) {}

  onApplicationBootstrap(): void {
    const job = CronJob.from({ cronTime: this.config.OCRECON_NIGHTLY_CRON, onTick: () => void this.fire(), timeZone: 'UTC', start: false });
    this.registry.addCronJob(NIGHTLY_JOB, job);
    job.start();
    this.logger.for('NightlyScheduler').info({ cron: this.config.OCRECON_NIGHTLY_CRON, next: job.nextDate().toISO() }, 'nightly batch scheduled');
  }

  fire(): Promise<NightlySummary | undefined> {
    const log = this.logger.for('NightlyScheduler');
    if (this.current) {
      log.warn('the previous nightly run is still going: this tick is skipped');
      return this.current;
    }
    this.current = this.nightly
      .run({ trigger: 'schedule', signal: this.shutdown.stopping })
      .then((summary) => {
        log.info({ runId: summary.runId, date: summary.date, status: summary.status, counts: summary.counts, waiting: summary.waiting.length }, 'nightly run finished');
        return summary;
      })
      .catch((error) => {
        log.error({ err: error }, 'nightly run failed');
        return undefined;
      })
      .finally(() => {
        this.current = null;
      });
    return this.current;
  }

  async onModuleDestroy(): Promise<void> {
    if (this.registry.doesExist('cron', NIGHTLY_JOB)) this.registry.deleteCronJob(NIGHTLY_JOB);
    await this.current;
  }
}
