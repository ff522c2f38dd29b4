import { Injectable } from '@nestjs/common';
import { parse as parseCsv } from 'csv-parse';
import { parse as parseJson } from 'lossless-json';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import { CarriersService } from '../carriers/carriers.service';
import { TenantEntity } from '../carriers/tenant.entity';
import { ErrorCode, invalidInput, notFound, OcreconError } from '../common/ocrecon-error';
import { releaseSavepoint, rollbackToSavepoint, savepoint, TransactionRunner, Tx } from '../database/transaction';
import { adminExportRow, resolveAdminExportHeader } from './admin-export-row';
import { PullStopped } from './graph-client';
import { guessSource, RowResult, startDayText, StoredCallRow, toStoredRow } from './graph-row';
import { ValueError } from './graph-values';
import { MICROSOFT_SOURCES, MicrosoftSource } from './microsoft-call-row.entity';
import { CallRowIdTaken, MicrosoftLogsRepository, RAW_BATCH_IDS, UpsertCounts } from './microsoft-logs.repository';
import { firstNonBlankLine, NdjsonLine, NdjsonReader, ReaderMark } from './ndjson-lines';
import { DirectRowHead, putDirectRow, rowText, scanRow, stageLine } from './ndjson-row';
import { BatchBuffers } from './copy-buffers';
import { RawBatchWriter } from './raw-batch-writer';
import { documentElementBounds, endDirectCopy, endDirectRow, endStagedRow, pageRowBounds, repeatsId, rowBounds, startDayKey, startDirectCopy, writeTypedColumns } from './ndjson-bytes';

export interface ImportProblem {
  /** Line in the file (NDJSON, CSV with the header as line 1); absent for rows inside a JSON document. */
  line?: number;
  /** Position inside a JSON document: `value[3]` or `[1].value[3]`. */
  at?: string;
  reason: string;
}

export interface ImportResult {
  file: string;
  format: 'graph-json' | 'ndjson' | 'admin-csv';
  rowsRead: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  problems: ImportProblem[];
  /**
   * admin-csv: the operator written on its rows. The export has no operator column, and reconciliation
   * takes only rows of the carrier's operator names: this is --operator, or the operator name of the
   * tenant's carrier (`operatorAssumed`).
   */
  operator?: string;
  operatorAssumed?: boolean;
}

export interface ImportOptions {
  /** pstn or direct-routing, when the file does not tell. */
  source?: string;
  /** The operator of the admin-center export's rows (Graph rows carry their own). */
  operator?: string;
  /**
   * The CLI's stop signal, looked at between batches and while the import waits for a pull of the
   * tenant to end: once aborted the import throws and keeps nothing of the file (its transaction
   * rolled back, evidence already committed for it deleted).
   */
  signal?: AbortSignal;
  /** Called once when a pull (or another import) of the tenant is running and this import waits for it to end. */
  onWaiting?: () => void;
  /** Progress of a streamed file (NDJSON, the admin CSV): bytes of the file read so far, rows so far. */
  onProgress?: (p: { bytesRead: number; rowsRead: number }) => void;
}

/** Throws when the import was asked to stop: nothing of the file is kept. */
function checkStop(options: ImportOptions, file: string): void {
  if (options.signal?.aborted) throw stoppedError(file);
}

const stoppedError = (file: string) => new OcreconError(ErrorCode.Unavailable, `import-microsoft: stopped before the end of ${file}; nothing of it was stored (run it again)`);

interface Candidate {
  value: unknown;
  source: MicrosoftSource | null;
  line?: number;
  at?: string;
}

const BATCH = 1000;
const MAX_PROBLEMS = 10_000;
/** NDJSON lines per COPY + statement: a few MB, within PostgreSQL's default temp_buffers. */
const NDJSON_BATCH = 4000;
/** A Graph response saved as one document is read whole only up to this size (a page is about 1 MB). */
const DOCUMENT_LIMIT = 256 * 1024 * 1024;
const FIRST_LINE_LIMIT = 16 * 1024 * 1024;

function sourceOfPage(page: Record<string, unknown>): MicrosoftSource | null {
  const context = typeof page['@odata.context'] === 'string' ? (page['@odata.context'] as string) : '';
  if (/directRouting/i.test(context)) return 'direct-routing';
  if (/pstnCall|getPstnCalls/i.test(context)) return 'pstn';
  return null;
}

