import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { CarrierEntity } from '../carriers/carrier.entity';

/**
 * One reconciliation of a carrier's window: what it used (rule-set version, settings), what it saw
 * (counts and an order-independent checksum of each side's rows) and what it found, so a result can
 * be explained and reproduced.
 */
@Entity({ name: 'reconciliation_runs' })
@Index('ix_reconciliation_runs_carrier_window', ['carrierId', 'windowFrom'])
export class ReconciliationRunEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'carrier_id', type: 'text' })
  carrierId: string;

  @ManyToOne(() => CarrierEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'carrier_id', foreignKeyConstraintName: 'fk_reconciliation_runs_carrier' })
  carrier?: CarrierEntity;

  @Column({ name: 'window_from', type: 'timestamptz' })
  windowFrom: Date;

  @Column({ name: 'window_to', type: 'timestamptz' })
  windowTo: Date;

  @Column({ name: 'rule_set_version', type: 'integer' })
  ruleSetVersion: number;

  /** The carrier's settings as used (decimals as text) and the edge margins. */
  @Column({ type: 'jsonb' })
  settings: Record<string, unknown>;

  /** Rows seen on each side: counts and checksums. */
  @Column({ type: 'jsonb' })
  inputs: Record<string, unknown>;

  /** The reconcile result (counts per kind, totals, days without carrier data). */
  @Column({ type: 'jsonb' })
  result: Record<string, unknown>;

  @CreateDateColumn({ name: 'started_at', type: 'timestamptz' })
  startedAt: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}
