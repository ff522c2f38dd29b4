import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import { copyIn, violatesUnique } from '../database/copy-in';
import { Tx } from '../database/transaction';
import { RowProblem, STAGE_COLUMNS } from './cdr-row';
import { CarrierFileEntity } from './carrier-file.entity';
import { CarrierProfileEntity } from './carrier-profile.entity';
import { IngestErrorEntity } from './ingest-error.entity';

export interface FinalizeCounts {
  accepted: number;
  skipped: number;
  conflicts: number;
}

/** Content columns: two rows with the same record_id are "the same" when all of these agree. */
const CONTENT = [
  'call_id', 'tenant_id', 'direction', 'start_time', 'end_time', 'duration_seconds', 'caller_number', 'callee_number',
  'charge', 'connection_charge', 'currency',
];
const sameContent = (a: string, b: string) => CONTENT.map((c) => `${a}.${c} IS NOT DISTINCT FROM ${b}.${c}`).join(' AND ');
const CDR_COLUMNS = STAGE_COLUMNS.join(', ');
const conflictReason = `'record_id ' || record_id || ' is already stored with different values (' || COALESCE(file_name || ' ', 'this file, ') || 'line ' || held_line || ')'`;
/**
 * Ends a statement whose `held` CTE lists the staged rows whose record_id is already taken, with
 * `same` telling a repeat from a conflict: conflicts go into the error report, and the statement
 * returns how many rows were skipped (repeats) and rejected (conflicts).
 */
const HELD_TO_COUNTS = `, conflicts AS (
         INSERT INTO carrier_file_errors (carrier_id, file_id, line, "column", reason)
         SELECT $1, $2, line, 'record_id', ${conflictReason} FROM held WHERE NOT same
         RETURNING 1
       )
       SELECT (SELECT count(*) FROM held WHERE same)::int AS skipped, (SELECT count(*) FROM conflicts)::int AS conflicts`;

