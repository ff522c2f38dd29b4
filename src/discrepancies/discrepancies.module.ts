import { Module } from '@nestjs/common';
import { CarriersModule } from '../carriers/carriers.module';
import { DiscrepanciesRepository } from './discrepancies.repository';
import { DiscrepanciesService } from './discrepancies.service';

@Module({
  imports: [CarriersModule],
  providers: [DiscrepanciesRepository, DiscrepanciesService],
  exports: [DiscrepanciesService],
})
export class DiscrepanciesModule {}
