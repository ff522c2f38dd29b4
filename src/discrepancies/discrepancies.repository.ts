import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Tx } from '../database/transaction';

/** One exported discrepancy: decimals and times already as text (interfaces.md columns). */
export interface DiscrepancyRow {
  id: string;
  kind: string;
  carrier_id: string;
  tenant_id: string | null;
  call_id: string | null;
  microsoft_row_id: string | null;
  carrier_record_ref: string | null;
  start_time: string;
  microsoft_duration: string | null;
  carrier_duration: string | null;
  duration_delta: string | null;
  microsoft_total: string | null;
  microsoft_currency: string | null;
  carrier_total: string | null;
  carrier_currency: string | null;
  money_delta: string | null;
  match_method: string | null;
  status: string;
  /** keyset cursor */
  start_raw: string;
}

export interface DiscrepancyEventRow {
  event: string;
  from_status: string | null;
  to_status: string | null;
  note: string | null;
  actor: string | null;
  run_id: string | null;
  at: string;
}

const ISO = (col: string) => `regexp_replace(to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '\\.?0+$', '') || 'Z'`;

@Injectable()
export class DiscrepanciesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The stored discrepancies of a window, a page at a time, ordered by start time (keyset on start, id).
   * The ORDER BY names the table's columns: a bare `start_time` there is the output column, the text
   * (whose stripped fraction does not sort in time order), which lost or repeated rows at page bounds
   * and sorted every later row of the window for each page.
   */
  async *streamWindow(carrierId: string, from: string, to: string, kinds: string[] | null, pageSize = 5000): AsyncGenerator<DiscrepancyRow[]> {
    let after: [string, string] | null = null;
    for (;;) {
      const rows: DiscrepancyRow[] = await this.dataSource.query(
        `SELECT id, kind, carrier_id, tenant_id, call_id, microsoft_row_id, carrier_record_ref, ${ISO('start_time')} AS start_time,
                microsoft_duration::text, carrier_duration::text, duration_delta::text, microsoft_total::text, microsoft_currency,
                carrier_total::text, carrier_currency, money_delta::text, match_method, status, start_time::text AS start_raw
         FROM discrepancies
         WHERE carrier_id = $1 AND start_time >= $2 AND start_time < $3 AND ($4::text[] IS NULL OR kind = ANY ($4))
           AND ($5::timestamptz IS NULL OR (start_time, id) > ($5, $6::uuid))
         ORDER BY discrepancies.start_time, discrepancies.id LIMIT $7`,
        [carrierId, from, to, kinds, after?.[0] ?? null, after?.[1] ?? null, pageSize],
      );
      if (rows.length === 0) return;
      yield rows;
      const last = rows[rows.length - 1];
      after = [last.start_raw, last.id];
    }
  }

  async findStatus(tx: Tx, id: string): Promise<{ status: string } | null> {
    const rows = await tx.queryRunner.query(`SELECT status FROM discrepancies WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0] ?? null;
  }

  async recordReview(tx: Tx, id: string, from: string, to: string, note: string | null, actor: string | null): Promise<void> {
    await tx.queryRunner.query(`UPDATE discrepancies SET status = $2, updated_at = now() WHERE id = $1`, [id, to]);
    await tx.queryRunner.query(
      `INSERT INTO discrepancy_events (discrepancy_id, event, from_status, to_status, note, actor) VALUES ($1, 'REVIEW', $2, $3, $4, $5)`,
      [id, from, to, note, actor],
    );
  }

  async history(id: string): Promise<DiscrepancyEventRow[]> {
    return this.dataSource.query(
      `SELECT event, from_status, to_status, note, actor, run_id, ${ISO('at')} AS at FROM discrepancy_events WHERE discrepancy_id = $1 ORDER BY id`,
      [id],
    );
  }
}
