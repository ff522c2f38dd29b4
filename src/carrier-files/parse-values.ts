import { GUID } from '../common/guid';

/**
 * Pure parsers for the fields of a carrier CDR file. Each returns the normalised text that goes to
 * PostgreSQL (exact decimals as text, instants as UTC ISO 8601 with microseconds) or throws a
 * FieldError whose message is the reason shown to the carrier. No value is ever defaulted from
 * malformed input, and no decimal passes through a JavaScript number.
 */
export class FieldError extends Error {}

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,12}))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** An instant: its canonical text (formatInstant) and, except on the UTC fast path, microseconds since the epoch. */
export interface ParsedInstant {
  epochMicros: number;
  iso: string;
}

/** Milliseconds since the epoch of a UTC date and time: Date.UTC, but years 0-99 stay as written (Date.UTC takes them as 1900-1999). */
function wallClockMs(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d);
  t.setUTCHours(h, mi, s, 0);
  return t.getTime();
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function checkCalendar(y: number, mo: number, d: number, h: number, mi: number, s: number): void {
  if (y < 1) throw new FieldError('year 0000 is out of range'); // PostgreSQL's text input has no year 0
  if (mo < 1 || mo > 12) throw new FieldError(`month ${mo} is out of range`);
  const dim = mo === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH[mo - 1];
  if (d < 1 || d > dim) throw new FieldError(`day ${d} does not exist in ${y}-${String(mo).padStart(2, '0')}`);
  if (h > 23) throw new FieldError(`hour ${h} is out of range`);
  if (mi > 59) throw new FieldError(`minute ${mi} is out of range`);
  if (s > 59) throw new FieldError(`second ${s} is out of range`);
}

/** Fraction digits -> whole microseconds, truncating past the sixth digit (as Graph's 7th digit is). */
function fractionMicros(fraction: string | undefined): number {
  if (!fraction) return 0;
  return Number((fraction + '000000').slice(0, 6));
}

/**
 * The canonical text of an instant: UTC, always six fraction digits (2026-11-01T10:00:05.123000Z).
 * Being fixed-width, two canonical texts compare as strings in time order.
 */
