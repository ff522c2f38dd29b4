import { Injectable } from '@nestjs/common';
import { Dec } from '../common/decimal';
import { invalidInput, notFound } from '../common/ocrecon-error';
import { CarrierEntity } from './carrier.entity';
import { CarriersRepository } from './carriers.repository';
import { Cloud, CLOUDS, TenantEntity } from './tenant.entity';
import { GUID } from '../common/guid';

export interface AddCarrierInput {
  id: string;
  name: string;
  operatorNames?: string[];
  durationToleranceSeconds?: string;
  chargeTolerance?: string;
  matchWindowSeconds?: string;
  callIdWindowSeconds?: string;
}

export interface AddTenantInput {
  tenantId: string;
  carrierId: string;
  name?: string;
  cloud?: string;
}

const CARRIER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function nonNegativeDecimal(key: string, text: string, scale: number): Dec {
  if (!/^\d+(\.\d+)?$/.test(text)) throw invalidInput(`${key} must be a non-negative decimal, got ${JSON.stringify(text)}`);
  const value = new Dec(text);
  if (value.decimalPlaces() > scale) throw invalidInput(`${key} has more than ${scale} decimals`);
  return value;
}

function wholeSeconds(key: string, text: string): number {
  if (!/^\d{1,7}$/.test(text)) throw invalidInput(`${key} must be a whole number of seconds, got ${JSON.stringify(text)}`);
  return Number(text);
}

/** The registry: carriers, their settings, and the customer tenants they serve. */
@Injectable()
export class CarriersService {
  constructor(private readonly carriers: CarriersRepository) {}

  async requireCarrier(id: string): Promise<CarrierEntity> {
    const carrier = await this.carriers.findCarrier(id);
    if (!carrier) throw notFound(`carrier ${id} is not registered (ocrecon carriers add ${id} --name …)`);
    return carrier;
  }

  listCarriers(): Promise<CarrierEntity[]> {
    return this.carriers.listCarriers();
  }

  /** Registers or updates a carrier. Settings not given keep their stored (or default) value. */
  async addCarrier(input: AddCarrierInput): Promise<CarrierEntity> {
    if (!CARRIER_ID.test(input.id)) throw invalidInput(`carrier id ${JSON.stringify(input.id)} must be 1-64 letters, digits, '.', '_' or '-'`);
    const name = input.name?.trim();
    if (!name) throw invalidInput('carrier name must not be empty');
    const operatorNames = (input.operatorNames ?? []).map((n) => n.trim()).filter((n) => n !== '');
    const existing = await this.carriers.findCarrier(input.id);
    return this.carriers.upsertCarrier({
      id: input.id,
      name,
      operatorNames: operatorNames.length > 0 ? operatorNames : existing && existing.name === name ? existing.operatorNames : [name],
      durationToleranceSeconds:
        input.durationToleranceSeconds !== undefined ? nonNegativeDecimal('duration tolerance', input.durationToleranceSeconds, 3) : existing?.durationToleranceSeconds ?? new Dec(1),
      chargeTolerance: input.chargeTolerance !== undefined ? nonNegativeDecimal('charge tolerance', input.chargeTolerance, 6) : existing?.chargeTolerance ?? new Dec(0),
      matchWindowSeconds: input.matchWindowSeconds !== undefined ? wholeSeconds('match window', input.matchWindowSeconds) : existing?.matchWindowSeconds ?? 5,
      callIdWindowSeconds: input.callIdWindowSeconds !== undefined ? wholeSeconds('call id window', input.callIdWindowSeconds) : existing?.callIdWindowSeconds ?? 86400,
    });
  }

  async addTenant(input: AddTenantInput): Promise<TenantEntity> {
    if (!GUID.test(input.tenantId)) throw invalidInput(`tenant ${JSON.stringify(input.tenantId)} is not a GUID`);
    const cloud = (input.cloud ?? 'global') as Cloud;
    if (!CLOUDS.includes(cloud)) throw invalidInput(`cloud must be one of ${CLOUDS.join(', ')}, got ${JSON.stringify(input.cloud)}`);
    await this.requireCarrier(input.carrierId);
    return this.carriers.upsertTenant({ carrierId: input.carrierId, tenantId: input.tenantId.toLowerCase(), name: input.name ?? null, cloud });
  }

  listTenants(carrierId: string): Promise<TenantEntity[]> {
    return this.carriers.listTenants(carrierId);
  }

  /** The registrations of a tenant (none: not registered); a tenant id that is not a GUID is the caller's mistake, said so. */
  async findTenantLinks(tenantId: string): Promise<TenantEntity[]> {
    if (!GUID.test(tenantId)) throw invalidInput(`tenant ${JSON.stringify(tenantId)} is not a GUID`);
    return this.carriers.findTenantLinks(tenantId.toLowerCase());
  }
}
