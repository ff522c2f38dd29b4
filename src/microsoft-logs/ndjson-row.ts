import { LosslessNumber } from 'lossless-json';
import { CALL_COLUMNS } from './call-row-columns';
import { putBoolField, putInt16, putInt32, putInt4Field, putInt8Field, putNullField, putNumericField, putTimestampField, uuidBytes } from '../database/copy-binary';
import { copyText } from '../database/copy-text';
import { Utf8Bytes } from './copy-buffers';
import { StoredCallRow } from './graph-row';
import { MicrosoftSource } from './microsoft-call-row.entity';

/**
 * The fast path of an NDJSON import: the fields toStoredRow (graph-row.ts) reads, taken from the
 * line's text exactly as lossless-json would give them (strings as themselves, numbers as
 * LosslessNumbers of their own digits, true, false, null), without parsing the rest into objects.
 * The whole line is checked to be JSON as it is scanned. Whenever the result could differ from
 * lossless-json's (a field given twice, a string with an escape, an object or array in a field
 * read) or the line is not plainly JSON, `scanRow` returns null and the caller parses the line.
 * (JSON.parse is not used here: it turns numbers into doubles, and V8 keeps the short strings it
 * makes in its string table until a full collection, so memory would grow with the file.)
 */

/** The fields toStoredRow and guessSource read, by position. */
export const READ = [
  'id', 'callId', 'correlationId', 'userId', 'userPrincipalName', 'userDisplayName', 'startDateTime', 'endDateTime', 'duration',
  'charge', 'connectionCharge', 'currency', 'callType', 'callerNumber', 'calleeNumber', 'destinationContext', 'destinationName',
  'conferenceId', 'licenseCapability', 'inventoryType', 'operator', 'callDurationSource', 'tenantCountryCode', 'usageCountryCode',
  'successfulCall', 'finalSipCode', 'trunkFullyQualifiedDomainName',
] as const;
const POSITION = new Map<string, number>(READ.map((f, i) => [f, i]));
/** The positions of the fields only Direct Routing rows have (guessSource). */
export const DIRECT_ROUTING = [2, 24, 25, 26];
const ABSENT = Symbol('absent');
/** The values of the row being scanned (reused: one row at a time). */
const v: unknown[] = new Array(READ.length).fill(ABSENT);

/** The scanned values as one object of fixed shape (a field absent from the line is undefined, as lossless-json leaves it). */
function fieldsObject(): Record<string, unknown> {
  for (let i = 0; i < v.length; i++) if (v[i] === ABSENT) v[i] = undefined;
  return { id: v[0], callId: v[1], correlationId: v[2], userId: v[3], userPrincipalName: v[4], userDisplayName: v[5], startDateTime: v[6], endDateTime: v[7], duration: v[8], charge: v[9], connectionCharge: v[10], currency: v[11], callType: v[12], callerNumber: v[13], calleeNumber: v[14], destinationContext: v[15], destinationName: v[16], conferenceId: v[17], licenseCapability: v[18], inventoryType: v[19], operator: v[20], callDurationSource: v[21], tenantCountryCode: v[22], usageCountryCode: v[23], successfulCall: v[24], finalSipCode: v[25], trunkFullyQualifiedDomainName: v[26] };
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;

function ws(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
    else return i;
  }
}

/** End (after the closing quote) of the string starting at `i`, or -1; `escaped` tells whether it held an escape. */
let escaped = false;
function stringEnd(s: string, i: number): number {
  escaped = false;
  let j = i + 1;
  for (;;) {
    let c = s.charCodeAt(j);
    while (c !== 0x22 && c !== 0x5c && c >= 0x20) c = s.charCodeAt(++j); // the end of the line gives NaN: stops
    if (c === 0x22) return j + 1;
    if (c !== 0x5c) return -1; // a control character, or the end of the line
    ESCAPE.lastIndex = j;
    if (!ESCAPE.test(s)) return -1;
    escaped = true;
    j = ESCAPE.lastIndex;
  }
}

