import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { Dec, decimalTransformer } from '../common/decimal';

export const MICROSOFT_SOURCES = ['pstn', 'direct-routing'] as const;
export type MicrosoftSource = (typeof MICROSOFT_SOURCES)[number];

/**
 * The UTC day of a start time as SQL (`-infinity` for none): the generated column start_day, and how
 * statements that look a row up by its key compute it from a start time they hold.
 */
export const START_DAY_SQL = (startTime: string) => `COALESCE(((${startTime} AT TIME ZONE 'UTC'))::date, '-infinity'::date)`;

/**
 * One row of Microsoft's PSTN (pstnCallLogRow) or Direct Routing (directRoutingLogRow) log, keyed by
 * the customer tenant, the UTC day of its start and Graph's row `id` (a re-pulled row replaces the
 * stored one: a call's start does not move, so this is Graph's unique id). The day in the key keeps a
 * day's inserts within one part of the index: keyed by (tenant_id, id) alone, random GUIDs spread them
 * over the index of every day stored, and an import got about a second slower with each day of history
 * (migration MicrosoftRowsKeyedByDay). Money is
 * `numeric` without a scale so Graph's decimals are kept to the last digit; the raw row, the evidence,
 * is kept in microsoft_raw_batches (`raw_batch`, `raw_line`).
 * No index on call_id: random call ids put every insert on a random leaf page (a 1M-row COPY took
 * about twice as long with it, and wrote more WAL); the matcher hash-joins call ids inside a
 * start-time range, found on (tenant_id, start_time).
 */
@Entity({ name: 'microsoft_call_rows' })
@Index('ix_microsoft_call_rows_tenant_start', ['tenantId', 'startTime'])
export class MicrosoftCallRowEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  /** The UTC day of start_time (generated; `-infinity` for a row without one). */
  @PrimaryColumn({ name: 'start_day', type: 'date', generatedType: 'STORED', asExpression: START_DAY_SQL('start_time') })
  startDay: string;

  @PrimaryColumn({ type: 'text' })
  id: string;

  @Column({ type: 'text' })
  source: MicrosoftSource;

  /** pstn: `callId`; direct-routing: `correlationId`. Not guaranteed unique. */
  @Column({ name: 'call_id', type: 'text', nullable: true })
  callId: string | null;

  @Column({ name: 'user_id', type: 'text', nullable: true })
  userId: string | null;

  @Column({ name: 'user_principal_name', type: 'text', nullable: true })
  userPrincipalName: string | null;

  @Column({ name: 'user_display_name', type: 'text', nullable: true })
  userDisplayName: string | null;

  @Column({ name: 'start_time', type: 'timestamptz', nullable: true })
  startTime: Date | null;

  @Column({ name: 'end_time', type: 'timestamptz', nullable: true })
  endTime: Date | null;

  @Column({ name: 'duration_seconds', type: 'integer', nullable: true })
  durationSeconds: number | null;

  @Column({ type: 'numeric', nullable: true, transformer: decimalTransformer })
  charge: Dec | null;

  @Column({ name: 'connection_charge', type: 'numeric', nullable: true, transformer: decimalTransformer })
  connectionCharge: Dec | null;

  @Column({ type: 'text', nullable: true })
  currency: string | null;

  @Column({ name: 'call_type', type: 'text', nullable: true })
  callType: string | null;

  @Column({ name: 'caller_number', type: 'text', nullable: true })
  callerNumber: string | null;

  @Column({ name: 'callee_number', type: 'text', nullable: true })
  calleeNumber: string | null;

  @Column({ name: 'destination_context', type: 'text', nullable: true })
  destinationContext: string | null;

  @Column({ name: 'destination_name', type: 'text', nullable: true })
  destinationName: string | null;

  @Column({ name: 'conference_id', type: 'text', nullable: true })
  conferenceId: string | null;

  @Column({ name: 'license_capability', type: 'text', nullable: true })
  licenseCapability: string | null;

  @Column({ name: 'inventory_type', type: 'text', nullable: true })
  inventoryType: string | null;

  /** `Microsoft` or the Operator Connect carrier's name; matched case-insensitively to carriers. */
  @Column({ type: 'text', nullable: true })
  operator: string | null;

  @Column({ name: 'call_duration_source', type: 'text', nullable: true })
  callDurationSource: string | null;

  @Column({ name: 'tenant_country_code', type: 'text', nullable: true })
  tenantCountryCode: string | null;

  @Column({ name: 'usage_country_code', type: 'text', nullable: true })
  usageCountryCode: string | null;

  /** direct-routing only. */
  @Column({ name: 'successful_call', type: 'boolean', nullable: true })
  successfulCall: boolean | null;

  @Column({ name: 'final_sip_code', type: 'integer', nullable: true })
  finalSipCode: number | null;

  /** The batch holding the row's JSON text as received (microsoft_raw_batches), and its line there (from 1). */
  @Column({ name: 'raw_batch', type: 'bigint' })
  rawBatch: string;

  @Column({ name: 'raw_line', type: 'integer' })
  rawLine: number;

  @Column({ name: 'stored_at', type: 'timestamptz', default: () => 'now()' })
  storedAt: Date;
}
