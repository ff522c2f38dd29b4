import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, Unique, UpdateDateColumn } from 'typeorm';

export const REVIEW_STATUSES = ['OPEN', 'IN_REVIEW', 'DISPUTED', 'ACCEPTED', 'RESOLVED'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

/**
 * One stored discrepancy. Its identity across runs is the natural key (kind, Microsoft row, carrier
 * row): a re-run updates the values of a surviving discrepancy and keeps its review status and history.
 * Amounts and durations are numeric, never floats.
 */
@Entity({ name: 'discrepancies' })
@Unique('uq_discrepancies_carrier_natural_key', ['carrierId', 'naturalKey'])
// (start_time, id): the export's keyset order, so that each page is read in index order and not sorted
@Index('ix_discrepancies_carrier_start_id', ['carrierId', 'startTime', 'id'])
export class DiscrepancyEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'carrier_id', type: 'text' })
  carrierId: string;

  /** `<kind>|<microsoft tenant>/<microsoft row id>|<record_id, or carrier file uuid:line>`. */
  @Column({ name: 'natural_key', type: 'text' })
  naturalKey: string;

  @Column({ type: 'text' })
  kind: string;

  @Column({ name: 'tenant_id', type: 'uuid', nullable: true })
  tenantId: string | null;

  @Column({ name: 'call_id', type: 'text', nullable: true })
  callId: string | null;

  @Column({ name: 'microsoft_tenant_id', type: 'uuid', nullable: true })
  microsoftTenantId: string | null;

  @Column({ name: 'microsoft_row_id', type: 'text', nullable: true })
  microsoftRowId: string | null;

  @Column({ name: 'carrier_cdr_id', type: 'bigint', nullable: true })
  carrierCdrId: string | null;

  @Column({ name: 'carrier_record_ref', type: 'text', nullable: true })
  carrierRecordRef: string | null;

  /** The Microsoft row's start for a pair, the row's own start otherwise: what places it in a window. */
  @Column({ name: 'start_time', type: 'timestamptz' })
  startTime: Date;

  @Column({ name: 'microsoft_duration', type: 'numeric', nullable: true })
  microsoftDuration: string | null;

  @Column({ name: 'carrier_duration', type: 'numeric', nullable: true })
  carrierDuration: string | null;

  @Column({ name: 'duration_delta', type: 'numeric' })
  durationDelta: string;

  @Column({ name: 'microsoft_total', type: 'numeric', nullable: true })
  microsoftTotal: string | null;

  @Column({ name: 'microsoft_currency', type: 'text', nullable: true })
  microsoftCurrency: string | null;

  @Column({ name: 'carrier_total', type: 'numeric', nullable: true })
  carrierTotal: string | null;

  @Column({ name: 'carrier_currency', type: 'text', nullable: true })
  carrierCurrency: string | null;

  @Column({ name: 'money_delta', type: 'numeric', nullable: true })
  moneyDelta: string | null;

  @Column({ name: 'match_method', type: 'text', nullable: true })
  matchMethod: string | null;

  @Column({ type: 'text', default: 'OPEN' })
  status: ReviewStatus;

  /** The run that last found it. */
  @Column({ name: 'run_id', type: 'uuid' })
  runId: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