const isPage = (v: unknown): v is Record<string, unknown> & { value: unknown[] } =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Array.isArray((v as { value?: unknown }).value);

/**
 * `ocrecon import-microsoft`: Microsoft rows from a file into the same store as a pull: a saved Graph
 * response (one page, an array of pages, or NDJSON rows) or the admin center's PSTN export CSV. One
 * transaction per file; rows upserted by id as a pull does, so importing a file again changes nothing.
 * NDJSON and CSV are streamed (memory does not grow with the file). The format is told by the first
 * line: an object that is not a page makes the file NDJSON; otherwise a JSON file is read as one
 * document, and as NDJSON when it is not one (or is too large to be a saved response).
 */
@Injectable()
export class ImportMicrosoftService {
  constructor(
    private readonly carriers: CarriersService,
    private readonly logs: MicrosoftLogsRepository,
    private readonly transactions: TransactionRunner,
  ) {}

  /**
   * Loads the file in one transaction, while no pull of the tenant runs (the pulls' locks are taken,
   * both sources, in the pulls' order: a pull and an import of one tenant never interleave their writes).
   */
  async importFile(path: string, tenantId: string, options: ImportOptions = {}): Promise<ImportResult> {
    const { source, operator } = options;
    if (operator !== undefined && operator.trim() === '') throw invalidInput('--operator must not be empty');
    if (source !== undefined && !(MICROSOFT_SOURCES as readonly string[]).includes(source)) {
      throw invalidInput(`--source must be one of ${MICROSOFT_SOURCES.join(', ')}, got ${JSON.stringify(source)}`);
    }
    const links = await this.carriers.findTenantLinks(tenantId);
    if (links.length === 0) throw notFound(`tenant ${tenantId} is not registered (ocrecon tenants add ${tenantId} --carrier …)`);
    const locks: { release(): Promise<void> }[] = [];
    let told = false;
    const waiting = () => {
      if (!told) options.onWaiting?.();
      told = true;
    };
    try {
      try {
        for (const source of MICROSOFT_SOURCES) locks.push(await this.logs.lockPulls(links[0].tenantId, source, waiting, options.signal));
      } catch (error) {
        if (error instanceof PullStopped) throw stoppedError(basename(path)); // stopped while waiting for a pull
        throw error;
      }
      return await this.importLocked(path, links, options);
    } finally {
      for (const lock of locks.reverse()) await lock.release();
    }
  }

