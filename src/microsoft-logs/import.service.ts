import { Injectable } from '@nestjs/common';
import { parse as parseCsv } from 'csv-parse/sync';
import { parse as parseJson } from 'lossless-json';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { CarriersService } from '../carriers/carriers.service';
import { invalidInput, notFound } from '../common/ocrecon-error';
import { TransactionRunner } from '../database/transaction';
import { adminExportRow, resolveAdminExportHeader } from './admin-export-row';
import { guessSource, StoredCallRow, toStoredRow } from './graph-row';
import { ValueError } from './graph-values';
import { MICROSOFT_SOURCES, MicrosoftSource } from './microsoft-call-row.entity';
import { MicrosoftLogsRepository } from './microsoft-logs.repository';

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
}

interface Candidate {
  value: unknown;
  source: MicrosoftSource | null;
  line?: number;
  at?: string;
}

const BATCH = 1000;
const MAX_PROBLEMS = 10_000;

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
 */
@Injectable()
export class ImportMicrosoftService {
  constructor(
    private readonly carriers: CarriersService,
    private readonly logs: MicrosoftLogsRepository,
    private readonly transactions: TransactionRunner,
  ) {}

  async importFile(path: string, tenantId: string, source?: string): Promise<ImportResult> {
    if (source !== undefined && !(MICROSOFT_SOURCES as readonly string[]).includes(source)) {
      throw invalidInput(`--source must be one of ${MICROSOFT_SOURCES.join(', ')}, got ${JSON.stringify(source)}`);
    }
    const links = await this.carriers.findTenantLinks(tenantId);
    if (links.length === 0) throw notFound(`tenant ${tenantId} is not registered (ocrecon tenants add ${tenantId} --carrier …)`);
    let text: string;
    try {
      text = (await readFile(path, 'utf8')).replace(/^\uFEFF/, '');
    } catch (error) {
      throw invalidInput(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    const forced = source as MicrosoftSource | undefined;
    const problems: ImportProblem[] = [];
    let rowsRead = 0;
    let format: ImportResult['format'];
    const rows: StoredCallRow[] = [];
    const take = (c: Candidate) => {
      rowsRead += 1;
      const value = c.value as Record<string, unknown>;
      const r = toStoredRow(c.value, forced ?? c.source ?? (value && typeof value === 'object' ? guessSource(value) : 'pstn'));
      if (r.ok) rows.push(r.row);
      else if (problems.length < MAX_PROBLEMS) problems.push({ ...(c.line !== undefined ? { line: c.line } : {}), ...(c.at ? { at: c.at } : {}), reason: r.reason });
    };

    const first = text.trimStart()[0];
    if (first === '{' || first === '[') {
      let doc: unknown;
      let whole = true;
      try {
        doc = parseJson(text);
      } catch {
        whole = false;
      }
      if (whole && (isPage(doc) || Array.isArray(doc))) {
        format = 'graph-json';
        if (isPage(doc)) doc.value.forEach((value, i) => take({ value, source: sourceOfPage(doc as Record<string, unknown>), at: `value[${i}]` }));
        else if ((doc as unknown[]).every(isPage)) {
          (doc as Array<{ value: unknown[] }>).forEach((page, p) =>
            page.value.forEach((value, i) => take({ value, source: sourceOfPage(page as Record<string, unknown>), at: `[${p}].value[${i}]` })));
        } else (doc as unknown[]).forEach((value, i) => take({ value, source: null, at: `[${i}]` }));
      } else {
        format = 'ndjson';
        text.split('\n').forEach((lineText, i) => {
          if (lineText.trim() === '') return;
          let value: unknown;
          try {
            value = parseJson(lineText);
          } catch (error) {
            rowsRead += 1;
            if (problems.length < MAX_PROBLEMS) problems.push({ line: i + 1, reason: `not JSON: ${(error as Error).message}` });
            return;
          }
          take({ value, source: null, line: i + 1 });
        });
      }
    } else {
      format = 'admin-csv';
      if (forced === 'direct-routing') throw invalidInput('the admin-center export holds PSTN rows; --source direct-routing does not apply');
      let records: { record: string[]; info: { lines: number } }[];
      try {
        records = parseCsv(text, { bom: true, relax_column_count: true, info: true, skip_empty_lines: true }) as never;
      } catch (error) {
        throw invalidInput(`${basename(path)}: not a CSV file the engine can read: ${(error as Error).message.split('\n')[0]}`);
      }
      if (records.length === 0) throw invalidInput(`${basename(path)} is empty`);
      let at: Map<string, number>;
      try {
        at = resolveAdminExportHeader(records[0].record);
      } catch (error) {
        throw invalidInput(`${basename(path)} line 1: ${(error as ValueError).message}`);
      }
      for (const { record, info } of records.slice(1)) {
        rowsRead += 1;
        const r = adminExportRow(record, at);
        if (r.ok) rows.push(r.row);
        else if (problems.length < MAX_PROBLEMS) problems.push({ line: info.lines, reason: r.reason });
      }
    }

    const counts = await this.transactions.run(async (tx) => {
      const total = { inserted: 0, updated: 0, unchanged: 0 };
      for (let i = 0; i < rows.length; i += BATCH) {
        const c = await this.logs.upsertCallRows(tx, links[0].tenantId, rows.slice(i, i + BATCH));
        total.inserted += c.inserted;
        total.updated += c.updated;
        total.unchanged += c.unchanged;
      }
      return total;
    });
    return { file: basename(path), format, rowsRead, ...counts, rejected: rowsRead - rows.length, problems };
  }
}
