import { BatchBuffers } from './copy-buffers';
import { MicrosoftSource } from './microsoft-call-row.entity';
import { endDirectCopy, endDirectRow, endStagedRow, pageRowBounds, repeatsId, startDirectCopy, writeTypedColumns } from './ndjson-bytes';
import { DirectRowHead } from './ndjson-row';

/**
 * A Graph page of call rows mapped in Node from its bytes, for a COPY straight into
 * microsoft_call_rows (binary COPY of DIRECT_COLUMNS: the tenant, the typed columns, line k of raw batch `rawBatch`)
 * and the batch's lines (each row's text as json_array_elements gives it, a line feed as a space).
 * The typed columns are what the SQL mapping of a page writes (both are held to toStoredRow's).
 * Returns the number of rows, or null when the page must take the SQL path: a row the byte path
 * declines (ndjson-bytes.ts), an id twice, no rows, or a page that is not one plain object.
 */
export function mapPageDirect(page: Buffer, source: MicrosoftSource, tenant: DirectRowHead, rawBatch: string, into: BatchBuffers): number | null {
  into.clear();
  const bounds = pageRowBounds(page, 0, page.length);
  if (bounds === null || bounds.length === 0) return null;
  const { copy, raw, ids } = into;
  startDirectCopy(copy);
  for (let k = 0; k < bounds.length; k += 2) {
    const start = bounds[k];
    const end = bounds[k + 1];
    if (!writeTypedColumns(page, start, end, source, copy, tenant) || repeatsId(ids, page)) return null;
    endDirectRow(copy, raw, page, start, end, rawBatch, k / 2 + 1);
  }
  endDirectCopy(copy);
  return bounds.length / 2;
}

/**
 * A Graph page of call rows mapped in Node from its bytes as COPY text of the import's stage
 * (STAGE_COLUMNS: the row's position, the typed columns, its text with a line feed as a space), for
 * a page whose rows may be stored already. Null when the page must take the SQL path (as
 * mapPageDirect; an id twice is fine here: `repeated` says so, and the last copy wins).
 */
export function mapPageStaged(page: Buffer, source: MicrosoftSource, into: BatchBuffers): { rows: number; repeated: boolean } | null {
  into.clear();
  const bounds = pageRowBounds(page, 0, page.length);
  if (bounds === null || bounds.length === 0) return null;
  const { copy, ids } = into;
  let repeated = false;
  for (let k = 0; k < bounds.length; k += 2) {
    const start = bounds[k];
    const end = bounds[k + 1];
    if (!writeTypedColumns(page, start, end, source, copy, Buffer.from(String(k / 2)))) return null;
    if (repeatsId(ids, page)) repeated = true;
    endStagedRow(copy, page, start, end);
  }
  return { rows: bounds.length / 2, repeated };
}