  /** `links`: the tenant's registrations (at least one), looked up by importFile. */
  private async importLocked(path: string, links: TenantEntity[], options: ImportOptions): Promise<ImportResult> {
    const { source, operator } = options;
    const tenant = links[0].tenantId;
    const forced = source as MicrosoftSource | undefined;
    let firstLine: string | null;
    let size: number;
    try {
      size = (await stat(path)).size;
      firstLine = await firstNonBlankLine(path, FIRST_LINE_LIMIT);
    } catch (error) {
      throw invalidInput(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    if (firstLine === null) throw invalidInput(`${basename(path)} is empty (nothing but blank lines)`);
    const first = firstLine.trimStart()[0];
    if (first !== '{' && first !== '[') return this.importAdminCsv(path, tenant, forced, await this.exportOperator(tenant, links.map((l) => l.carrierId), operator), options);
    if (operator !== undefined) throw invalidInput(`--operator applies to the admin-center export only: ${basename(path)} holds Graph rows, which name their operator`);
    if (!isRowLine(firstLine!) && size <= DOCUMENT_LIMIT) {
      // A saved Graph response (a page, or an array of pages or rows): a few thousand rows at most.
      const bytes = await readFile(path);
      // decoding would put U+FFFD in place of bytes that are not UTF-8: the rows and their evidence would not be what was saved
      if (!isUtf8(bytes)) throw invalidInput(`${basename(path)} is not valid UTF-8 (a saved Graph response is)`);
      const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
      let doc: unknown;
      try {
        doc = parseJson(text);
      } catch {
        doc = undefined;
      }
      if (isPage(doc) || Array.isArray(doc)) return this.importDocument(path, tenant, forced, doc, text, options);
    }
    return this.importNdjson(path, tenant, forced, options);
  }

  /**
   * One page, or an array of pages or rows, parsed whole with lossless-json (rows at `value[i]`,
   * `[p].value[i]` or `[i]`). Each row's text as saved (found in the document's bytes) is its evidence;
   * only when the bytes do not show the rows plainly is the row written back by lossless-json instead.
   */
  private async importDocument(
    path: string, tenantId: string, forced: MicrosoftSource | undefined, doc: unknown[] | Record<string, unknown>, text: string, options: ImportOptions,
  ): Promise<ImportResult> {
    const problems: ImportProblem[] = [];
    let rowsRead = 0;
    const rows: { row: StoredCallRow; at: number }[] = [];
    const take = (c: Candidate) => {
      rowsRead += 1;
      const value = c.value as Record<string, unknown>;
      const r = toStoredRow(c.value, forced ?? c.source ?? (value && typeof value === 'object' ? guessSource(value) : 'pstn'));
      if (r.ok) rows.push({ row: r.row, at: rowsRead - 1 });
      else if (problems.length < MAX_PROBLEMS) problems.push({ ...(c.at ? { at: c.at } : {}), reason: r.reason });
    };
    let shape: 'page' | 'pages' | 'rows';
    if (isPage(doc)) {
      doc.value.forEach((value, i) => take({ value, source: sourceOfPage(doc), at: `value[${i}]` }));
      shape = 'page';
    } else if ((doc as unknown[]).every(isPage)) {
      (doc as Array<{ value: unknown[] }>).forEach((page, p) =>
        page.value.forEach((value, i) => take({ value, source: sourceOfPage(page as Record<string, unknown>), at: `[${p}].value[${i}]` })));
      shape = 'pages';
    } else {
      (doc as unknown[]).forEach((value, i) => take({ value, source: null, at: `[${i}]` }));
      shape = 'rows';
    }
    const saved = savedRows(text, shape);
    const texts = saved && saved.bounds.length === 2 * rowsRead ? saved : null;
    const counts = await this.transactions.run(async (tx) => {
      const total = { inserted: 0, updated: 0, unchanged: 0 };
      for (let i = 0; i < rows.length; i += BATCH) {
        checkStop(options, basename(path));
        const batch = rows.slice(i, i + BATCH);
        // the batch's rows as a JSON array of their saved texts, each row naming its place in it
        const raw = texts && { json: `[${batch.map((x) => texts.b.toString('utf8', texts.bounds[2 * x.at], texts.bounds[2 * x.at + 1])).join(',')}]`, isPage: false };
        addCounts(total, await this.logs.upsertCallRows(tx, tenantId, batch.map((x, j) => ({ ...x.row, ord: j })), raw ?? undefined));
      }
      const result: ImportResult = { file: basename(path), format: 'graph-json', rowsRead, ...total, rejected: rowsRead - rows.length, problems };
      await this.recordImport(tx, tenantId, result, new Set(rows.map((x) => dayKey(x.row.start_time))));
      return result;
    });
    return counts;
  }

  /**
   * NDJSON, streamed, a batch of NDJSON_BATCH lines at a time: each line is parsed and mapped here
   * (scanRow + toStoredRow, or lossless-json + toStoredRow when the scanner cannot vouch for it) into
   * COPY data held as bytes, and PostgreSQL takes a batch while the next one is mapped (three sets of
   * buffers, a few MB each, no string of a row outliving its line). While every row is new (the first
   * import of a day, the nightly case), a batch is COPYed straight into microsoft_call_rows (binary;
   * in a savepoint only when it touches a day with stored rows: importNdjsonOnce) and its rows' raw
   * lines go, as one row of microsoft_raw_batches, to a second connection
   * (RawBatchWriter) whose transaction commits before this one. A batch
   * holding a stored id gives way: it is rolled back, read again from the file and staged, and so is
   * every later batch (a file of stored rows stays on the stage). A batch with an id given twice, or a
   * line only PostgreSQL can read, is staged alone. Staged: typed columns and the raw line into a
   * staging table, then one statement upserts the batch, the last copy of an id winning (upsertCallRowsSql).
   */
  private async importNdjson(path: string, tenantId: string, forced: MicrosoftSource | undefined, options: ImportOptions): Promise<ImportResult> {
    try {
      return await this.importNdjsonOnce(path, tenantId, forced, options, false);
    } catch (error) {
      if (!(error instanceof IdRepeatedInFile)) throw error;
      // rolled back whole, evidence too: read the file again, every direct batch in a savepoint
      return this.importNdjsonOnce(path, tenantId, forced, options, true);
    }
  }

  /**
   * One reading of the file (importNdjson). A direct batch whose rows all start on days the tenant had
   * no row on when the import began (`fresh`, asked once per day) cannot meet a stored id but one
   * this file gave before (pulls and imports of the tenant wait for this one: its locks): it is COPYed
   * without a savepoint, so that a day's import opens no subtransaction at all (hundreds of them
   * overflow PostgreSQL's cache of 64 per transaction, which slows every snapshot taken meanwhile,
   * on a replica most). Should such a batch repeat an id of the file, the whole import is rolled back
   * (IdRepeatedInFile) and read again with `savepointEveryBatch`. A batch touching a day with stored
   * rows is COPYed in a savepoint and, on a stored id, staged with the rest of the file.
   */
  private async importNdjsonOnce(
    path: string, tenantId: string, forced: MicrosoftSource | undefined, options: ImportOptions, savepointEveryBatch: boolean,
  ): Promise<ImportResult> {
    const result: ImportResult = { file: basename(path), format: 'ndjson', rowsRead: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0, problems: [] };
    const problem = (line: number, reason: string) => {
      result.rejected += 1;
      if (result.problems.length < MAX_PROBLEMS) result.problems.push({ line, reason });
    };
    // what a killed import left (batches of rows never stored) goes first
    await this.logs.deleteAbandonedEvidence();
    const reader = await NdjsonReader.open(path);
    const evidence = this.logs.rawBatchWriter();
    const days = new Set<number>();
    /** Day keys (dayKey) and whether the tenant had no row on that day when the import began. */
    const fresh = new Map<number, boolean>();
    /** The field count and tenant every direct row starts with. */
    const head = new DirectRowHead(tenantId);
    try {
      await this.transactions.run(async (tx) => {
        evidence.ownedBy(await this.logs.transactionId(tx));
        await this.logs.createImportStage(tx);
        // three sets: one mapped, one stored, one whose raw lines are still being written (evidence)
        const free = [new BatchBuffers(), new BatchBuffers(), new BatchBuffers()];
        /** Evidence writes still reading a batch's buffers, oldest first: each gives them back when done. */
        const held: Promise<void>[] = [];
        const takeBuffers = async (): Promise<BatchBuffers> => {
          while (free.length === 0) {
            const oldest = held.shift();
            if (!oldest) throw new Error('import: no batch buffers free and none held by the evidence writer');
            await oldest;
          }
          return free.pop()!;
        };
        const rawBatchIds = await this.logs.reserveRawBatchIds(tx, RAW_BATCH_IDS);
        let direct = true;
        /** Maps the next batch (into free buffers), noting where it began and what was reported before it. */
        const map = (wanted: 'direct' | 'stage'): Promise<MappedBatch> => {
          const mode = rawBatchIds.length > 0 ? wanted : 'stage'; // never without an id (the stores keep some in hand)
          const batch: MappedBatch = {
            mode, start: reader.mark(), reported: { rejected: result.rejected, problems: result.problems.length },
            buffers: null as unknown as BatchBuffers, rawBatch: mode === 'direct' ? rawBatchIds.shift()! : '', count: 0, valid: 0, repeated: false, mustStage: false, refused: [],
            days: new Set(),
          };
          const mapped = takeBuffers().then((buffers) => {
            batch.buffers = buffers;
            buffers.clear();
            return mapBatch(reader, forced, problem, batch, head);
          }).then(() => batch);
          mapped.catch(() => undefined); // awaited later: a failure meanwhile is not unhandled
          return mapped;
        };
        /** Gives a batch's lines back to the reader and takes back what its mapping reported. */
        const readAgain = (batch: MappedBatch) => {
          reader.rewind(batch.start);
          result.rejected = batch.reported.rejected;
          result.problems.length = batch.reported.problems;
        };
        let next: Promise<MappedBatch> | null = map('direct');
        while (next) {
          const batch: MappedBatch = await next;
          next = null;
          checkStop(options, basename(path));
          if (batch.mustStage) {
            free.push(batch.buffers);
            readAgain(batch); // for the stage
            next = map('stage');
            continue;
          }
          for (const day of batch.days) days.add(day);
          const storing = batch.mode === 'direct'
            ? this.storeDirect(tx, batch, tenantId, rawBatchIds, evidence, !savepointEveryBatch && (await this.onFreshDays(tx, tenantId, batch.days, fresh)))
            : this.storeStaged(tx, batch, tenantId, forced, problem, rawBatchIds, evidence);
          // PostgreSQL takes this batch while the next one is mapped
          const more = batch.count === NDJSON_BATCH;
          if (more) next = map(direct ? 'direct' : 'stage');
          let stored: Stored;
          try {
            stored = await storing;
          } catch (error) {
            await next?.catch(() => undefined);
            throw error;
          }
          const { outcome, evidenceWritten } = stored;
          if (evidenceWritten) held.push(evidenceWritten.then(() => void free.push(batch.buffers)));
          else free.push(batch.buffers);
          if (outcome === 'id taken') {
            if (next) free.push((await next).buffers);
            readAgain(batch); // and every later batch, for the stage
            direct = false;
            next = map('stage');
            continue;
          }
          addCounts(result, outcome);
          result.rowsRead += batch.count;
          options.onProgress?.({ bytesRead: reader.mark().position, rowsRead: result.rowsRead });
        }
        await this.recordImport(tx, tenantId, result, days);
        await evidence.commit(); // the evidence first: never a row without it
      });
    } catch (error) {
      await evidence.discard();
      throw error;
    } finally {
      await evidence.release();
      await reader.close();
    }
    return result;
  }

  /** Whether every day of a batch (dayKey) had no row of the tenant when the import began; asks once per day. */
  private async onFreshDays(tx: Tx, tenantId: string, batchDays: Set<number>, fresh: Map<number, boolean>): Promise<boolean> {
    const unknown = [...batchDays].filter((day) => !fresh.has(day));
    if (unknown.length > 0) {
      const stored = await this.logs.daysWithRows(tx, tenantId, unknown.map(dayText));
      for (const day of unknown) fresh.set(day, !stored.has(dayText(day)));
    }
    return [...batchDays].every((day) => fresh.get(day));
  }

  /**
   * A direct batch: COPYed straight into microsoft_call_rows, its raw lines then written on the
   * evidence connection (`evidenceWritten`: its buffers are in use until then). In a savepoint, 'id
   * taken' when a row's id is stored; `withoutSavepoint` (its days were fresh: importNdjsonOnce), a
   * stored id throws IdRepeatedInFile.
   */
  private async storeDirect(tx: Tx, batch: MappedBatch, tenantId: string, rawBatchIds: string[], evidence: RawBatchWriter, withoutSavepoint: boolean): Promise<Stored> {
    evidence.check();
    let stored: number;
    endDirectCopy(batch.buffers.copy);
    if (!withoutSavepoint) await savepoint(tx, DIRECT_BATCH);
    try {
      stored = await this.logs.copyIntoCallRows(tx, Readable.from(batch.buffers.copy.chunks()));
    } catch (error) {
      if (!(error instanceof CallRowIdTaken)) throw error;
      if (withoutSavepoint) throw new IdRepeatedInFile();
      await rollbackToSavepoint(tx, DIRECT_BATCH);
      await releaseSavepoint(tx, DIRECT_BATCH); // or the next batch's savepoint would nest in it
      return { outcome: 'id taken' };
    }
    if (!withoutSavepoint) await releaseSavepoint(tx, DIRECT_BATCH);
    const evidenceWritten = stored > 0 ? evidence.write(batch.rawBatch, tenantId, batch.valid, batch.buffers.raw.bytes()) : undefined;
    await this.keepRawBatchIds(tx, rawBatchIds);
    return { outcome: { inserted: stored, updated: 0, unchanged: 0 }, evidenceWritten };
  }

  /**
   * Tops up the raw batch ids in hand, while the connection is free: a batch mapped direct takes one
   * before its turn (also one that then turns out to need the stage), and each store comes after at
   * most one such mapping.
   */
  private async keepRawBatchIds(tx: Tx, rawBatchIds: string[]): Promise<void> {
    if (rawBatchIds.length < 4) rawBatchIds.push(...(await this.logs.reserveRawBatchIds(tx, RAW_BATCH_IDS)));
  }

  /**
   * A staged batch: COPYed into the stage (with its refused lines), then upserted, once the evidence
   * of the rows COPYed direct before it is committed (the upsert compares rows with their evidence).
   */
  private async storeStaged(
    tx: Tx, batch: MappedBatch, tenantId: string, forced: MicrosoftSource | undefined, problem: (line: number, reason: string) => void, rawBatchIds: string[],
    evidence: RawBatchWriter,
  ): Promise<Stored> {
    await this.keepRawBatchIds(tx, rawBatchIds);
    await this.logs.copyIntoImportStage(tx, Readable.from(batch.buffers.copy.chunks()));
    if (batch.refused.length > 0) await this.stageRefusedLines(tx, batch, forced, problem);
    if (batch.valid === 0) return { outcome: { inserted: 0, updated: 0, unchanged: 0 } };
    await evidence.commit();
    const c = await this.logs.upsertImportStage(tx, tenantId, batch.repeated);
    return { outcome: { ...c, unchanged: batch.valid - c.inserted - c.updated } };
  }

  /** Lines lossless-json refuses (a key given twice), read as PostgreSQL reads them (the last copy of a key wins) and staged. */
  private async stageRefusedLines(tx: Tx, batch: MappedBatch, forced: MicrosoftSource | undefined, problem: (line: number, reason: string) => void): Promise<void> {
    const lines: string[] = [];
    for (const { line, value } of batch.refused) {
      const r = toStoredRow(parseJson(await this.logs.jsonbText(tx, line.text)), forced ?? guessSourceOf(value));
      if (!r.ok) {
        problem(line.number, r.reason);
        continue;
      }
      batch.valid += 1;
      lines.push(stageLine(line.number, r.row, rowText(line.text)));
    }
    batch.repeated = true;
    await this.logs.copyIntoImportStage(tx, Readable.from(lines));
  }

  /**
   * Records an import that stored or changed rows (microsoft_imports), in its transaction: the nightly
   * reconciles again the older days it touched. `days`: yyyymmdd keys of its rows' start days (-1: none).
   */
  private async recordImport(tx: Tx, tenantId: string, result: ImportResult, days: Set<number>): Promise<void> {
    if (result.inserted + result.updated === 0) return;
    const dayTexts = [...days].filter((k) => k > 0 && k < 100_000_000).sort((a, b) => a - b).map(dayText);
    await this.logs.recordImport(tx, { tenantId, fileName: result.file, format: result.format, rowsRead: result.rowsRead, inserted: result.inserted,
      updated: result.updated, unchanged: result.unchanged, rejected: result.rejected, days: dayTexts });
  }

  /**
   * The operator of an admin-center export's rows: --operator, else the operator name of the tenant's
   * carrier (its first, when it has several). A tenant of several carriers must be told.
   */
  private async exportOperator(tenantId: string, carrierIds: string[], given: string | undefined): Promise<{ name: string; assumed: boolean }> {
    if (given !== undefined) return { name: given.trim(), assumed: false };
    if (carrierIds.length > 1) {
      throw invalidInput(`the admin-center export has no operator column and tenant ${tenantId} is served by carriers ${carrierIds.join(', ')}: say whose calls these are with --operator <name>`);
    }
    const carrier = await this.carriers.requireCarrier(carrierIds[0]);
    return { name: carrier.operatorNames[0] ?? carrier.name, assumed: true };
  }

  /** The admin center's PSTN export, streamed through csv-parse (the header is line 1). */
  private async importAdminCsv(
    path: string, tenantId: string, forced: MicrosoftSource | undefined, operator: { name: string; assumed: boolean }, options: ImportOptions,
  ): Promise<ImportResult> {
    if (forced === 'direct-routing') throw invalidInput('the admin-center export holds PSTN rows; --source direct-routing does not apply');
    const name = basename(path);
    const result: ImportResult = {
      file: name, format: 'admin-csv', rowsRead: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0, problems: [], operator: operator.name, operatorAssumed: operator.assumed,
    };
    await this.transactions.run(async (tx) => {
      let at: Map<string, number> | null = null;
      let rows: StoredCallRow[] = [];
      const days = new Set<number>();
      const file = createReadStream(path);
      let bytesRead = 0;
      if (options.onProgress) file.on('data', (chunk) => void (bytesRead += chunk.length));
      const parser = file.pipe(parseCsv({ bom: true, relax_column_count: true, info: true, skip_empty_lines: true }));
      try {
        for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
          if (!at) {
            try {
              at = resolveAdminExportHeader(record);
            } catch (error) {
              throw invalidInput(`${name} line 1: ${(error as ValueError).message}`);
            }
            continue;
          }
          result.rowsRead += 1;
          const r = adminExportRow(record, at, operator.name);
          if (r.ok) {
            rows.push(r.row);
            days.add(dayKey(r.row.start_time));
          }
          else {
            result.rejected += 1;
            if (result.problems.length < MAX_PROBLEMS) result.problems.push({ line: info.lines, reason: r.reason });
          }
          if (rows.length >= BATCH) {
            checkStop(options, name);
            addCounts(result, await this.logs.upsertCallRows(tx, tenantId, rows));
            options.onProgress?.({ bytesRead, rowsRead: result.rowsRead });
            rows = [];
          }
        }
      } catch (error) {
        if (error instanceof OcreconError) throw error;
        if ((error as { code?: string }).code?.startsWith('CSV_')) throw invalidInput(`${name}: not a CSV file the engine can read: ${(error as Error).message.split('\n')[0]}`);
        throw error;
      }
      if (!at) throw invalidInput(`${name} is empty`);
      addCounts(result, await this.logs.upsertCallRows(tx, tenantId, rows));
      options.onProgress?.({ bytesRead, rowsRead: result.rowsRead });
      await this.recordImport(tx, tenantId, result, days);
    });
    return result;
  }
}

/** A dayKey as the date PostgreSQL reads (`YYYY-MM-DD`; -1, no start: `-infinity`, the start_day of such rows). */
function dayText(k: number): string {
  if (k < 0) return '-infinity';
  return `${String(Math.floor(k / 10000)).padStart(4, '0')}-${String(Math.floor(k / 100) % 100).padStart(2, '0')}-${String(k % 100).padStart(2, '0')}`;
}

/** A direct batch COPYed without a savepoint met a stored id: one its own file gave before (importNdjsonOnce). */
class IdRepeatedInFile extends Error {}

/** yyyymmdd of a stored start_time's UTC day (startDayText), -1 for none. */
function dayKey(iso: string | null): number {
  const day = startDayText(iso);
  if (day[4] !== '-' || day[7] !== '-') return -1;
  return Number(day.slice(0, 4)) * 10000 + Number(day.slice(5, 7)) * 100 + Number(day.slice(8, 10));
}

function addCounts(total: { inserted: number; updated: number; unchanged: number }, c: { inserted: number; updated: number; unchanged: number }): void {
  total.inserted += c.inserted;
  total.updated += c.updated;
  total.unchanged += c.unchanged;
}

/** A line that holds one row (an object that is not a Graph page): the file is NDJSON. */
function isRowLine(line: string): boolean {
  try {
    const v = JSON.parse(line) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) && !isPage(v);
  } catch {
    return false;
  }
}

