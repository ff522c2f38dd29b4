import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { CarrierEntity } from './carrier.entity';

export const CLOUDS = ['global', 'usgov', 'dod'] as const;
export type Cloud = (typeof CLOUDS)[number];

/** A customer tenant served by a carrier. One tenant can use several carriers, so the key is the pair. */
@Entity({ name: 'tenants' })
export class TenantEntity {
  @PrimaryColumn({ name: 'carrier_id', type: 'text' })
  carrierId: string;

  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @ManyToOne(() => CarrierEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'carrier_id', foreignKeyConstraintName: 'fk_tenants_carrier' })
  carrier?: CarrierEntity;

  @Column({ type: 'text', nullable: true })
  name: string | null;

  @Column({ type: 'text', default: 'global' })
  cloud: Cloud;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
