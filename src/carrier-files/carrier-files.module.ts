import { Module } from '@nestjs/common';
import { CarriersModule } from '../carriers/carriers.module';
import { CarrierFilesRepository } from './carrier-files.repository';
import { IngestService } from './ingest.service';

@Module({
  imports: [CarriersModule],
  providers: [CarrierFilesRepository, IngestService],
  exports: [IngestService, CarrierFilesRepository],
})
export class CarrierFilesModule {}
