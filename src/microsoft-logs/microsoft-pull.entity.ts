import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** interrupted: stopped by a stop signal between pages; resumed (like a failed one) by the next pull of its window. */
export type PullStatus = 'running' | 'done' | 'failed' | 'interrupted';

/**
 * One pull of one Graph function for one tenant and one window of at most 90 days. It is also the
 * resume cursor: `next_link` is the next page to fetch, committed with the rows of the page before
 * it, so a pull stopped midway (killed, or failed) goes on from there and fetches no page twice.
 * The nightly batch reads these rows to know what was pulled, when, and what changed.
 */
@Entity({ name: 'microsoft_pulls' })
@Index('ix_microsoft_pulls_tenant_window', ['tenantId', 'source', 'windowFrom', 'windowTo'])
export class MicrosoftPullEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  /** pstn, direct-routing or dialout. */
  @Column({ type: 'text' })
  source: string;

  @Column({ name: 'window_from', type: 'timestamptz' })
  windowFrom: Date;

  /** Exclusive. */
  @Column({ name: 'window_to', type: 'timestamptz' })
  windowTo: Date;

  @Column({ type: 'text', default: 'running' })
  status: PullStatus;

  /** The @odata.nextLink still to fetch; null before the first page and once done. */
  @Column({ name: 'next_link', type: 'text', nullable: true })
  nextLink: string | null;

  @Column({ type: 'integer', default: 0 })
  pages: number;

  @Column({ name: 'rows_received', type: 'integer', default: 0 })
  rowsReceived: number;

  @Column({ name: 'rows_inserted', type: 'integer', default: 0 })
  rowsInserted: number;

  @Column({ name: 'rows_updated', type: 'integer', default: 0 })
  rowsUpdated: number;

  @Column({ name: 'rows_unchanged', type: 'integer', default: 0 })
  rowsUnchanged: number;

  @Column({ name: 'rows_rejected', type: 'integer', default: 0 })
  rowsRejected: number;

  /** Answers 429 (Graph throttling) this pull met and waited out. */
  @Column({ type: 'integer', default: 0 })
  throttled: number;

  /** The first rejected rows: [{page, index, id, reason}]; null when none. */
  @Column({ type: 'jsonb', nullable: true })
  problems: unknown[] | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ name: 'started_at', type: 'timestamptz', default: () => 'now()' })
  startedAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  /**
   * The transaction id (pg_current_xact_id()::text) of the last page that inserted or changed rows:
   * the nightly reconciles again an older day of the window that its last look did not see this in.
   */
  @Column({ name: 'last_xact', type: 'text', nullable: true })
  lastXact: string | null;
}
