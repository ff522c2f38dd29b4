import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { Dec, decimalTransformer } from '../common/decimal';

/**
 * A row of Graph's beta getPstnOnlineMeetingDialoutReport: calls out of online meetings, aggregated
 * per user x usage location x destination context x currency over the pulled window. A new pull of a
 * window replaces the aggregates of that same window.
 */
@Entity({ name: 'microsoft_dialout_aggregates' })
@Index('ix_microsoft_dialout_aggregates_window', ['tenantId', 'windowFrom', 'windowTo'])
export class MicrosoftDialoutAggregateEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ name: 'window_from', type: 'timestamptz' })
  windowFrom: Date;

  @Column({ name: 'window_to', type: 'timestamptz' })
  windowTo: Date;

  @Column({ name: 'user_id', type: 'text', nullable: true })
  userId: string | null;

  @Column({ name: 'user_principal_name', type: 'text', nullable: true })
  userPrincipalName: string | null;

  @Column({ name: 'user_display_name', type: 'text', nullable: true })
  userDisplayName: string | null;

  @Column({ name: 'usage_location', type: 'text', nullable: true })
  usageLocation: string | null;

  @Column({ name: 'destination_context', type: 'text', nullable: true })
  destinationContext: string | null;

  @Column({ type: 'text', nullable: true })
  currency: string | null;

  @Column({ name: 'total_calls', type: 'integer', nullable: true })
  totalCalls: number | null;

  @Column({ name: 'total_call_seconds', type: 'integer', nullable: true })
  totalCallSeconds: number | null;

  @Column({ name: 'total_call_charge', type: 'numeric', nullable: true, transformer: decimalTransformer })
  totalCallCharge: Dec | null;

  @Column({ type: 'jsonb' })
  raw: Record<string, unknown>;

  @Column({ name: 'stored_at', type: 'timestamptz', default: () => 'now()' })
  storedAt: Date;
}
