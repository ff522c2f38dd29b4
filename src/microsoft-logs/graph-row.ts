import { isLosslessNumber } from 'lossless-json';
import { MicrosoftSource } from './microsoft-call-row.entity';
import { decimalText, graphTimestamp, integerText, ValueError } from './graph-values';

/**
 * One Microsoft call row as it goes to microsoft_call_rows: every value already text or a small
 * integer/boolean, money as decimal text, instants as UTC text truncated to the microsecond, and the
 * row as received (numbers as their original JSON text) kept as evidence in `raw`.
 */
export interface StoredCallRow {
  id: string;
  source: MicrosoftSource;
  call_id: string | null;
  user_id: string | null;
  user_principal_name: string | null;
  user_display_name: string | null;
  start_time: string | null;
  end_time: string | null;
  duration_seconds: number | null;
  charge: string | null;
  connection_charge: string | null;
  currency: string | null;
  call_type: string | null;
  caller_number: string | null;
  callee_number: string | null;
  destination_context: string | null;
  destination_name: string | null;
  conference_id: string | null;
  license_capability: string | null;
  inventory_type: string | null;
  operator: string | null;
  call_duration_source: string | null;
  tenant_country_code: string | null;
  usage_country_code: string | null;
  successful_call: boolean | null;
  final_sip_code: number | null;
  raw: unknown;
}

/** The UTC day of a stored row's start_time (UTC text, as toStoredRow writes it): the text before its T; '' for none. */
export function startDayText(startTime: string | null): string {
  if (startTime === null) return '';
  const t = startTime.indexOf('T');
  return t < 0 ? startTime : startTime.slice(0, t);
}

/**
 * A stored row's key within a tenant (microsoft_call_rows: start_day, id): its UTC start day and its
 * id; copies with the same key are one row.
 */
export const callRowKey = (row: Pick<StoredCallRow, 'id' | 'start_time'>): string => `${startDayText(row.start_time)} ${row.id}`;

export type RowResult = { ok: true; row: StoredCallRow } | { ok: false; reason: string };

type Obj = Record<string, unknown>;

/**
 * The longest id kept (Graph's are 36-character GUIDs): the key's index entry, and a discrepancy's
 * natural key holding it with a carrier record id, must stay within a B-tree entry (2704 bytes).
 */
export const MAX_ID_BYTES = 512;

/** Text of a JSON value that must be a string (enum values are kept whatever they are). */
function str(row: Obj, field: string): string | null {
  const v = row[field];
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') {
    // PostgreSQL's text cannot hold U+0000 (a COPY of it failed the whole file)
    if (v.includes('\u0000')) throw new ValueError(`${field} holds a NUL character (\\u0000), which PostgreSQL text cannot store`);
    return v;
  }
  if (isLosslessNumber(v) || typeof v === 'number' || typeof v === 'boolean') return String(isLosslessNumber(v) ? v.value : v);
  throw new ValueError(`${field} is not a string`);
}

/** The JSON text of a number (as a LosslessNumber keeps it); decimal strings are accepted too. */
function numberText(row: Obj, field: string): string | null {
  const v = row[field];
  if (v === null || v === undefined) return null;
  if (isLosslessNumber(v)) return v.value;
  if (typeof v === 'string') return v.trim() === '' ? null : v;
  if (typeof v === 'number') throw new ValueError(`${field} was parsed as a float; parse Graph responses with lossless-json`);
  throw new ValueError(`${field} is not a number`);
}

function money(row: Obj, field: string): string | null {
  const t = numberText(row, field);
  return t === null ? null : decimalText(t, field);
}

function int(row: Obj, field: string): number | null {
  const t = numberText(row, field);
  return t === null ? null : integerText(t, field);
}

function bool(row: Obj, field: string): boolean | null {
  const v = row[field];
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return v;
  throw new ValueError(`${field} is not true or false`);
}

