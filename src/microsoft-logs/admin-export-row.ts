import { MAX_ID_BYTES, StoredCallRow } from './graph-row';
import { decimalText, formatInstant, integerText, parseInstant, ValueError } from './graph-values';

/** The columns of the Teams admin center's `PSTN.calls.<date>.csv` export; UsageId is the row id. */
export const ADMIN_EXPORT_COLUMNS = [
  'UsageId', 'Call ID', 'Conference ID', 'User Location', 'AAD ObjectId', 'UPN', 'User Display Name', 'Caller ID', 'Call Type',
  'Number Type', 'Domestic/International', 'Destination Dialed', 'Destination Number', 'Start Time', 'End Time', 'Duration Seconds',
  'Connection Fee', 'Charge', 'Currency', 'Capability',
] as const;

/** Where each header is, checked once per file: every column must be there (any order, any case). */
export function resolveAdminExportHeader(header: string[]): Map<string, number> {
  const at = new Map<string, number>();
  header.forEach((h, i) => at.set(h.trim().toLowerCase(), i));
  const missing = ADMIN_EXPORT_COLUMNS.filter((c) => !at.has(c.toLowerCase()));
  if (missing.length > 0) throw new ValueError(`the header lacks ${missing.join(', ')} (expected the admin center's PSTN export)`);
  return new Map(ADMIN_EXPORT_COLUMNS.map((c) => [c, at.get(c.toLowerCase())!]));
}

const cell = (v: string | undefined) => (v === undefined || v.trim() === '' ? null : v.trim());

function time(v: string | undefined, column: string): string | null {
  const t = cell(v);
  if (t === null) return null;
  try {
    return formatInstant(parseInstant(t, true)); // the export writes UTC, sometimes without a zone
  } catch (error) {
    throw new ValueError(`${column}: ${(error as Error).message}`);
  }
}

/**
 * One export line -> a pstn row. The export has no `operator` column: `operator` is whose calls the
 * file holds, as the importer was told or assumed (the row's evidence keeps the export's fields only).
 */
export function adminExportRow(fields: string[], at: Map<string, number>, operator: string): { ok: true; row: StoredCallRow } | { ok: false; reason: string } {
  const get = (c: (typeof ADMIN_EXPORT_COLUMNS)[number]) => fields[at.get(c)!];
  const raw: Record<string, string> = {};
  for (const c of ADMIN_EXPORT_COLUMNS) raw[c] = get(c) ?? '';
  // PostgreSQL's text and jsonb cannot hold U+0000 (the line would have failed the whole file)
  const nul = ADMIN_EXPORT_COLUMNS.find((c) => raw[c].includes('\u0000'));
  if (nul !== undefined) return { ok: false, reason: `${nul} holds a NUL character (U+0000), which PostgreSQL text cannot store` };
  // what bytes that are not UTF-8 are read as (an export saved again as Windows-1252, say): the line is not what Microsoft wrote
  const replaced = ADMIN_EXPORT_COLUMNS.find((c) => raw[c].includes('\uFFFD'));
  if (replaced !== undefined) return { ok: false, reason: `${replaced} holds U+FFFD, the mark of bytes that are not UTF-8 (the export must be UTF-8)` };
  try {
    const id = cell(get('UsageId'));
    if (id === null) return { ok: false, reason: 'UsageId is empty' };
    if (Buffer.byteLength(id) > MAX_ID_BYTES) return { ok: false, reason: `UsageId is longer than ${MAX_ID_BYTES} bytes` };
    const duration = cell(get('Duration Seconds'));
    const fee = cell(get('Connection Fee'));
    const charge = cell(get('Charge'));
    return {
      ok: true,
      row: {
        id, source: 'pstn', call_id: cell(get('Call ID')), user_id: cell(get('AAD ObjectId')), user_principal_name: cell(get('UPN')),
        user_display_name: cell(get('User Display Name')), start_time: time(get('Start Time'), 'Start Time'), end_time: time(get('End Time'), 'End Time'),
        duration_seconds: duration === null ? null : integerText(duration, 'Duration Seconds'),
        charge: charge === null ? null : decimalText(charge, 'Charge'),
        connection_charge: fee === null ? null : decimalText(fee, 'Connection Fee'),
        currency: cell(get('Currency')), call_type: cell(get('Call Type')), caller_number: cell(get('Caller ID')),
        callee_number: cell(get('Destination Number')), destination_context: cell(get('Domestic/International')),
        destination_name: cell(get('Destination Dialed')), conference_id: cell(get('Conference ID')), license_capability: cell(get('Capability')),
        inventory_type: cell(get('Number Type')), operator, call_duration_source: null, tenant_country_code: null,
        usage_country_code: cell(get('User Location')), successful_call: null, final_sip_code: null, raw,
      },
    };
  } catch (error) {
    if (error instanceof ValueError) return { ok: false, reason: error.message };
    throw error;
  }
}
