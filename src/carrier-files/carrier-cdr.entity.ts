import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { Dec, decimalTransformer } from '../common/decimal';

/**
 * One accepted carrier CDR row. Keyed by carrier (every query filters on carrier_id first), so
 * the table can later be partitioned by carrier and start day. Amounts are NULL when the file left
 * them empty (the matcher counts a missing amount as 0, but the evidence keeps the difference).
 * No index on call_id: random call ids made every insert touch a random leaf page, which cost 40% of
 * a large file's COPY; the matcher hash-joins call ids within a start-time range instead.
 */
@Entity({ name: 'carrier_cdrs' })
@Index('uq_carrier_cdrs_carrier_record', ['carrierId', 'recordId'], { unique: true, where: 'record_id IS NOT NULL' })
@Index('ix_carrier_cdrs_carrier_start', ['carrierId', 'startTime'])
export class CarrierCdrEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Column({ name: 'carrier_id', type: 'text' })
  carrierId: string;

  /**
   * The carrier file the row came from. No foreign key: rows are written only by the ingest that
   * creates their file, in the same transaction, and a per-row RI trigger would cost a third of
   * the load time of a large file.
   */
  @Column({ name: 'file_id', type: 'uuid' })
  fileId: string;

  /** Line in the file, the header being line 1 (as in the ingest error report). */
  @Column({ type: 'integer' })
  line: number;

  @Column({ name: 'record_id', type: 'text', nullable: true })
  recordId: string | null;

  @Column({ name: 'call_id', type: 'text', nullable: true })
  callId: string | null;

  @Column({ name: 'tenant_id', type: 'uuid', nullable: true })
  tenantId: string | null;

  @Column({ type: 'text', nullable: true })
  direction: 'inbound' | 'outbound' | null;

  @Column({ name: 'start_time', type: 'timestamptz' })
  startTime: Date;

  @Column({ name: 'end_time', type: 'timestamptz', nullable: true })
  endTime: Date | null;

  @Column({ name: 'duration_seconds', type: 'numeric', precision: 12, scale: 3, transformer: decimalTransformer })
  durationSeconds: Dec;

  /** Seconds billed under the profile's increment (first/next), when the profile names one. */
  @Column({ name: 'billable_seconds', type: 'integer', nullable: true })
  billableSeconds: number | null;

  @Column({ name: 'caller_number', type: 'text' })
  callerNumber: string;

  @Column({ name: 'callee_number', type: 'text' })
  calleeNumber: string;

  @Column({ type: 'numeric', precision: 18, scale: 6, nullable: true, transformer: decimalTransformer })
  charge: Dec | null;

  @Column({ name: 'connection_charge', type: 'numeric', precision: 18, scale: 6, nullable: true, transformer: decimalTransformer })
  connectionCharge: Dec | null;

  @Column({ type: 'char', length: 3, nullable: true })
  currency: string | null;
}
