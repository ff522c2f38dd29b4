import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../../src/app.module';
import { BatchScheduleModule } from '../../src/batch/batch-schedule.module';
import { NightlyScheduler } from '../../src/batch/nightly.scheduler';
import { CarriersService } from '../../src/carriers/carriers.service';
import { loadConfig } from '../../src/config/app-config';
import { createTestDatabase, TestDatabase } from '../support/test-db';

// The schedule inside `ocrecon serve`, on a fake clock: nothing before 02:30 UTC, one run at 02:30
// for yesterday, with the trigger recorded as `schedule`.
describe('the nightly schedule', () => {
  let db: TestDatabase;
  let app: INestApplicationContext | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    jest.useRealTimers();
    await app?.close();
    await db?.drop();
  });

  it('fires at the configured time, once, for yesterday', async () => {
    // Only the clock and timers are fake: sockets and promises run for real (the database is real).
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'], now: Date.parse('2026-11-02T02:29:00Z') });
    const config = loadConfig({ DATABASE_URL: db.url, OCRECON_NIGHTLY_CRON: '30 2 * * *', OCRECON_NIGHTLY_TRAILING_DAYS: '1' });
    @Module({ imports: [AppModule.register({ config, databaseUrl: db.url }), BatchScheduleModule] })
    class ScheduledApp {}
    app = await NestFactory.createApplicationContext(ScheduledApp, { logger: false });
    await app.init();
    await app.get(CarriersService).addCarrier({ id: 'fab', name: 'Fabrikam' });
    const scheduler = app.get(NightlyScheduler);
    const runs = async () => (await db.sql.query(`SELECT trigger, run_date::text, status FROM batch_runs`)).rows;

    jest.advanceTimersByTime(59_000); // 02:29:59
    expect(scheduler.current).toBeNull();
    expect(await runs()).toEqual([]);

    jest.advanceTimersByTime(1_500); // 02:30:00.5
    expect(scheduler.current).not.toBeNull();
    jest.useRealTimers();
    const summary = await scheduler.current;
    expect(summary).toMatchObject({ date: '2026-11-01', status: 'succeeded' });
    expect(summary!.days.map((d) => [d.day, d.reconcile])).toEqual([['2026-10-31', 'waiting'], ['2026-11-01', 'waiting']]);
    expect(await runs()).toEqual([{ trigger: 'schedule', run_date: '2026-11-01', status: 'succeeded' }]);
  });
});
