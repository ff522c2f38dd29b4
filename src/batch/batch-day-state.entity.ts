import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * What the batch last did for a carrier and day: the fingerprint of the inputs it reconciled, so a
 * day whose data did not change is not reconciled again.
 */
@Entity({ name: 'batch_day_state' })
export class BatchDayStateEntity {
  @PrimaryColumn({ name: 'carrier_id', type: 'text' })
  carrierId: string;

  @PrimaryColumn({ type: 'date' })
  day: string;

  /** reconciled, or waiting (no carrier data yet). */
  @Column({ type: 'text' })
  status: string;

  @Column({ type: 'text', nullable: true })
  fingerprint: string | null;

  @Column({ name: 'reconcile_run_id', type: 'uuid', nullable: true })
  reconcileRunId: string | null;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;

  /**
   * The snapshot (pg_current_snapshot()::text) in which the day's inputs were last looked at: a
   * carrier file, a pull or an import it does not see came since (BatchRepository.daysChangedSinceLooked).
   */
  @Column({ type: 'text', nullable: true })
  snapshot: string | null;
}
