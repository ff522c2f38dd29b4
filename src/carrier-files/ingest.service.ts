import { Injectable } from '@nestjs/common';
import { parse } from 'csv-parse';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { PassThrough, Readable, Transform } from 'node:stream';
import { CarriersService } from '../carriers/carriers.service';
import { invalidInput, notFound } from '../common/ocrecon-error';
import { copyText } from '../database/copy-text';
import { rollbackToSavepoint, savepoint, TransactionRunner } from '../database/transaction';
import { RowProblem } from './cdr-row';
import { CarrierFilesRepository, FinalizeCounts, RecordIdTaken } from './carrier-files.repository';
import { CANONICAL_PROFILE, CarrierFileProfile, parseProfile } from './profile';
import { LineRecords, LineRecordScan, lineRecordParser } from './line-records';
import { ParseStats, RecordSink } from './record-sink';

export interface IngestRequest {
  carrierId: string;
  /** Name of a stored profile; the canonical layout when absent. */
  profileName?: string;
  /** The name recorded for the file (its base name is used in carrier record refs). */
  fileName: string;
  /**
   * Opens the file's bytes. Called once, or twice when the fast path gives way to the staging path:
   * a source that cannot be read twice (an upload) is spooled to a file first.
   */
  open: () => Readable;
  /** The SHA-256 when already known (a file on disk is hashed first, so a repeat costs no parsing). */
  sha256?: string;
  /** Called as the bytes are read (from 0 again if the staging path reads the file a second time). */
  onProgress?: (progress: IngestProgress) => void;
  /**
   * Set when the file holds no quote character and its first line ends so (scanFile): every record is
   * one line, and a faster parser reads them. Bytes that break this promise are read as that parser reads them.
   */
  lineRecords?: LineRecords | null;
}

export interface IngestProgress {
  bytesRead: number;
  rowsRead: number;
}

export interface IngestResult {
  fileId: string;
  sha256: string;
  rowsRead: number;
  accepted: number;
  rejected: number;
  skipped: number;
  /** The same bytes were ingested before for this carrier: nothing changed. */
  alreadyIngested: boolean;
  /** rejected: the profile fails a file with a bad row, and this one had one, so no row was stored. */
  status: 'loaded' | 'rejected';
}

const BLANK = '\\N\t'.repeat(13);
const problemLine = (p: RowProblem) => `${p.line}\t${BLANK}${copyText(p.column)}\t${copyText(p.reason)}\n`;

/** A file's SHA-256 and, in the same pass, whether its records are its lines (LineRecordScan). */
export async function scanFile(path: string): Promise<{ sha256: string; lineRecords: LineRecords | null }> {
  const hash = createHash('sha256');
  const lines = new LineRecordScan();
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    lines.update(chunk);
  }
  return { sha256: hash.digest('hex'), lineRecords: lines.result() };
}

/**
 * Loads one carrier CDR file: csv-parse -> validation -> COPY into a staging table -> set-based
 * insert, all in one transaction, so a file is stored with all its accepted rows or not at all
 * (a crash in the middle leaves nothing, and the same file ingested again completes it). Memory
 * stays flat: rows stream through and are never collected.
 */
@Injectable()
export class IngestService {
  constructor(
    private readonly carriers: CarriersService,
    private readonly files: CarrierFilesRepository,
    private readonly transactions: TransactionRunner,
  ) {}

