import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * The raw rows of one write into microsoft_call_rows (an import batch, a pull page), exactly as
 * received, one row's JSON text per line: the evidence a dispute points at. A stored row names its
 * batch and line (`raw_batch`, `raw_line`); the view microsoft_raw_rows and the function
 * microsoft_raw_row(batch, line) read them back. Kept apart from the typed rows so the text goes
 * into TOAST compressed (lz4 where the server has it) instead of about 700 bytes of JSON in every
 * row. A row's text never holds a line feed: JSON allows one only as whitespace, which is written
 * as a space. A batch outlives rows that later moved to a newer copy: it is also their history.
 */
@Entity({ name: 'microsoft_raw_batches' })
export class MicrosoftRawBatchEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'BY DEFAULT' })
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ name: 'row_count', type: 'integer' })
  rowCount: number;

  /** The rows' JSON texts joined by line feeds, line 1 first. */
  @Column({ type: 'text' })
  lines: string;

  @Column({ name: 'stored_at', type: 'timestamptz', default: () => 'now()' })
  storedAt: Date;

  /**
   * A batch an import wrote on its evidence connection: the import's own transaction
   * (pg_current_xact_id()::text). Once that transaction has aborted, its rows are gone and the batch
   * is evidence of nothing (deleteAbandonedEvidence). Null for batches written with their rows.
   */
  @Column({ name: 'import_xact', type: 'text', nullable: true })
  importXact: string | null;
}
