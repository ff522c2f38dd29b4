import { Module } from '@nestjs/common';
import { CarriersModule } from '../carriers/carriers.module';
import { MatchingRepository } from './matching.repository';
import { MatchingService } from './matching.service';

@Module({
  imports: [CarriersModule],
  providers: [MatchingRepository, MatchingService],
  exports: [MatchingService],
})
export class MatchingModule {}
