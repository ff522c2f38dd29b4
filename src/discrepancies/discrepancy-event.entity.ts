import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { DiscrepancyEntity } from './discrepancy.entity';

/** The history of a discrepancy: found by a run, then each review step (status change and note). */
@Entity({ name: 'discrepancy_events' })
@Index('ix_discrepancy_events_discrepancy', ['discrepancyId', 'id'])
export class DiscrepancyEventEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Column({ name: 'discrepancy_id', type: 'uuid' })
  discrepancyId: string;

  @ManyToOne(() => DiscrepancyEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'discrepancy_id', foreignKeyConstraintName: 'fk_discrepancy_events_discrepancy' })
  discrepancy?: DiscrepancyEntity;

  /** DETECTED (by a run) or REVIEW (a person changed the status or added a note). */
  @Column({ type: 'text' })
  event: 'DETECTED' | 'REVIEW';

  @Column({ name: 'from_status', type: 'text', nullable: true })
  fromStatus: string | null;

  @Column({ name: 'to_status', type: 'text', nullable: true })
  toStatus: string | null;

  @Column({ type: 'text', nullable: true })
  note: string | null;

  @Column({ type: 'text', nullable: true })
  actor: string | null;

  @Column({ name: 'run_id', type: 'uuid', nullable: true })
  runId: string | null;

  @CreateDateColumn({ name: 'at', type: 'timestamptz' })
  at: Date;
}
