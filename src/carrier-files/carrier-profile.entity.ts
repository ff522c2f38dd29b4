import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { CarrierEntity } from '../carriers/carrier.entity';

/** A carrier's file layout, stored as the validated profile JSON. */
@Entity({ name: 'carrier_profiles' })
export class CarrierProfileEntity {
  @PrimaryColumn({ name: 'carrier_id', type: 'text' })
  carrierId: string;

  @PrimaryColumn({ type: 'text' })
  name: string;

  @ManyToOne(() => CarrierEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'carrier_id', foreignKeyConstraintName: 'fk_carrier_profiles_carrier' })
  carrier?: CarrierEntity;

  @Column({ type: 'jsonb' })
  definition: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