/** End of the JSON value starting at `i` (after whitespace), or -1. */
function valueEnd(s: string, i: number, depth: number): number {
  const c = s.charCodeAt(i);
  if (c === 0x22) return stringEnd(s, i);
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
    NUMBER.lastIndex = i;
    return NUMBER.test(s) ? NUMBER.lastIndex : -1;
  }
  if (c === 0x74) return s.startsWith('true', i) ? i + 4 : -1;
  if (c === 0x66) return s.startsWith('false', i) ? i + 5 : -1;
  if (c === 0x6e) return s.startsWith('null', i) ? i + 4 : -1;
  if (depth > 64 || (c !== 0x7b && c !== 0x5b)) return -1;
  const object = c === 0x7b;
  const close = object ? 0x7d : 0x5d;
  let j = ws(s, i + 1);
  if (s.charCodeAt(j) === close) return j + 1;
  for (;;) {
    if (object) {
      if (s.charCodeAt(j) !== 0x22) return -1;
      j = stringEnd(s, j);
      if (j < 0) return -1;
      j = ws(s, j);
      if (s.charCodeAt(j) !== 0x3a) return -1;
      j = ws(s, j + 1);
    }
    j = valueEnd(s, j, depth + 1);
    if (j < 0) return -1;
    j = ws(s, j);
    const d = s.charCodeAt(j);
    if (d === close) return j + 1;
    if (d !== 0x2c) return -1;
    j = ws(s, j + 1);
  }
}

/**
 * The fields of a line holding one JSON object, as lossless-json would parse them (only the fields
 * toStoredRow reads are kept), and the source guessSource would guess; or null when the caller must
 * parse the line itself.
 */
export function scanRow(s: string): ScannedRow | null {
  let i = ws(s, 0);
  if (s.charCodeAt(i) !== 0x7b) return null;
  v.fill(ABSENT);
  i = ws(s, i + 1);
  if (s.charCodeAt(i) === 0x7d) i++;
  else {
    for (;;) {
      if (s.charCodeAt(i) !== 0x22) return null;
      const keyEnd = stringEnd(s, i);
      if (keyEnd < 0 || escaped) return null;
      const key = s.slice(i + 1, keyEnd - 1);
      i = ws(s, keyEnd);
      if (s.charCodeAt(i) !== 0x3a) return null;
      i = ws(s, i + 1);
      const end = valueEnd(s, i, 0);
      if (end < 0) return null;
      const at = POSITION.get(key);
      if (at !== undefined) {
        if (v[at] !== ABSENT) return null; // given twice: lossless-json refuses the row
        const c = s.charCodeAt(i);
        if (c === 0x22) {
          if (escaped) return null; // set by valueEnd's stringEnd
          v[at] = s.slice(i + 1, end - 1);
        } else if (c === 0x74) v[at] = true;
        else if (c === 0x66) v[at] = false;
        else if (c === 0x6e) v[at] = null;
        else if (c === 0x7b || c === 0x5b) return null;
        else v[at] = new LosslessNumber(s.slice(i, end));
      }
      i = ws(s, end);
      const d = s.charCodeAt(i);
      if (d === 0x7d) {
        i++;
        break;
      }
      if (d !== 0x2c) return null;
      i = ws(s, i + 1);
    }
  }
  if (ws(s, i) !== s.length) return null;
  const directRouting = DIRECT_ROUTING.some((at) => v[at] !== ABSENT);
  return { fields: fieldsObject(), guessedSource: directRouting ? 'direct-routing' : 'pstn' };
}

export interface ScannedRow {
  /** The fields read, for toStoredRow (absent ones undefined). */
  fields: Record<string, unknown>;
  /** guessSource's answer for the whole line. */
  guessedSource: MicrosoftSource;
}

