import { DynamicModule, Module } from '@nestjs/common';
import { BatchModule } from './batch/batch.module';
import { CarrierFilesModule } from './carrier-files/carrier-files.module';
import { CarriersModule } from './carriers/carriers.module';
import { CoreModule, RuntimeOptions } from './database/database.module';
import { DiscrepanciesModule } from './discrepancies/discrepancies.module';
import { MatchingModule } from './matching/matching.module';
import { MicrosoftLogsModule } from './microsoft-logs/microsoft-logs.module';
import { CLI_LOGGING, LogOptions } from './observability/logger';
import { ObservabilityModule } from './observability/observability.module';

/** The application: every feature module over one database. The CLI and the HTTP server both use it. */
@Module({})
export class AppModule {
  /** logging: where this process logs (default: the CLI's, stderr at warn; the server passes its own). */
  static register(options: RuntimeOptions & { logging?: LogOptions }): DynamicModule {
    return {
      module: AppModule,
      imports: [CoreModule.register(options), ObservabilityModule.register(options.logging ?? CLI_LOGGING), CarriersModule, CarrierFilesModule, MicrosoftLogsModule, MatchingModule, DiscrepanciesModule, BatchModule],
      exports: [CarriersModule, CarrierFilesModule, MicrosoftLogsModule, MatchingModule, DiscrepanciesModule, BatchModule],
    };
  }
}
