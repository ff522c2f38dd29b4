import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CarrierEntity } from './carrier.entity';
import { TenantEntity } from './tenant.entity';

@Injectable()
export class CarriersRepository {
  constructor(private readonly dataSource: DataSource) {}

  findCarrier(id: string): Promise<CarrierEntity | null> {
    return this.dataSource.getRepository(CarrierEntity).findOneBy({ id });
  }

  listCarriers(): Promise<CarrierEntity[]> {
    return this.dataSource.getRepository(CarrierEntity).find({ order: { id: 'ASC' } });
  }

  async upsertCarrier(carrier: Partial<CarrierEntity> & { id: string }): Promise<CarrierEntity> {
    await this.dataSource.getRepository(CarrierEntity).upsert(carrier, { conflictPaths: ['id'], skipUpdateIfNoValuesChanged: true });
    return (await this.findCarrier(carrier.id))!;
  }

  async upsertTenant(tenant: Partial<TenantEntity> & { carrierId: string; tenantId: string }): Promise<TenantEntity> {
    const repo = this.dataSource.getRepository(TenantEntity);
    await repo.upsert(tenant, { conflictPaths: ['carrierId', 'tenantId'] });
    return (await repo.findOneBy({ carrierId: tenant.carrierId, tenantId: tenant.tenantId }))!;
  }

  listTenants(carrierId: string): Promise<TenantEntity[]> {
    return this.dataSource.getRepository(TenantEntity).find({ where: { carrierId }, order: { tenantId: 'ASC' } });
  }

  /** Every carrier link of a tenant (one tenant can use several carriers). */
  findTenantLinks(tenantId: string): Promise<TenantEntity[]> {
    return this.dataSource.getRepository(TenantEntity).find({ where: { tenantId }, order: { carrierId: 'ASC' } });
  }
}
