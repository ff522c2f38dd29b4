import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { BatchRunEntity } from './batch-run.entity';

export const STEP_STATUSES = ['running', 'succeeded', 'failed', 'waiting', 'unchanged', 'locked', 'done-elsewhere', 'blocked', 'skipped', 'interrupted'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** One step of a run: the pull or the reconciliation of one carrier and day. */
@Entity({ name: 'batch_steps' })
@Index('ix_batch_steps_run', ['runId'])
@Index('ix_batch_steps_carrier_day', ['carrierId', 'day', 'step'])
export class BatchStepEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Column({ name: 'run_id', type: 'uuid' })
  runId: string;

  @ManyToOne(() => BatchRunEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'run_id', foreignKeyConstraintName: 'fk_batch_steps_run' })
  run?: BatchRunEntity;

  @Column({ name: 'carrier_id', type: 'text' })
  carrierId: string;

  @Column({ type: 'date' })
  day: string;

  /** pull or reconcile. */
  @Column({ type: 'text' })
  step: string;

  @Column({ type: 'text' })
  status: StepStatus;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ type: 'jsonb', nullable: true })
  detail: Record<string, unknown> | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ name: 'started_at', type: 'timestamptz', default: () => 'now()' })
  startedAt: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}
