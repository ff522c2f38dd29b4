import { Module } from '@nestjs/common';
import { CarriersRepository } from './carriers.repository';
import { CarriersService } from './carriers.service';

@Module({
  providers: [CarriersRepository, CarriersService],
  exports: [CarriersService],
})
export class CarriersModule {}
