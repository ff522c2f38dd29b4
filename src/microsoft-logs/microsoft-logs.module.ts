import { Module } from '@nestjs/common';
import { CarriersModule } from '../carriers/carriers.module';
import { AppConfig } from '../config/app-config';
import { GraphConnector } from './graph-connector';
import { ImportMicrosoftService } from './import.service';
import { MicrosoftLogsRepository } from './microsoft-logs.repository';
import { PullService } from './pull.service';

@Module({
  imports: [CarriersModule],
  providers: [
    MicrosoftLogsRepository,
    { provide: GraphConnector, useFactory: (config: AppConfig) => new GraphConnector(config), inject: [AppConfig] },
    PullService,
    ImportMicrosoftService,
  ],
  exports: [PullService, ImportMicrosoftService, MicrosoftLogsRepository],
})
export class MicrosoftLogsModule {}