function losslessParseError(line: string): string | undefined {
  try {
    parseJson(line);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

const lineNumberBytes = (line: number) => Buffer.from(String(line));

const guessSourceOf = (value: unknown): MicrosoftSource =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? guessSource(value as Record<string, unknown>) : 'pstn';

/** What storing a batch did, and (direct) the write of its evidence, until which its buffers are in use. */
interface Stored {
  outcome: UpsertCounts | 'id taken';
  evidenceWritten?: Promise<void>;
}

/** A batch of lines as it is mapped: lines read, rows mapped, whether an id came twice, lines left for PostgreSQL. */
interface MappedBatch {
  /** direct: COPY text of microsoft_call_rows (and raw lines); stage: COPY text of the stage. */
  mode: 'direct' | 'stage';
  start: ReaderMark;
  /** The problem counts before the batch, to take its reports back when it is read again. */
  reported: { rejected: number; problems: number };
  buffers: BatchBuffers;
  /** direct: the row of microsoft_raw_batches its rows name. */
  rawBatch: string;
  count: number;
  valid: number;
  repeated: boolean;
  /** direct: an id given twice or a line lossless-json refuses: the batch must be staged (the mapping stopped there). */
  mustStage: boolean;
  refused: { line: NdjsonLine; value: unknown }[];
  /** The start days of its rows (dayKey). */
  days: Set<number>;
}

/** The savepoint around a batch COPYed straight into microsoft_call_rows. */
const DIRECT_BATCH = 'ndjson_direct_batch';
/**
 * Maps the next NDJSON_BATCH lines of the file into the batch's buffers: COPY text of the stage (each
 * row after its line number) or, going direct, binary COPY of microsoft_call_rows (each row after
 * `directHead`, naming its line of the raw batch). Bad lines are reported; lines lossless-json refuses are left in
 * `batch.refused`, or, going direct, stop the batch (`mustStage`), as an id given twice does.
 */
async function mapBatch(
  reader: NdjsonReader, forced: MicrosoftSource | undefined, problem: (line: number, reason: string) => void, batch: MappedBatch, directHead: DirectRowHead,
): Promise<void> {
  const { copy, raw, ids } = batch.buffers;
  const days = batch.days;
  const direct = batch.mode === 'direct';
  const head = direct ? directHead : null;
  if (direct) startDirectCopy(copy);
  while (batch.count < NDJSON_BATCH) {
    let bytes = reader.nextBytes();
    while (bytes === undefined) {
      await reader.fill();
      bytes = reader.nextBytes();
    }
    if (!bytes) break;
    batch.count += 1;
    // Let the event loop turn now and then: the batch before this one is going to PostgreSQL over the
    // socket meanwhile, and a mapping that kept the loop (20 ms a batch) held that COPY back, so Node and
    // PostgreSQL took turns more than they overlapped (the import of the e2e day: 12.5 s -> 10.6 s).
    if ((batch.count & 63) === 0) await new Promise((r) => setImmediate(r));
    const { buf, start, end } = bytes;
    if (writeTypedColumns(buf, start, end, forced, copy, head ?? lineNumberBytes(bytes.number))) {
      // the plain line, bytes to COPY data (ndjson-bytes.ts); every other line takes the string path below
      batch.valid += 1;
      days.add(startDayKey(buf));
      const [rowFrom, rowTo] = rowBounds(buf, start, end);
      if (repeatsId(ids, buf)) {
        if (direct) {
          batch.mustStage = true;
          return;
        }
        batch.repeated = true;
      }
      // the line holds no line feed (the reader splits on them): its text is the raw line as it is
      if (direct) endDirectRow(copy, raw, buf, rowFrom, rowTo, batch.rawBatch, batch.valid);
      else endStagedRow(copy, buf, rowFrom, rowTo);
      continue;
    }
    if (!isUtf8(buf.subarray(start, end))) {
      // decoding would put U+FFFD in place of the bad bytes: neither the row nor its evidence as received
      problem(bytes.number, 'is not valid UTF-8');
      continue;
    }
    const line: NdjsonLine = { text: buf.toString('utf8', start, end), number: bytes.number };
    const scanned = scanRow(line.text);
    let r: RowResult;
    if (scanned) r = toStoredRow(scanned.fields, forced ?? scanned.guessedSource);
    else {
      let value: unknown;
      try {
        value = JSON.parse(line.text);
      } catch (error) {
        problem(line.number, `not JSON: ${losslessParseError(line.text) ?? (error as Error).message}`);
        continue;
      }
      let exact: unknown;
      try {
        exact = parseJson(line.text);
      } catch {
        if (direct) {
          batch.mustStage = true;
          return;
        }
        batch.refused.push({ line, value });
        continue;
      }
      r = toStoredRow(exact, forced ?? guessSourceOf(exact));
    }
    if (!r.ok) {
      problem(line.number, r.reason);
      continue;
    }
    const row = r.row;
    days.add(dayKey(row.start_time));
    batch.valid += 1;
    if (ids.add(row.id)) {
      // the same id twice (or two ids with the same hash): the upsert then sorts, the last copy winning
      if (direct) {
        batch.mustStage = true;
        return;
      }
      batch.repeated = true;
    }
    if (direct) {
      raw.addLine(rowText(line.text));
      putDirectRow(copy, head!, row, batch.rawBatch, batch.valid);
    } else copy.add(stageLine(line.number, row, rowText(line.text)));
  }
}

/** Where each row of a saved document is in its bytes, in document order (ndjson-bytes.ts); null when the rows are not plainly there. */
function savedRows(text: string, shape: 'page' | 'pages' | 'rows'): { b: Buffer; bounds: number[] } | null {
  const b = Buffer.from(text);
  let bounds: number[] | null;
  if (shape === 'page') bounds = pageRowBounds(b, 0, b.length);
  else {
    bounds = documentElementBounds(b, 0, b.length);
    if (bounds && shape === 'pages') {
      const pages = bounds;
      bounds = [];
      for (let p = 0; p < pages.length && bounds; p += 2) {
        const rows = pageRowBounds(b, pages[p], pages[p + 1]);
        bounds = rows && bounds.concat(rows);
      }
    }
  }
  return bounds && { b, bounds };
}