export function formatInstant(epochMicros: number): string {
  const ms = Math.floor(epochMicros / 1000);
  const micros = epochMicros - ms * 1000;
  const iso = new Date(ms).toISOString(); // 2026-11-01T10:00:05.123Z
  return `${iso.slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
}

const offsetCache = new Map<string, Map<number, number>>();
const formatters = new Map<string, Intl.DateTimeFormat>();

/** Offset (ms) of an IANA zone at a UTC instant. */
function zoneOffsetMs(zone: string, utcMs: number): number {
  let fmt = formatters.get(zone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(zone, fmt);
  }
  const parts: Record<string, number> = {};
  for (const p of fmt.formatToParts(new Date(utcMs))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const wall = wallClockMs(parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second);
  return wall - Math.floor(utcMs / 1000) * 1000;
}

/** UTC ms of a wall-clock time in a zone (offsets cached per quarter hour of wall time). */
function wallToUtcMs(zone: string, wallMs: number): number {
  let cache = offsetCache.get(zone);
  if (!cache) offsetCache.set(zone, (cache = new Map()));
  const bucket = Math.floor(wallMs / 900000);
  let offset = cache.get(bucket);
  if (offset === undefined) {
    const guess = zoneOffsetMs(zone, wallMs);
    offset = zoneOffsetMs(zone, wallMs - guess);
    if (cache.size > 100000) cache.clear();
    cache.set(bucket, offset);
  }
  return wallMs - offset;
}

function instant(wallMs: number, micros: number, offsetMinutes: number | null, zone: string | null): ParsedInstant {
  let utcMs: number;
  if (offsetMinutes !== null) utcMs = wallMs - offsetMinutes * 60000;
  else if (zone) utcMs = wallToUtcMs(zone, wallMs);
  else throw new FieldError('has no time zone (add Z or an offset, or set timeZone in the profile)');
  // an offset or zone can carry 0001-01-01 or 9999-12-31 out of the years PostgreSQL's text input reads
  const utc = new Date(utcMs);
  const year = utc.getUTCFullYear();
  if (!(year >= 1 && year <= 9999)) throw new FieldError('is outside the years 0001 to 9999 in UTC');
  // the text from the milliseconds and the microseconds apart: far from 1970 (before 1685, after
  // 2255) microseconds since the epoch are past 2^53, and a double would lose the last digits
  return { epochMicros: utcMs * 1000 + micros, iso: `${utc.toISOString().slice(0, 23)}${String(micros).padStart(3, '0')}Z` };
}

function parseOffset(text: string): number {
  if (text === 'Z' || text === 'z') return 0;
  const sign = text[0] === '-' ? -1 : 1;
  const digits = text.slice(1).replace(':', '');
  const h = Number(digits.slice(0, 2));
  const m = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (h > 14 || m > 59) throw new FieldError(`offset ${text} is out of range`);
  return sign * (h * 60 + m);
}

const isDigitAt = (t: string, i: number) => {
  const c = t.charCodeAt(i);
  return c >= 0x30 && c <= 0x39;
};
const twoDigitsAt = (t: string, i: number) => (t.charCodeAt(i) - 0x30) * 10 + t.charCodeAt(i + 1) - 0x30;
/** Where the digits of YYYY-MM-DDTHH:MM:SS are. */
const UTC_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];

/**
 * The canonical text of the commonest form, 2026-11-01T10:00:05.123Z (UTC, `T`, seconds, 0 to 12
 * fraction digits after a point), checked without a regex; null for any other text, which the
 * regex then reads (and reports, when it is wrong).
 */
function utcIso(t: string): string | null {
  const n = t.length;
  if (n < 20 || n > 33 || n === 21 || t.charCodeAt(n - 1) !== 0x5a) return null;
  if (t.charCodeAt(4) !== 0x2d || t.charCodeAt(7) !== 0x2d || t.charCodeAt(10) !== 0x54 || t.charCodeAt(13) !== 0x3a || t.charCodeAt(16) !== 0x3a) return null;
  for (const i of UTC_DIGITS) if (!isDigitAt(t, i)) return null;
  if (n > 20) {
    if (t.charCodeAt(19) !== 0x2e) return null;
    for (let i = 20; i < n - 1; i++) if (!isDigitAt(t, i)) return null;
  }
  const y = twoDigitsAt(t, 0) * 100 + twoDigitsAt(t, 2);
  const mo = twoDigitsAt(t, 5);
  const d = twoDigitsAt(t, 8);
  if (y === 0 || mo < 1 || mo > 12 || d < 1 || d > (mo === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH[mo - 1])) return null;
  if (twoDigitsAt(t, 11) > 23 || twoDigitsAt(t, 14) > 59 || twoDigitsAt(t, 17) > 59) return null;
  const frac = n > 20 ? t.slice(20, Math.min(n - 1, 26)) : '';
  return `${t.slice(0, 19)}.${frac.length === 6 ? frac : (frac + '000000').slice(0, 6)}Z`;
}

/** ISO 8601 date-time with Z, an offset, or (with a profile time zone) none. */
export function parseIsoInstant(text: string, zone: string | null): ParsedInstant {
  const utc = utcIso(text);
  if (utc !== null) return { iso: utc, epochMicros: NaN };
  const m = ISO.exec(text);
  if (!m) throw new FieldError(`is not an ISO 8601 date-time such as 2026-11-01T10:00:05Z`);
  const y = Number(m[1]), mo = Number(m[2]), d = Number(m[3]), h = Number(m[4]), mi = Number(m[5]);
  const s = m[6] ? Number(m[6]) : 0;
  checkCalendar(y, mo, d, h, mi, s);
  if (m[8] === 'Z' || m[8] === 'z') {
    // Already UTC (nearly every carrier row): the canonical text is built from the parts, no Date.
    const frac = ((m[7] ?? '') + '000000').slice(0, 6);
    return { iso: `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}.${frac}Z`, epochMicros: NaN };
  }
  const wallMs = wallClockMs(y, mo, d, h, mi, s) + (m[7] ? Number((m[7] + '000').slice(0, 3)) : 0);
  const micros = m[7] ? Number((m[7] + '000000').slice(3, 6)) : 0;
  return instant(wallMs, micros, m[8] ? parseOffset(m[8]) : null, zone);
}

interface CompiledPattern {
  regex: RegExp;
  order: string[];
}
const patternCache = new Map<string, CompiledPattern>();

function compilePattern(pattern: string): CompiledPattern {
  let compiled = patternCache.get(pattern);
  if (compiled) return compiled;
  const order: string[] = [];
  let source = '^';
  for (const token of pattern.match(/YYYY|MM|DD|HH|mm|ss|\.S+|./g) ?? []) {
    if (token === 'YYYY') (source += '(\\d{4})'), order.push(token);
    else if (['MM', 'DD', 'HH', 'mm', 'ss'].includes(token)) (source += '(\\d{2})'), order.push(token);
    else if (token.startsWith('.S')) (source += '(?:[.,](\\d{1,12}))?'), order.push('S');
    else source += token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  compiled = { regex: new RegExp(source + '$'), order };
  patternCache.set(pattern, compiled);
  return compiled;
}

/** A timestamp in the profile's format; naive forms use the profile's zone. */
export function parseInstant(text: string, format: string, zone: string | null): ParsedInstant {
  if (format === 'iso') return parseIsoInstant(text, zone);
  if (format === 'epoch-s' || format === 'epoch-ms') {
    const m = /^(\d{1,13})(?:\.(\d{1,9}))?$/.exec(text);
    if (!m) throw new FieldError(`is not ${format === 'epoch-s' ? 'seconds' : 'milliseconds'} since 1970-01-01`);
    const whole = Number(m[1]);
    const epochMicros =
      format === 'epoch-s'
        ? whole * 1000000 + fractionMicros(m[2])
        : whole * 1000 + Number(((m[2] ?? '') + '000').slice(0, 3));
    if (!Number.isSafeInteger(epochMicros) || epochMicros > 253402300799999999) throw new FieldError('is out of range');
    return { epochMicros, iso: formatInstant(epochMicros) };
  }
  const { regex, order } = compilePattern(format);
  const m = regex.exec(text);
  if (!m) throw new FieldError(`does not match the profile's timestampFormat ${format}`);
  const v: Record<string, string> = {};
  order.forEach((t, i) => (v[t] = m[i + 1]));
  const y = Number(v.YYYY), mo = Number(v.MM), d = Number(v.DD), h = Number(v.HH), mi = Number(v.mm), s = Number(v.ss);
  checkCalendar(y, mo, d, h, mi, s);
  const frac = v.S;
  const wallMs = wallClockMs(y, mo, d, h, mi, s) + (frac ? Number((frac + '000').slice(0, 3)) : 0);
  const micros = frac ? Number((frac + '000000').slice(3, 6)) : 0;
  return instant(wallMs, micros, null, zone);
}

