import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One `ocrecon import-microsoft` that stored or changed rows: what was loaded, when, and which UTC days
 * its rows start on. The nightly reconciles again an older day whose last look did not see such an
 * import (`xact`, the import's transaction), as it does for late carrier files and pulls by hand.
 */
@Entity({ name: 'microsoft_imports' })
@Index('ix_microsoft_imports_tenant', ['tenantId', 'importedAt'])
export class MicrosoftImportEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ name: 'file_name', type: 'text' })
  fileName: string;

  /** graph-json, ndjson or admin-csv. */
  @Column({ type: 'text' })
  format: string;

  @Column({ name: 'rows_read', type: 'integer' })
  rowsRead: number;

  @Column({ type: 'integer' })
  inserted: number;

  @Column({ type: 'integer' })
  updated: number;

  @Column({ type: 'integer' })
  unchanged: number;

  @Column({ type: 'integer' })
  rejected: number;

  /** The UTC days the file's rows start on (rows without a start time have none). */
  @Column({ type: 'date', array: true, default: () => "'{}'" })
  days: string[];

  /** The import's transaction id (pg_current_xact_id()::text). */
  @Column({ type: 'text' })
  xact: string;

  @Column({ name: 'imported_at', type: 'timestamptz', default: () => 'now()' })
  importedAt: Date;
}
