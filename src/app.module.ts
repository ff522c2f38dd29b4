import { DynamicModule, Module } from '@nestjs/common';
import { BatchModule } from './batch/batch.module';
import { CarrierFilesModule } from './carrier-files/carrier-files.module';
import { CarriersModule } from './carriers/carriers.module';
import { CoreModule, RuntimeOptions } from './database/database.module';
import { DiscrepanciesModule } from './discrepancies/discrepancies.module';
import { MatchingModule } from './matching/matching.module';
import { MicrosoftLogsModule } from './microsoft-logs/microsoft-logs.module';

/** The application: every feature module over one database. The CLI and the HTTP server both use it. */
@Module({})
export class AppModule {
  static register(options: RuntimeOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [CoreModule.register(options), CarriersModule, CarrierFilesModule, MicrosoftLogsModule, MatchingModule, DiscrepanciesModule, BatchModule],
      exports: [CarriersModule, CarrierFilesModule, MicrosoftLogsModule, MatchingModule, DiscrepanciesModule, BatchModule],
    };
  }
}