/**
 * A non-negative decimal as exact text. `maxScale` fraction digits at most (trailing zeros beyond it
 * are fine: 1.2300000 is 1.23), `maxIntegerDigits` before the point.
 */
export function parseDecimal(text: string, separator: '.' | ',', maxScale: number, maxIntegerDigits: number): string {
  const m = separator === '.' ? /^(\d+)(?:\.(\d*))?$/.exec(text) : /^(\d+)(?:,(\d*))?$/.exec(text);
  if (!m) {
    if (/^-/.test(text)) throw new FieldError('must not be negative');
    throw new FieldError(`is not a decimal number${separator === ',' ? ' with "," as decimal separator' : ''}`);
  }
  const intPart = m[1].replace(/^0+(?=\d)/, '');
  let frac = (m[2] ?? '').replace(/0+$/, '');
  if (frac.length > maxScale) throw new FieldError(`has more than ${maxScale} decimals`);
  if (intPart.length > maxIntegerDigits) throw new FieldError(`is too large (at most ${maxIntegerDigits} digits before the decimal point)`);
  return frac ? `${intPart}.${frac}` : intPart;
}

/** A duration in the profile's unit, as exact seconds with at most 3 decimals. */
export function parseDuration(text: string, unit: 's' | 'ms' | 'hh:mm:ss', separator: '.' | ','): string {
  if (unit === 's') return parseDecimal(text, separator, 3, 9);
  if (unit === 'ms') {
    const ms = parseDecimal(text, separator, 0, 12);
    const padded = ms.padStart(4, '0');
    const secs = padded.slice(0, -3).replace(/^0+(?=\d)/, '');
    if (secs.length > 9) throw new FieldError('is too large');
    const frac = padded.slice(-3).replace(/0+$/, '');
    return frac ? `${secs}.${frac}` : secs;
  }
  const m = /^(\d{1,6}):([0-5]\d):([0-5]\d)(?:[.,](\d{1,12}))?$/.exec(text);
  if (!m) throw new FieldError('is not a duration hh:mm:ss');
  const whole = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
  // duration_seconds holds 9 digits before the point, as the other units are held to (past it the COPY failed the whole file)
  if (whole > 999_999_999) throw new FieldError('is too large (at most 999999999 seconds)');
  const frac = (m[4] ?? '').replace(/0+$/, '');
  if (frac.length > 3) throw new FieldError('has more than 3 decimals');
  return frac ? `${whole}.${frac}` : String(whole);
}

export function parseCurrency(text: string): string {
  const upper = text.toUpperCase();
  if (!/^[A-Z]{3}$/.test(upper)) throw new FieldError('is not an ISO 4217 currency code such as USD');
  return upper;
}

export function parseGuid(text: string): string {
  if (!GUID.test(text)) throw new FieldError('is not a tenant GUID such as 0d7d6f3a-1c2b-4f5e-9a8b-7c6d5e4f3a2b');
  return text.toLowerCase();
}

export function parseDirection(text: string): 'inbound' | 'outbound' {
  const lower = text.toLowerCase();
  if (lower !== 'inbound' && lower !== 'outbound') throw new FieldError('must be inbound or outbound');
  return lower;
}

/** Billable seconds for a duration under a first/next increment: round up at the increment (domain.md). */
export function billableSeconds(durationSeconds: string, first: number, next: number): number {
  const [intText, fracText = ''] = durationSeconds.split('.');
  const whole = Number(intText);
  const d = fracText.replace(/0+$/, '') === '' ? whole : whole + 1; // ceil to a whole second first
  if (whole === 0 && fracText.replace(/0+$/, '') === '') return 0;
  if (d <= first) return first;
  return first + Math.ceil((d - first) / next) * next;
}
