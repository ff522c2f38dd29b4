import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { Dec, decimalTransformer } from '../common/decimal';

/** A carrier partner and its reconciliation settings (rule set v1 defaults). */
@Entity({ name: 'carriers' })
export class CarrierEntity {
  @PrimaryColumn({ type: 'text' })
  id: string;

  @Column({ type: 'text' })
  name: string;

  /** Values of Graph `operator` that belong to this carrier, compared case-insensitively. */
  @Column({ name: 'operator_names', type: 'text', array: true })
  operatorNames: string[];

  @Column({ name: 'duration_tolerance_seconds', type: 'numeric', precision: 12, scale: 3, default: 1, transformer: decimalTransformer })
  durationToleranceSeconds: Dec;

  @Column({ name: 'charge_tolerance', type: 'numeric', precision: 18, scale: 6, default: 0, transformer: decimalTransformer })
  chargeTolerance: Dec;

  @Column({ name: 'match_window_seconds', type: 'integer', default: 5 })
  matchWindowSeconds: number;

  @Column({ name: 'call_id_window_seconds', type: 'integer', default: 86400 })
  callIdWindowSeconds: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
