/**
 * Pure parsers for the values Microsoft sends (Graph rows, admin-center CSV cells). Each returns the
 * text that goes to PostgreSQL, or throws a ValueError whose message is the reason shown to the user.
 * Money never passes through a JavaScript number; instants are truncated, never rounded, to the
 * microsecond (PostgreSQL would round a seventh fraction digit).
 */
export class ValueError extends Error {}

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}:?\d{2})?$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** An instant as milliseconds since the epoch plus the microseconds within that millisecond. */
export interface Instant {
  ms: number;
  micros: number;
}

/**
 * ISO 8601 with `Z` or an offset (or a bare date, meaning 00:00 UTC), 0-9 fraction digits.
 * With `assumeUtc`, a date-time without a zone is taken as UTC (the admin-center export writes none).
 */
export function parseInstant(text: string, assumeUtc = false): Instant {
  const m = INSTANT.exec(text.trim());
  if (!m) throw new ValueError(`${JSON.stringify(text)} is not an ISO 8601 date-time such as 2026-11-01T10:00:05Z`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [h, mi, s] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  // year 0 is not a year PostgreSQL accepts in text (a COPY of it would fail the whole file)
  if (y === 0 || mo < 1 || mo > 12 || d < 1 || d > (mo === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH[mo - 1]) || h > 23 || mi > 59 || s > 59) {
    throw new ValueError(`${JSON.stringify(text)} is not a valid date-time`);
  }
  if (m[4] !== undefined && m[8] === undefined && !assumeUtc) throw new ValueError(`${JSON.stringify(text)} has no time zone (add Z)`);
  let offsetMinutes = 0;
  if (m[8] && m[8] !== 'Z' && m[8] !== 'z') {
    const digits = m[8].slice(1).replace(':', '');
    offsetMinutes = (m[8][0] === '-' ? -1 : 1) * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
  }
  const fraction = ((m[7] ?? '') + '000000').slice(0, 6);
  const utc = new Date(0);
  utc.setUTCFullYear(y, mo - 1, d); // setUTCFullYear keeps years 0-99 as written (Date.UTC would not)
  utc.setUTCHours(h, mi, s, Number(fraction.slice(0, 3)));
  const ms = utc.getTime() - offsetMinutes * 60000;
  // an offset can carry 0001-01-01 or 9999-12-31 out of the years PostgreSQL's text input reads (and formatInstant writes)
  const year = new Date(ms).getUTCFullYear();
  if (year < 1 || year > 9999) throw new ValueError(`${JSON.stringify(text)} is outside the years 0001 to 9999 in UTC`);
  return { ms, micros: Number(fraction.slice(3, 6)) };
}

/** UTC text with `Z`, microseconds kept: `2024-05-01T10:00:00.123456Z` (or without a fraction when zero). */
export function formatInstant(t: Instant): string {
  const iso = new Date(t.ms).toISOString();
  if (t.micros === 0) return iso.endsWith('.000Z') ? `${iso.slice(0, 19)}Z` : iso;
  return `${iso.slice(0, 23)}${String(t.micros).padStart(3, '0')}Z`;
}

const UTC_FAST = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

/** Graph's placeholder for "no time" (e.g. failureDateTime of a successful Direct Routing call). */
const NO_TIME_YEAR = 1;

/** A Graph timestamp as PostgreSQL timestamptz text, or null (absent, or the 0001-01-01 placeholder). */
export function graphTimestamp(value: unknown, field: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw new ValueError(`${field} is not a date-time string`);
  if (value.trim() === '') return null;
  const fast = UTC_FAST.exec(value);
  if (fast) {
    // Nearly every Graph timestamp: already UTC with Z; the text is rebuilt from its parts, no Date.
    const [y, mo, d, h, mi, s] = [Number(fast[1]), Number(fast[2]), Number(fast[3]), Number(fast[4]), Number(fast[5]), Number(fast[6])];
    if (y > 0 && mo >= 1 && mo <= 12 && d >= 1 && d <= (mo === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH[mo - 1]) && h <= 23 && mi <= 59 && s <= 59) {
      if (y === NO_TIME_YEAR) return null;
      const base = `${fast[1]}-${fast[2]}-${fast[3]}T${fast[4]}:${fast[5]}:${fast[6]}`;
      const frac = ((fast[7] ?? '') + '000000').slice(0, 6); // truncated, as formatInstant writes it
      return frac === '000000' ? `${base}Z` : `${base}.${frac.endsWith('000') ? frac.slice(0, 3) : frac}Z`;
    }
  }
  let t: Instant;
  try {
    t = parseInstant(value);
  } catch (error) {
    throw new ValueError(`${field}: ${(error as Error).message}`);
  }
  if (new Date(t.ms).getUTCFullYear() === NO_TIME_YEAR) return null;
  return formatInstant(t);
}

const DECIMAL = /^-?(\d+)(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * A decimal given as its JSON (or CSV) text, returned as plain decimal text for a `numeric` column.
 * JSON allows exponents (`1.5E-7`): they are shifted in text, so no digit is ever lost.
 */
export function decimalText(text: string, field: string): string {
  const m = DECIMAL.exec(text.trim());
  if (!m) throw new ValueError(`${field} ${JSON.stringify(text)} is not a decimal number`);
  if (!m[3]) return withinNumeric(text.trim(), text, field);
  const negative = text.trim().startsWith('-');
  let digits = m[1] + (m[2] ? m[2].slice(1) : '');
  let point = m[1].length + Number(m[3].slice(1));
  if (point <= 0) {
    digits = '0'.repeat(1 - point) + digits;
    point = 1;
  } else if (point > digits.length) digits = digits + '0'.repeat(point - digits.length);
  const intPart = digits.slice(0, point).replace(/^0+(?=\d)/, '');
  const frac = digits.slice(point);
  return withinNumeric(`${negative ? '-' : ''}${intPart}${frac ? `.${frac}` : ''}`, text, field);
}

/** PostgreSQL's numeric: at most 131072 digits before the point and 16383 after. */
const NUMERIC_INT_DIGITS = 131072;
const NUMERIC_FRACTION_DIGITS = 16383;

/** `plain` (a decimal without exponent) when numeric can hold it; else the row is rejected, naming the field. */
function withinNumeric(plain: string, text: string, field: string): string {
  const point = plain.indexOf('.');
  const intDigits = (point < 0 ? plain.length : point) - (plain.startsWith('-') ? 1 : 0);
  const fractionDigits = point < 0 ? 0 : plain.length - point - 1;
  if (intDigits > NUMERIC_INT_DIGITS || fractionDigits > NUMERIC_FRACTION_DIGITS) {
    throw new ValueError(`${field} ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)} has more digits than PostgreSQL's numeric holds`);
  }
  return plain;
}

/** A whole number (Graph's `duration`, `finalSipCode`), within PostgreSQL's integer range. */
export function integerText(text: string, field: string): number {
  const t = text.trim();
  if (!/^-?\d{1,10}$/.test(t) || Math.abs(Number(t)) > 2147483647) throw new ValueError(`${field} ${JSON.stringify(text)} is not a whole number`);
  return Number(t);
}

/** JSON text holding the escape \u0000 (after an even run of backslashes, or none), which PostgreSQL's jsonb and text cannot take. */
export const holdsNulEscape = (json: string): boolean => /(?<!\\)(?:\\\\)*\\u0000/.test(json);

/**
 * JSON text PostgreSQL cannot read as jsonb: the escape \u0000, or a run of 1000 digits or more (jsonb
 * reads each number as a numeric, whose limits are 131072 digits before the point and 16383 after;
 * 1000 is far from them and from any Graph value, and a long run inside a string only costs the slower path).
 */
export const jsonbRefuses = (json: string): boolean => holdsNulEscape(json) || /\d{1000}/.test(json);