/** A line without the JSON whitespace around its value (a CRLF file's `\r`): the row's text as stored. */
export function rowText(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isSpace(s.charCodeAt(a))) a++;
  while (b > a && isSpace(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/** The columns of the import stage, in COPY order: the line, microsoft_call_rows' typed ones, the row's JSON text. */
export const STAGE_COLUMNS = [['line', 'integer'], ...CALL_COLUMNS, ['raw', 'text']] as const;
/** The columns a batch COPYed straight into microsoft_call_rows fills: the tenant, the typed ones, where the raw text is. */
export const DIRECT_COLUMNS = [['tenant_id', 'uuid'], ...CALL_COLUMNS, ['raw_batch', 'bigint'], ['raw_line', 'integer']] as const;

const f = (v: string | null) => (v === null ? '\\N' : copyText(v));
const n = (v: number | null) => (v === null ? '\\N' : String(v));

/** A mapped row's typed columns (CALL_COLUMNS) as COPY text, tab-separated. */
function typedColumns(r: StoredCallRow): string {
  return `${f(r.id)}\t${r.source}\t${f(r.call_id)}\t${f(r.user_id)}\t${f(r.user_principal_name)}\t${f(r.user_display_name)}\t${f(r.start_time)}\t${f(r.end_time)}\t${n(r.duration_seconds)}\t${f(r.charge)}\t${f(r.connection_charge)}\t${f(r.currency)}\t${f(r.call_type)}\t${f(r.caller_number)}\t${f(r.callee_number)}\t${f(r.destination_context)}\t${f(r.destination_name)}\t${f(r.conference_id)}\t${f(r.license_capability)}\t${f(r.inventory_type)}\t${f(r.operator)}\t${f(r.call_duration_source)}\t${f(r.tenant_country_code)}\t${f(r.usage_country_code)}\t${r.successful_call === null ? '\\N' : r.successful_call ? 't' : 'f'}\t${n(r.final_sip_code)}`;
}

/** A mapped row as one COPY text line of the stage (STAGE_COLUMNS): its line number, the typed columns, `rawText` (the row's JSON text). */
export function stageLine(line: number, r: StoredCallRow, rawText: string): string {
  return `${line}\t${typedColumns(r)}\t${copyText(rawText)}\n`;
}

/** The fields a direct row of a tenant starts with, in binary COPY format: the field count, then tenant_id. */
export class DirectRowHead {
  readonly bytes: Buffer;

  constructor(tenantId: string) {
    const head = Buffer.alloc(2 + 4 + 16);
    putInt32(head, putInt16(head, 0, DIRECT_COLUMNS.length), 16);
    uuidBytes(tenantId).copy(head, 6);
    this.bytes = head;
  }
}

/** A stored timestamp's text as graphTimestamp writes it (UTC, Z, up to six fraction digits). */
const STORED_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?Z$/;

/**
 * A mapped row straight into microsoft_call_rows (DIRECT_COLUMNS) in binary COPY format, at the end of
 * `out`: the head, its typed columns, and its raw text's place (line `rawLine` of batch `rawBatch`).
 * The byte path (ndjson-bytes.ts) writes the same bytes for the lines it takes.
 */
export function putDirectRow(out: Utf8Bytes, head: DirectRowHead, r: StoredCallRow, rawBatch: string, rawLine: number): void {
  const texts = [r.id, r.source, r.call_id, r.user_id, r.user_principal_name, r.user_display_name];
  const after = [r.currency, r.call_type, r.caller_number, r.callee_number, r.destination_context, r.destination_name, r.conference_id,
    r.license_capability, r.inventory_type, r.operator, r.call_duration_source, r.tenant_country_code, r.usage_country_code];
  // room: every text three bytes a character at most, the rest (lengths, numbers, timestamps) well within 1 KB
  out.reserve(head.bytes.length + 3 * [...texts, ...after, r.charge, r.connection_charge].reduce((sum, t) => sum + (t?.length ?? 0), 0) + 1024);
  const o = out.buffer;
  let n = out.length;
  head.bytes.copy(o, n);
  n += head.bytes.length;
  const text = (t: string | null) => {
    if (t === null) n = putNullField(o, n);
    else {
      const bytes = o.write(t, n + 4);
      n = putInt32(o, n, bytes) + bytes;
    }
  };
  const timestamp = (t: string | null) => {
    if (t === null) return void (n = putNullField(o, n));
    const m = STORED_INSTANT.exec(t);
    if (!m) throw new Error(`putDirectRow: ${JSON.stringify(t)} is not a stored timestamp`);
    n = putTimestampField(o, n, +m[1], +m[2], +m[3], +m[4], +m[5], +m[6], Number(((m[7] ?? '') + '000000').slice(0, 6)));
  };
  const money = (t: string | null) => {
    if (t === null) return void (n = putNullField(o, n));
    const ascii = Buffer.from(t, 'latin1');
    n = putNumericField(o, n, ascii, 0, ascii.length);
  };
  const integer = (v: number | null) => void (n = v === null ? putNullField(o, n) : putInt4Field(o, n, v));
  texts.forEach(text);
  timestamp(r.start_time);
  timestamp(r.end_time);
  integer(r.duration_seconds);
  money(r.charge);
  money(r.connection_charge);
  after.forEach(text);
  n = r.successful_call === null ? putNullField(o, n) : putBoolField(o, n, r.successful_call);
  integer(r.final_sip_code);
  n = putInt4Field(o, putInt8Field(o, n, Number(rawBatch)), rawLine);
  out.length = n;
}
