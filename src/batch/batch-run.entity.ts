import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const RUN_STATUSES = ['running', 'succeeded', 'failed', 'interrupted', 'abandoned'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** One run of the nightly batch (scheduled or manual). */
@Entity({ name: 'batch_runs' })
@Index('ix_batch_runs_started', ['startedAt'])
export class BatchRunEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** schedule or manual. */
  @Column({ type: 'text' })
  trigger: string;

  /** The night's day (its Microsoft logs and CDRs); the trailing days before it are re-done too. */
  @Column({ name: 'run_date', type: 'date' })
  runDate: string;

  @Column({ name: 'carrier_id', type: 'text', nullable: true })
  carrierId: string | null;

  @Column({ type: 'text' })
  status: RunStatus;

  @Column({ name: 'started_at', type: 'timestamptz', default: () => 'now()' })
  startedAt: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  /** Which process runs it (host and pid), for the operator reading `ocrecon runs`. */
  @Column({ type: 'text' })
  runner: string;

  @Column({ type: 'jsonb', nullable: true })
  summary: Record<string, unknown> | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;
}
