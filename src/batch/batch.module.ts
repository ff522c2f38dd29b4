import { Module } from '@nestjs/common';
import { CarriersModule } from '../carriers/carriers.module';
import { MatchingModule } from '../matching/matching.module';
import { MicrosoftLogsModule } from '../microsoft-logs/microsoft-logs.module';
import { BatchRepository } from './batch.repository';
import { NightlyService } from './nightly.service';

@Module({
  imports: [CarriersModule, MicrosoftLogsModule, MatchingModule],
  providers: [BatchRepository, NightlyService],
  exports: [NightlyService, BatchRepository],
})
export class BatchModule {}
