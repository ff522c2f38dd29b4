import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { BatchModule } from './batch.module';
import { NightlyScheduler } from './nightly.scheduler';

/** The nightly schedule, for the long-running server only (the CLI runs the batch on demand). */
@Module({
  imports: [ScheduleModule.forRoot(), BatchModule],
  providers: [NightlyScheduler],
  exports: [NightlyScheduler],
})
export class BatchScheduleModule {}
