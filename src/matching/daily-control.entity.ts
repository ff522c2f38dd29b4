import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ReconciliationRunEntity } from './reconciliation-run.entity';

/**
 * Summary controls of a run, per customer tenant and UTC day of the window: calls, seconds and money
 * on each side and how many Microsoft calls were matched. Money is summed within one currency; a
 * tenant-day with several currencies has currency `MIXED` and no money sums.
 */
@Entity({ name: 'reconciliation_daily_controls' })
@Index('ix_reconciliation_daily_controls_run', ['runId', 'day', 'tenantId'])
@Index('ix_reconciliation_daily_controls_carrier_day', ['carrierId', 'day'])
export class DailyControlEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Column({ name: 'run_id', type: 'uuid' })
  runId: string;

  @ManyToOne(() => ReconciliationRunEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'run_id', foreignKeyConstraintName: 'fk_reconciliation_daily_controls_run' })
  run?: ReconciliationRunEntity;

  @Column({ name: 'carrier_id', type: 'text' })
  carrierId: string;

  @Column({ type: 'date' })
  day: string;

  /** NULL: carrier rows that name no tenant and were not paired. */
  @Column({ name: 'tenant_id', type: 'uuid', nullable: true })
  tenantId: string | null;

  /** False when the carrier has no CDR at all on this day. */
  @Column({ name: 'carrier_has_data', type: 'boolean' })
  carrierHasData: boolean;

  @Column({ name: 'microsoft_calls', type: 'integer' })
  microsoftCalls: number;

  @Column({ name: 'microsoft_seconds', type: 'numeric' })
  microsoftSeconds: string;

  @Column({ name: 'microsoft_money', type: 'numeric', nullable: true })
  microsoftMoney: string | null;

  @Column({ name: 'carrier_calls', type: 'integer' })
  carrierCalls: number;

  @Column({ name: 'carrier_seconds', type: 'numeric' })
  carrierSeconds: string;

  @Column({ name: 'carrier_money', type: 'numeric', nullable: true })
  carrierMoney: string | null;

  /** The one currency of the money on both sides; NULL when there is no money; MIXED when several. */
  @Column({ type: 'text', nullable: true })
  currency: string | null;

  /** Microsoft calls of the day that were paired with a carrier row. */
  @Column({ name: 'matched_calls', type: 'integer' })
  matchedCalls: number;
}