@Injectable()
export class CarrierFilesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Serialises ingests of one carrier (record_id and file uniqueness are decided under it). */
  async lockCarrierForIngest(tx: Tx, carrierId: string): Promise<void> {
    await tx.queryRunner.query(`SELECT pg_advisory_xact_lock(hashtext('ocrecon.ingest'), hashtext($1))`, [carrierId]);
  }

  findFileBySha(tx: Tx | null, carrierId: string, sha256: string): Promise<CarrierFileEntity | null> {
    const manager = tx ? tx.queryRunner.manager : this.dataSource.manager;
    return manager.getRepository(CarrierFileEntity).findOneBy({ carrierId, sha256 });
  }

  findFile(fileId: string): Promise<CarrierFileEntity | null> {
    return this.dataSource.getRepository(CarrierFileEntity).findOneBy({ id: fileId });
  }

  async createFile(tx: Tx, file: Pick<CarrierFileEntity, 'carrierId' | 'sha256' | 'fileName' | 'profileName'>): Promise<string> {
    const rows = await tx.queryRunner.query(
      `INSERT INTO carrier_files (carrier_id, sha256, file_name, profile_name, status, rows_read, accepted, rejected, skipped)
       VALUES ($1, $2, $3, $4, 'loaded', 0, 0, 0, 0) RETURNING id`,
      [file.carrierId, file.sha256, file.fileName, file.profileName],
    );
    return rows[0].id;
  }

  async setFileSha(tx: Tx, fileId: string, sha256: string): Promise<void> {
    await tx.queryRunner.query(`UPDATE carrier_files SET sha256 = $2 WHERE id = $1`, [fileId, sha256]);
  }

  /** The file's outcome; `days`: the UTC days its stored rows start on (a day outside years 0000-9999 is left out). */
  async completeFile(tx: Tx, fileId: string, counts: Pick<CarrierFileEntity, 'status' | 'rowsRead' | 'accepted' | 'rejected' | 'skipped' | 'days'>): Promise<void> {
    await tx.queryRunner.query(
      `UPDATE carrier_files SET status = $2, rows_read = $3, accepted = $4, rejected = $5, skipped = $6, days = $7::date[],
         ingest_xact = pg_current_xact_id()::text WHERE id = $1`,
      [fileId, counts.status, counts.rowsRead, counts.accepted, counts.rejected, counts.skipped, counts.days.filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d)).sort()],
    );
  }

  /**
   * Streams COPY text (carrier_id, file_id, then STAGE_COLUMNS) straight into carrier_cdrs. The fast
   * path: rows go in as fast as PostgreSQL maintains the indexes, while Node parses the next ones.
   * Throws RecordIdTaken when a record_id is already stored (the caller then uses the staging path).
   */
  async copyIntoCdrs(tx: Tx, source: Readable): Promise<number> {
    try {
      return await copyIn(tx, `COPY carrier_cdrs (carrier_id, file_id, ${CDR_COLUMNS}) FROM STDIN`, source);
    } catch (error) {
      if (violatesUnique(error, 'uq_carrier_cdrs_carrier_record')) throw new RecordIdTaken();
      throw error;
    }
  }

  async storeProblems(tx: Tx, carrierId: string, fileId: string, problems: RowProblem[]): Promise<void> {
    for (let i = 0; i < problems.length; i += 10000) {
      const page = problems.slice(i, i + 10000);
      await tx.queryRunner.query(
        `INSERT INTO carrier_file_errors (carrier_id, file_id, line, "column", reason)
         SELECT $1, $2, * FROM unnest($3::int[], $4::text[], $5::text[])`,
        [carrierId, fileId, page.map((p) => p.line), page.map((p) => p.column), page.map((p) => p.reason)],
      );
    }
  }

  /**
   * Streams COPY text into a transaction-scoped staging table: valid rows carry their values, bad
   * rows only their line, column and reason. The table has no index and no WAL; set-based
   * statements then move the rows, deciding record_id repeats and conflicts.
   */
  async copyIntoStage(tx: Tx, source: Readable): Promise<void> {
    await tx.queryRunner.query(
      `CREATE TEMP TABLE ingest_stage (
         line integer NOT NULL, record_id text, call_id text, tenant_id uuid, direction text,
         start_time timestamptz, end_time timestamptz, duration_seconds numeric(12,3), billable_seconds integer,
         caller_number text, callee_number text, charge numeric(18,6), connection_charge numeric(18,6), currency char(3),
         error_column text, error_reason text
       ) ON COMMIT DROP`,
    );
    await copyIn(tx, `COPY ingest_stage (${CDR_COLUMNS}, error_column, error_reason) FROM STDIN`, source);
  }

  /** The row problems found while parsing, into the file's error report. */
  async storeStagedProblems(tx: Tx, carrierId: string, fileId: string): Promise<void> {
    await tx.queryRunner.query(
      `INSERT INTO carrier_file_errors (carrier_id, file_id, line, "column", reason)
       SELECT $1, $2, line, error_column, error_reason FROM ingest_stage WHERE error_reason IS NOT NULL ORDER BY line`,
      [carrierId, fileId],
    );
  }

  /**
   * Before anything is inserted (files whose profile fails the whole file on a bad row): how many
   * rows repeat a stored record_id or an earlier line's, and how many of those differ (conflicts).
   * The conflicts go into the error report.
   */
  async checkRecordIdsBeforeInsert(tx: Tx, carrierId: string, fileId: string): Promise<Omit<FinalizeCounts, 'accepted'>> {
    const [row] = await tx.queryRunner.query(
      `WITH firsts AS (
         SELECT s.*, first_value(line) OVER w AS first_line
         FROM ingest_stage s WHERE error_reason IS NULL AND record_id IS NOT NULL
         WINDOW w AS (PARTITION BY record_id ORDER BY line)
       ), held AS (
         -- a row held by a stored CDR of this carrier
         SELECT s.line, s.record_id, f.file_name, c.line AS held_line, ${sameContent('s', 'c')} AS same
         FROM firsts s JOIN carrier_cdrs c ON c.carrier_id = $1 AND c.record_id = s.record_id
         JOIN carrier_files f ON f.id = c.file_id
         UNION ALL
         -- a later line of this file repeating an earlier line's record_id (and not held by a stored row)
         SELECT s.line, s.record_id, NULL, s.first_line, ${sameContent('s', 'e')}
         FROM firsts s JOIN firsts e ON e.record_id = s.record_id AND e.line = s.first_line
         WHERE s.line <> s.first_line
           AND NOT EXISTS (SELECT 1 FROM carrier_cdrs c WHERE c.carrier_id = $1 AND c.record_id = s.record_id)
       )${HELD_TO_COUNTS}`,
      [carrierId, fileId],
    );
    return row;
  }

  /**
   * Moves the valid staged rows into carrier_cdrs in line order: a temporary table is scanned in the
   * order COPY wrote it (no synchronized or parallel scans on temp tables), so of two lines with one
   * record_id the earlier is stored, without sorting a million rows. A record_id the carrier already
   * has (from an earlier file, or an earlier line of this one) is not inserted; only when some row
   * was held back does a second pass tell apart the repeats (skipped) from the conflicts.
   */
  async insertStagedRows(tx: Tx, carrierId: string, fileId: string, validRows: number): Promise<FinalizeCounts> {
    const inserted = await tx.queryRunner.query(
      `INSERT INTO carrier_cdrs (carrier_id, file_id, ${CDR_COLUMNS})
       SELECT $1, $2, ${CDR_COLUMNS} FROM ingest_stage WHERE error_reason IS NULL
       ON CONFLICT (carrier_id, record_id) WHERE record_id IS NOT NULL DO NOTHING`,
      [carrierId, fileId],
      true,
    );
    const accepted = inserted.affected ?? 0;
    if (accepted === validRows) return { accepted, skipped: 0, conflicts: 0 };
    const [row] = await tx.queryRunner.query(
      `WITH held AS (
         SELECT s.line, s.record_id, f.file_name, c.line AS held_line, ${sameContent('s', 'c')} AS same
         FROM ingest_stage s
         JOIN carrier_cdrs c ON c.carrier_id = $1 AND c.record_id = s.record_id
         JOIN carrier_files f ON f.id = c.file_id
         WHERE s.error_reason IS NULL AND s.record_id IS NOT NULL AND NOT (c.file_id = $2 AND c.line = s.line)
       )${HELD_TO_COUNTS}`,
      [carrierId, fileId],
    );
    return { accepted, skipped: row.skipped, conflicts: row.conflicts };
  }

  /** The error report of a file, in line order, a page at a time (keyset on line, id). */
  async *streamErrors(fileId: string, pageSize = 10000): AsyncGenerator<IngestErrorEntity[]> {
    let after: [number, string] = [0, '0'];
    for (;;) {
      const rows: IngestErrorEntity[] = await this.dataSource.getRepository(IngestErrorEntity)
        .createQueryBuilder('e')
        .where('e.file_id = :fileId', { fileId })
        .andWhere('(e.line, e.id) > (:line, :id)', { line: after[0], id: after[1] })
        .orderBy('e.line', 'ASC')
        .addOrderBy('e.id', 'ASC')
        .limit(pageSize)
        .getMany();
      if (rows.length === 0) return;
      yield rows;
      const last = rows[rows.length - 1];
      after = [last.line, last.id];
    }
  }

  async upsertProfile(carrierId: string, name: string, definition: Record<string, unknown>): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO carrier_profiles (carrier_id, name, definition) VALUES ($1, $2, $3)
       ON CONFLICT (carrier_id, name) DO UPDATE SET definition = EXCLUDED.definition, updated_at = now()`,
      [carrierId, name, JSON.stringify(definition)],
    );
  }

  findProfile(carrierId: string, name: string): Promise<CarrierProfileEntity | null> {
    return this.dataSource.getRepository(CarrierProfileEntity).findOneBy({ carrierId, name });
  }
}


/** A record_id of the file is already stored for the carrier: the direct COPY cannot decide it. */
export class RecordIdTaken extends Error {
  constructor() {
    super('a record_id of the file is already stored');
  }
}
