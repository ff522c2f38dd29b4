import { Injectable } from '@nestjs/common';
import { CarriersService } from '../carriers/carriers.service';
import { plain } from '../common/decimal';
import { invalidInput, notFound } from '../common/ocrecon-error';
import { TransactionRunner } from '../database/transaction';
import { DISCREPANCY_KINDS } from '../matching/rules';
import { parseWindow } from '../matching/window';
import { DiscrepanciesRepository, DiscrepancyEventRow } from './discrepancies.repository';
import { REVIEW_STATUSES, ReviewStatus } from './discrepancy.entity';

/** The export columns of interfaces.md, in order. */
export const EXPORT_COLUMNS = [
  'kind', 'carrier_id', 'tenant_id', 'call_id', 'microsoft_row_id', 'carrier_record_ref', 'start_time', 'microsoft_duration',
  'carrier_duration', 'duration_delta', 'microsoft_total', 'microsoft_currency', 'carrier_total', 'carrier_currency', 'money_delta',
  'match_method', 'status',
] as const;
export type ExportColumn = (typeof EXPORT_COLUMNS)[number];
export type ExportRecord = Record<ExportColumn, string | null> & { id: string };

const DECIMAL_COLUMNS = new Set(['microsoft_duration', 'carrier_duration', 'duration_delta', 'microsoft_total', 'carrier_total', 'money_delta']);

export interface ExportRequest {
  carrierId: string;
  from: string;
  to: string;
  kinds?: string[];
}

/** Stored discrepancies: export and review. */
@Injectable()
export class DiscrepanciesService {
  constructor(
    private readonly carriers: CarriersService,
    private readonly discrepancies: DiscrepanciesRepository,
    private readonly transactions: TransactionRunner,
  ) {}

  /** The window's discrepancies as export records (plain decimals, ISO 8601 UTC), a page at a time. */
  async *export(request: ExportRequest): AsyncGenerator<ExportRecord[]> {
    const window = parseWindow(request.from, request.to);
    await this.carriers.requireCarrier(request.carrierId);
    const kinds = request.kinds?.length ? request.kinds.map((k) => k.toUpperCase()) : null;
    for (const k of kinds ?? []) {
      if (!(DISCREPANCY_KINDS as readonly string[]).includes(k)) throw invalidInput(`--kind ${k} is not one of ${DISCREPANCY_KINDS.join(', ')}`);
    }
    for await (const page of this.discrepancies.streamWindow(request.carrierId, window.fromIso, window.toIso, kinds)) {
      yield page.map((r) => {
        const out = { id: r.id } as ExportRecord;
        for (const c of EXPORT_COLUMNS) {
          const v = r[c];
          out[c] = v === null ? null : DECIMAL_COLUMNS.has(c) ? plain(v) : v;
        }
        return out;
      });
    }
  }

  /** A review step: a new status (and an optional note), recorded in the discrepancy's history. */
  async review(id: string, status: string, note?: string, actor?: string): Promise<{ id: string; status: ReviewStatus; history: DiscrepancyEventRow[] }> {
    const to = status.toUpperCase() as ReviewStatus;
    if (!REVIEW_STATUSES.includes(to)) throw invalidInput(`--status ${status} is not one of ${REVIEW_STATUSES.join(', ')}`);
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound(`no discrepancy ${id}`);
    await this.transactions.run(async (tx) => {
      const current = await this.discrepancies.findStatus(tx, id);
      if (!current) throw notFound(`no discrepancy ${id}`);
      await this.discrepancies.recordReview(tx, id, current.status, to, note ?? null, actor ?? null);
    });
    return { id, status: to, history: await this.discrepancies.history(id) };
  }

  history(id: string): Promise<DiscrepancyEventRow[]> {
    return this.discrepancies.history(id);
  }
}