/** Which log a row of unknown origin (a saved file) belongs to, from the fields only one log has. */
export function guessSource(row: Obj): MicrosoftSource {
  return 'correlationId' in row || 'successfulCall' in row || 'finalSipCode' in row || 'trunkFullyQualifiedDomainName' in row ? 'direct-routing' : 'pstn';
}

/** A pstnCallLogRow or directRoutingLogRow (parsed by lossless-json) -> a row to store, or the reason it cannot be. */
export function toStoredRow(value: unknown, source: MicrosoftSource): RowResult {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, reason: 'is not a JSON object' };
  const row = value as Obj;
  try {
    const id = str(row, 'id');
    if (id === null || id.trim() === '') return { ok: false, reason: 'id is missing' };
    if (Buffer.byteLength(id) > MAX_ID_BYTES) return { ok: false, reason: `id is longer than ${MAX_ID_BYTES} bytes` };
    const pstn = source === 'pstn';
    return {
      ok: true,
      row: {
        id,
        source,
        call_id: str(row, pstn ? 'callId' : 'correlationId'),
        user_id: str(row, 'userId'),
        user_principal_name: str(row, 'userPrincipalName'),
        user_display_name: str(row, 'userDisplayName'),
        start_time: graphTimestamp(row.startDateTime, 'startDateTime'),
        end_time: graphTimestamp(row.endDateTime, 'endDateTime'),
        duration_seconds: int(row, 'duration'),
        charge: pstn ? money(row, 'charge') : null,
        connection_charge: pstn ? money(row, 'connectionCharge') : null,
        currency: pstn ? str(row, 'currency') : null,
        call_type: str(row, 'callType'),
        caller_number: str(row, 'callerNumber'),
        callee_number: str(row, 'calleeNumber'),
        destination_context: pstn ? str(row, 'destinationContext') : null,
        destination_name: pstn ? str(row, 'destinationName') : null,
        conference_id: pstn ? str(row, 'conferenceId') : null,
        license_capability: pstn ? str(row, 'licenseCapability') : null,
        inventory_type: pstn ? str(row, 'inventoryType') : null,
        operator: pstn ? str(row, 'operator') : null,
        call_duration_source: pstn ? str(row, 'callDurationSource') : null,
        tenant_country_code: pstn ? str(row, 'tenantCountryCode') : null,
        usage_country_code: pstn ? str(row, 'usageCountryCode') : null,
        successful_call: pstn ? null : bool(row, 'successfulCall'),
        final_sip_code: pstn ? null : int(row, 'finalSipCode'),
        raw: row,
      },
    };
  } catch (error) {
    if (error instanceof ValueError) return { ok: false, reason: error.message };
    throw error;
  }
}

/** One row of getPstnOnlineMeetingDialoutReport (beta): an aggregate per user x location x context x currency. */
export interface StoredDialoutAggregate {
  user_id: string | null;
  user_principal_name: string | null;
  user_display_name: string | null;
  usage_location: string | null;
  destination_context: string | null;
  currency: string | null;
  total_calls: number | null;
  total_call_seconds: number | null;
  total_call_charge: string | null;
  raw: unknown;
}

export function toDialoutAggregate(value: unknown): { ok: true; row: StoredDialoutAggregate } | { ok: false; reason: string } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, reason: 'is not a JSON object' };
  const row = value as Obj;
  try {
    return {
      ok: true,
      row: {
        user_id: str(row, 'userId'),
        user_principal_name: str(row, 'userPrincipalName'),
        user_display_name: str(row, 'userDisplayName'),
        usage_location: str(row, 'usageLocation'),
        destination_context: str(row, 'destinationContext'),
        currency: str(row, 'currency'),
        total_calls: int(row, 'totalCalls'),
        total_call_seconds: int(row, 'totalCallSeconds'),
        total_call_charge: money(row, 'totalCallCharge'),
        raw: row,
      },
    };
  } catch (error) {
    if (error instanceof ValueError) return { ok: false, reason: error.message };
    throw error;
  }
}
