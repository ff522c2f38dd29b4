import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { ShutdownSignal, shutdownSignal } from '../common/shutdown';
import { AppLogger, ROOT_LOGGER } from './app-logger';
import { CoreMetrics } from './core-metrics';
import { createLogger, LogOptions } from './logger';
import { MetricsService } from './metrics.service';
import { ObservabilityRepository } from './observability.repository';

/**
 * Logging, metrics and the stop signal, for every module of the application (CLI and server):
 * inject AppLogger, MetricsService and ShutdownSignal.
 */
@Global()
@Module({})
export class ObservabilityModule {
  static register(logging: LogOptions): DynamicModule {
    return {
      module: ObservabilityModule,
      providers: [
        { provide: ROOT_LOGGER, inject: [AppConfig], useFactory: (config: AppConfig) => createLogger(logging, config.LOG_LEVEL) },
        { provide: ShutdownSignal, useValue: shutdownSignal },
        AppLogger,
        MetricsService,
        ObservabilityRepository,
        CoreMetrics,
      ],
      exports: [ROOT_LOGGER, AppLogger, MetricsService, ShutdownSignal, ObservabilityRepository],
    };
  }
}
