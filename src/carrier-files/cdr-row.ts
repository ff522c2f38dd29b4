import { invalidInput } from '../common/ocrecon-error';
import { copyText } from '../database/copy-text';
import { normalizeNumber } from './normalize-number';
import {
  billableSeconds, FieldError, parseCurrency, parseDecimal, parseDirection, parseDuration, parseGuid, parseInstant,
} from './parse-values';
import { CANONICAL_COLUMNS, CanonicalColumn, CarrierFileProfile, REQUIRED_COLUMNS } from './profile';

export interface RowProblem {
  line: number;
  column: string;
  reason: string;
}

/**
 * A validated row, already encoded as the COPY text fields of STAGE_COLUMNS (tab-separated, no line
 * end); `day`: the UTC day the call started (YYYY-MM-DD).
 */
export type RowResult = { ok: true; copyFields: string; day: string } | { ok: false; problems: RowProblem[] };

/** The carrier_cdrs columns a file provides, in COPY order. */
export const STAGE_COLUMNS = [
  'line', 'record_id', 'call_id', 'tenant_id', 'direction', 'start_time', 'end_time', 'duration_seconds',
  'billable_seconds', 'caller_number', 'callee_number', 'charge', 'connection_charge', 'currency',
] as const;

const MAX_ID_LENGTH = 512;
const NULL = '\\N';

/**
 * Resolves which field of a record holds each canonical column. With a header, names are matched
 * case-insensitively (the profile may rename them); without one, the profile gives positions.
 * A missing required column fails the whole file, naming the column.
 */
export function resolveColumns(profile: CarrierFileProfile, header: string[] | null): Map<CanonicalColumn, number> {
  const indexes = new Map<CanonicalColumn, number>();
  if (!header) {
    for (const [col, pos] of Object.entries(profile.columns)) indexes.set(col as CanonicalColumn, (pos as number) - 1);
    return indexes;
  }
  const byName = new Map<string, number>();
  header.forEach((name, i) => {
    const key = name.trim().replace(/^\uFEFF/, '').toLowerCase();
    if (key === '') return;
    if (byName.has(key)) throw invalidInput(`line 1: the header names column "${name.trim()}" twice (fields ${byName.get(key)! + 1} and ${i + 1})`);
    byName.set(key, i);
  });
  for (const col of CANONICAL_COLUMNS) {
    const wanted = String(profile.columns[col] ?? col).toLowerCase();
    const idx = byName.get(wanted);
    if (idx !== undefined) indexes.set(col, idx);
    else if (profile.columns[col] !== undefined) throw invalidInput(`line 1: the header has no column "${profile.columns[col]}" (the profile's column for ${col})`);
  }
  const missing = REQUIRED_COLUMNS.filter((c) => !indexes.has(c));
  if (missing.length > 0) throw invalidInput(`line 1: the header lacks the required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  return indexes;
}

/**
 * Builds the validator for one file: fields of a record in, a COPY line or the row's problems out.
 * Every bad field of a row is reported (column named as in the file), not just the first.
 */
export function makeRowValidator(profile: CarrierFileProfile, indexes: Map<CanonicalColumn, number>, header: string[] | null) {
  const idx = (c: CanonicalColumn) => indexes.get(c) ?? -1;
  const name = (c: CanonicalColumn) => (header && indexes.has(c) ? header[indexes.get(c)!].trim() : c);
  const [iRecord, iCall, iTenant, iDirection, iStart, iEnd, iDuration, iCaller, iCallee, iCharge, iConn, iCurrency] =
    CANONICAL_COLUMNS.map(idx);
  const expectedFields = header ? header.length : Math.max(...[...indexes.values()].map((i) => i + 1));
  const { timestampFormat, timeZone, durationUnit, decimalSeparator: sep, defaultCountry, stripPrefixes, billingIncrement } = profile;

  // The row being validated: the helpers below are made once per file, not once per row.
  let fields: string[] = [];
  let line = 0;
  let problems: RowProblem[] | null = null;
  const fail = (col: CanonicalColumn, reason: string) => (problems ??= []).push({ line, column: name(col), reason });
  const get = (i: number) => (i < 0 ? '' : fields[i].trim());
  const field = <T>(col: CanonicalColumn, i: number, parse: (t: string) => T, required = false): T | null => {
    const text = get(i);
    if (text === '') {
      if (required) fail(col, 'is required');
      return null;
    }
    try {
      return parse(text);
    } catch (e) {
      if (!(e instanceof FieldError)) throw e;
      fail(col, `${JSON.stringify(text.length > 60 ? text.slice(0, 60) + '…' : text)} ${e.message}`);
      return null;
    }
  };
  const id = (t: string) => {
    if (t.length > MAX_ID_LENGTH) throw new FieldError(`is longer than ${MAX_ID_LENGTH} characters`);
    // the other columns are parsed into what cannot hold it; a COPY of U+0000 failed the whole file
    if (t.includes('\u0000')) throw new FieldError('holds a NUL character (U+0000), which PostgreSQL text cannot store');
    // what a byte that is not UTF-8 is read as: the id is not what the carrier wrote
    if (t.includes('\uFFFD')) throw new FieldError('holds U+FFFD, the mark of bytes that are not UTF-8 (the file must be UTF-8)');
    return t;
  };
  const instant = (t: string) => parseInstant(t, timestampFormat, timeZone);
  const duration = (t: string) => parseDuration(t, durationUnit, sep);
  const phoneNumber = (t: string) => normalizeNumber(t, defaultCountry, stripPrefixes);
  const money = (t: string) => parseDecimal(t, sep, 6, 12);

  return function validate(rowFields: string[], rowLine: number): RowResult {
    fields = rowFields;
    line = rowLine;
    problems = null;
    if (header ? fields.length !== expectedFields : fields.length < expectedFields) {
      return { ok: false, problems: [{ line, column: '', reason: `expected ${expectedFields} fields, found ${fields.length}` }] };
    }

    const recordId = field('record_id', iRecord, id);
    const callId = field('call_id', iCall, id);
    const tenant = field('tenant_id', iTenant, parseGuid);
    const direction = field('direction', iDirection, parseDirection);
    const start = field('start_time', iStart, instant, true);
    const end = field('end_time', iEnd, instant);
    const seconds = field('duration_seconds', iDuration, duration, true);
    const caller = field('caller_number', iCaller, phoneNumber, true);
    const callee = field('callee_number', iCallee, phoneNumber, true);
    const charge = field('charge', iCharge, money);
    const connection = field('connection_charge', iConn, money);
    let currency = field('currency', iCurrency, parseCurrency);
    if (currency === null && get(iCurrency) === '' && (get(iCharge) !== '' || get(iConn) !== '')) {
      if (profile.defaultCurrency) currency = profile.defaultCurrency;
      else fail('currency', 'is required when a charge is present');
    }
    if (start && end && end.iso < start.iso) fail('end_time', `${end.iso} is before start_time ${start.iso}`);
    if (problems) return { ok: false, problems };

    const billable = billingIncrement && seconds !== null ? String(billableSeconds(seconds, billingIncrement.first, billingIncrement.next)) : NULL;
    const copyFields =
      `${line}\t${recordId === null ? NULL : copyText(recordId)}\t${callId === null ? NULL : copyText(callId)}\t${tenant ?? NULL}\t${direction ?? NULL}\t` +
      `${start!.iso}\t${end ? end.iso : NULL}\t${seconds}\t${billable}\t${caller}\t${callee}\t${charge ?? NULL}\t${connection ?? NULL}\t${currency ?? NULL}`;
    return { ok: true, copyFields, day: start!.iso.slice(0, 10) };
  };
}
