import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { CarrierEntity } from '../carriers/carrier.entity';

/** One ingested carrier file. It exists only with all its accepted rows (one transaction). */
@Entity({ name: 'carrier_files' })
@Unique('uq_carrier_files_carrier_sha256', ['carrierId', 'sha256'])
@Index('ix_carrier_files_carrier_ingested', ['carrierId', 'ingestedAt'])
export class CarrierFileEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'carrier_id', type: 'text' })
  carrierId: string;

  @ManyToOne(() => CarrierEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'carrier_id', foreignKeyConstraintName: 'fk_carrier_files_carrier' })
  carrier?: CarrierEntity;

  @Column({ type: 'char', length: 64 })
  sha256: string;

  @Column({ name: 'file_name', type: 'text' })
  fileName: string;

  @Column({ name: 'profile_name', type: 'text', nullable: true })
  profileName: string | null;

  /** loaded: its accepted rows are stored; rejected: the profile fails a file with a bad row, so none are. */
  @Column({ type: 'text', default: 'loaded' })
  status: 'loaded' | 'rejected';

  @Column({ name: 'rows_read', type: 'integer' })
  rowsRead: number;

  @Column({ type: 'integer' })
  accepted: number;

  @Column({ type: 'integer' })
  rejected: number;

  @Column({ type: 'integer' })
  skipped: number;

  @CreateDateColumn({ name: 'ingested_at', type: 'timestamptz' })
  ingestedAt: Date;

  /**
   * The UTC days its stored rows start on. A file ingested after a day was last reconciled (a late
   * or corrected file) makes the nightly reconcile that day again, within OCRECON_NIGHTLY_LOOKBACK_DAYS.
   */
  @Column({ type: 'date', array: true, default: () => "'{}'" })
  days: string[];

  /** The ingest's transaction id (pg_current_xact_id()::text): which day states have seen the file. */
  @Column({ name: 'ingest_xact', type: 'text', nullable: true })
  ingestXact: string | null;
}
