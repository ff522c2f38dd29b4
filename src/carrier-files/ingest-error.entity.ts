import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { CarrierFileEntity } from './carrier-file.entity';

/** A rejected row of a carrier file: where (line, column) and why. */
@Entity({ name: 'carrier_file_errors' })
@Index('ix_carrier_file_errors_file_line', ['fileId', 'line'])
export class IngestErrorEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Column({ name: 'carrier_id', type: 'text' })
  carrierId: string;

  @Column({ name: 'file_id', type: 'uuid' })
  fileId: string;

  @ManyToOne(() => CarrierFileEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'file_id', foreignKeyConstraintName: 'fk_carrier_file_errors_file' })
  file?: CarrierFileEntity;

  @Column({ type: 'integer' })
  line: number;

  @Column({ type: 'text' })
  column: string;

  @Column({ type: 'text' })
  reason: string;
}