  async addProfile(carrierId: string, name: string, definition: unknown): Promise<CarrierFileProfile> {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) throw invalidInput(`profile name ${JSON.stringify(name)} must be 1-64 letters, digits, '.', '_' or '-'`);
    await this.carriers.requireCarrier(carrierId);
    const profile = parseProfile(definition, `profile ${name}`);
    await this.files.upsertProfile(carrierId, name, definition as Record<string, unknown>);
    return profile;
  }

  async loadProfile(carrierId: string, name?: string): Promise<CarrierFileProfile> {
    if (!name) return CANONICAL_PROFILE;
    const stored = await this.files.findProfile(carrierId, name);
    if (!stored) throw notFound(`carrier ${carrierId} has no profile ${name} (ocrecon profiles add ${name} --carrier ${carrierId} <profile.json>)`);
    return parseProfile(stored.definition, `profile ${name}`);
  }

  /** A file on disk: hashed first, so re-sending a file already stored costs no parsing at all. */
  async ingestFile(path: string, carrierId: string, profileName?: string, onProgress?: IngestRequest['onProgress']): Promise<IngestResult> {
    let scan: { sha256: string; lineRecords: LineRecords | null };
    try {
      scan = await scanFile(path);
    } catch (error) {
      throw invalidInput(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    return this.ingest({
      carrierId, profileName, fileName: basename(path), sha256: scan.sha256, lineRecords: scan.lineRecords, open: () => createReadStream(path), onProgress,
    });
  }

  async ingest(request: IngestRequest): Promise<IngestResult> {
    const carrier = await this.carriers.requireCarrier(request.carrierId);
    const profile = await this.loadProfile(carrier.id, request.profileName);
    if (request.sha256) {
      const existing = await this.files.findFileBySha(null, carrier.id, request.sha256);
      if (existing) return this.repeated(existing.id, request.sha256, existing.status);
    }
    return this.transactions.run(async (tx) => {
      await this.files.lockCarrierForIngest(tx, carrier.id);
      if (request.sha256) {
        const existing = await this.files.findFileBySha(tx, carrier.id, request.sha256);
        if (existing) return this.repeated(existing.id, request.sha256, existing.status);
      }
      // The row is created with a provisional hash when the caller could not hash first (an upload
      // stream); it is set once the bytes have been read.
      const provisional = request.sha256 ?? `pending-${process.pid}-${Date.now()}`.padEnd(64, '0').slice(0, 64);
      const fileId = await this.files.createFile(tx, {
        carrierId: carrier.id, sha256: provisional, fileName: request.fileName, profileName: request.profileName ?? null,
      });
      // Fast path: straight into carrier_cdrs, bad rows collected on the side. It gives way to the
      // staging path when a record_id is already stored (repeat or conflict: decided set-based),
      // when the bad rows are too many to hold, or when the profile fails a file on a bad row.
      let outcome: { stats: ParseStats; sha256: string; counts: FinalizeCounts; status: 'loaded' | 'rejected' } | null = null;
      if (!profile.failFileOnBadRow) {
        await savepoint(tx, 'direct_copy');
        const problems: RowProblem[] = [];
        const parsed = this.parse(request.open(), profile, (rowFields) => `${carrier.id}\t${fileId}\t${rowFields}\n`, (p) => {
          if (problems.length >= MAX_PROBLEMS_IN_MEMORY) throw new TooManyProblems();
          problems.push(p);
          return '';
        }, request.onProgress, request.lineRecords);
        try {
          const accepted = await this.files.copyIntoCdrs(tx, parsed.text);
          await this.files.storeProblems(tx, carrier.id, fileId, problems);
          outcome = { stats: parsed.stats, sha256: parsed.sha256(), counts: { accepted, skipped: 0, conflicts: 0 }, status: 'loaded' };
        } catch (error) {
          if (!(error instanceof RecordIdTaken || error instanceof TooManyProblems)) throw error;
          await rollbackToSavepoint(tx, 'direct_copy');
        }
      }
      if (!outcome) {
        const parsed = this.parse(request.open(), profile, (rowFields) => `${rowFields}\t\\N\t\\N\n`, problemLine, request.onProgress, request.lineRecords);
        await this.files.copyIntoStage(tx, parsed.text);
        const { stats } = parsed;
        if (stats.rejectedLines > 0) await this.files.storeStagedProblems(tx, carrier.id, fileId);
        let counts: FinalizeCounts;
        let status: 'loaded' | 'rejected' = 'loaded';
        if (profile.failFileOnBadRow) {
          const held = await this.files.checkRecordIdsBeforeInsert(tx, carrier.id, fileId);
          if (stats.rejectedLines > 0 || held.conflicts > 0) {
            status = 'rejected';
            counts = { accepted: 0, ...held };
          } else counts = await this.files.insertStagedRows(tx, carrier.id, fileId, stats.validRows);
        } else counts = await this.files.insertStagedRows(tx, carrier.id, fileId, stats.validRows);
        outcome = { stats, sha256: parsed.sha256(), counts, status };
      }
      const { stats, counts, status, sha256 } = outcome;
      if (request.sha256 && sha256 !== request.sha256) throw invalidInput(`${request.fileName} changed while it was being ingested; ingest it again`);
      if (!request.sha256) {
        const existing = await this.files.findFileBySha(tx, carrier.id, sha256);
        if (existing) throw new RepeatedFile(existing.id, sha256, existing.status);
        await this.files.setFileSha(tx, fileId, sha256);
      }

      const result: IngestResult = {
        fileId, sha256, rowsRead: stats.rowsRead, accepted: counts.accepted, rejected: stats.rejectedLines + counts.conflicts,
        skipped: counts.skipped, alreadyIngested: false, status,
      };
      await this.files.completeFile(tx, fileId, { ...result, days: status === 'loaded' && counts.accepted > 0 ? [...stats.days] : [] });
      return result;
    }).catch((error) => {
      if (error instanceof RepeatedFile) return this.repeated(error.fileId, error.sha256, error.status);
      throw error;
    });
  }

  private repeated(fileId: string, sha256: string, status: 'loaded' | 'rejected'): IngestResult {
    return { fileId, sha256, rowsRead: 0, accepted: 0, rejected: 0, skipped: 0, alreadyIngested: true, status };
  }

  /**
   * bytes -> (hash) -> csv-parse -> validation -> COPY text. Lines are counted as a text editor
   * does, the header being line 1, including lines inside quoted fields, so every report names the
   * line the carrier will find. A record csv-parse cannot read is reported at the line it names.
   * `row` frames a valid row's COPY fields; `problem` turns a problem into COPY text (or keeps it
   * aside and returns '').
   */
  private parse(
    input: Readable, profile: CarrierFileProfile, row: (copyFields: string) => string, problem: (p: RowProblem) => string,
    onProgress?: (progress: IngestProgress) => void, lineRecords?: LineRecords | null,
  ) {
    const hash = createHash('sha256');
    const stats: ParseStats = { rowsRead: 0, rejectedLines: 0, validRows: 0, days: new Set() };
    const sink = new RecordSink(profile, row, problem, stats);
    const out = new Transform({
      writableObjectMode: true,
      transform(fields: string[], _enc, done) {
        try {
          sink.record(fields);
          if (sink.text.length >= 65536) this.push(sink.take());
          done();
        } catch (error) {
          done(error as Error);
        }
      },
      flush(done) {
        try {
          sink.finish();
        } catch (error) {
          return done(error as Error);
        }
        const rest = sink.take();
        if (rest) this.push(rest);
        done();
      },
    });
    const tap = new PassThrough();
    let bytesRead = 0;
    tap.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      bytesRead += chunk.length;
      onProgress?.({ bytesRead, rowsRead: stats.rowsRead });
    });
    input.on('error', (e) => out.destroy(e));
    out.on('close', () => input.destroy());
    if (lineRecords) {
      // No quote in the file: its lines are its records (LineRecordScan), read by the faster parser.
      const lines = lineRecordParser(profile.delimiter, lineRecords);
      lines.input.on('error', (e) => out.destroy(e));
      lines.records.on('error', (e) => out.destroy(e));
      input.pipe(tap).pipe(lines.input).pipe(lines.records).pipe(out);
    } else {
      const parser = parse({ delimiter: profile.delimiter, bom: true, relax_column_count: true, skip_records_with_error: true });
      parser.on('skip', (err: Error & { lines?: number }) => {
        try {
          sink.skipped(err);
        } catch (error) {
          out.destroy(error as Error);
        }
      });
      parser.on('error', (e) => out.destroy(e));
      input.pipe(tap).pipe(parser).pipe(out);
    }
    return { text: out as Readable, stats, sha256: () => hash.digest('hex') };
  }
}

/** More bad rows than the fast path keeps in memory: the staging path stores them as it goes. */
class TooManyProblems extends Error {}
const MAX_PROBLEMS_IN_MEMORY = 20000;

class RepeatedFile extends Error {
  constructor(readonly fileId: string, readonly sha256: string, readonly status: 'loaded' | 'rejected') {
    super('file already ingested');
  }
}
