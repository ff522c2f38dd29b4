/**
 * PostgreSQL's binary COPY format (https://www.postgresql.org/docs/current/sql-copy.html, "Binary
 * Format"), for the bulk loads whose rows are mapped in Node byte by byte: a row is an int16 field
 * count, then each field as an int32 length (-1: NULL) and the value in the type's binary send/receive
 * form, all big-endian. PostgreSQL then reads each value as it is instead of parsing its text
 * (timestamptz_in, numeric_in, int4in are most of a text COPY's work in the backend).
 *
 * The writers put bytes into a Buffer at a position and return the position after them; the caller
 * reserves the room (no value written here is longer than 8 bytes more than its text).
 */

/** The file header: signature, flags (no OIDs), no header extension. Once at the start of a COPY. */
export const BINARY_COPY_HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
/** The file trailer (a field count of -1). Once at the end of a COPY. */
export const BINARY_COPY_TRAILER = Buffer.from([0xff, 0xff]);

/** PostgreSQL's timestamps count microseconds from 2000-01-01 00:00 UTC: that day, counted from 1970-01-01. */
const POSTGRES_EPOCH_DAY = 10957;
const MICROS_PER_DAY = 86_400_000_000;
const TWO_32 = 4294967296;

/** Days from 1970-01-01 to the proleptic Gregorian date (any year; Howard Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function putInt16(o: Buffer, n: number, v: number): number {
  o[n] = (v >>> 8) & 0xff;
  o[n + 1] = v & 0xff;
  return n + 2;
}

export function putInt32(o: Buffer, n: number, v: number): number {
  o[n] = (v >>> 24) & 0xff;
  o[n + 1] = (v >>> 16) & 0xff;
  o[n + 2] = (v >>> 8) & 0xff;
  o[n + 3] = v & 0xff;
  return n + 4;
}

/** An int64 given as a JavaScript integer (exact within ±2^53). */
function putInt64(o: Buffer, n: number, v: number): number {
  const high = Math.floor(v / TWO_32);
  putInt32(o, n, high | 0);
  return putInt32(o, n + 4, v - high * TWO_32);
}

/** A NULL field. */
export function putNullField(o: Buffer, n: number): number {
  return putInt32(o, n, -1);
}

/** An int4 field. */
export function putInt4Field(o: Buffer, n: number, v: number): number {
  return putInt32(o, putInt32(o, n, 4), v);
}

/** An int8 field (an integer within ±2^53: sequence values). */
export function putInt8Field(o: Buffer, n: number, v: number): number {
  return putInt64(o, putInt32(o, n, 8), v);
}

/** A boolean field. */
export function putBoolField(o: Buffer, n: number, v: boolean): number {
  n = putInt32(o, n, 1);
  o[n] = v ? 1 : 0;
  return n + 1;
}

/** A text field whose value is b[s, e) (UTF-8; PostgreSQL checks the encoding). */
export function putTextField(o: Buffer, n: number, b: Uint8Array, s: number, e: number): number {
  n = putInt32(o, n, e - s);
  if (e - s > 48) o.set(b.subarray(s, e), n);
  else for (let k = s; k < e; k++) o[n + k - s] = b[k];
  return n + e - s;
}

/**
 * A timestamptz field: a UTC date and time of day, `micros` the microseconds within the second (0 to
 * 999999). Years 1 to 9999; outside ±285 years of 2000 the microsecond count leaves a double's exact
 * range and BigInt takes it.
 */
export function putTimestampField(o: Buffer, n: number, year: number, month: number, day: number, hour: number, minute: number, second: number, micros: number): number {
  n = putInt32(o, n, 8);
  const days = daysFromCivil(year, month, day) - POSTGRES_EPOCH_DAY;
  const inDay = ((hour * 60 + minute) * 60 + second) * 1_000_000 + micros;
  if (Math.abs(days) < 100_000) return putInt64(o, n, days * MICROS_PER_DAY + inDay);
  o.writeBigInt64BE(BigInt(days) * BigInt(MICROS_PER_DAY) + BigInt(inDay), n);
  return n + 8;
}

const NUMERIC_POSITIVE = 0x0000;
const NUMERIC_NEGATIVE = 0x4000;
/** numeric_recv's limits: a display scale of 14 bits, a weight (base-10000 digits before the point, less one) of 16 bits. */
const MAX_DSCALE = 0x3fff;

/**
 * A numeric field for the decimal text b[s, e): `-?digits(.digits)?`, ASCII, no exponent (the caller
 * checks the form). Base-10000 digits, the weight of the first, the sign and the display scale (the
 * fraction digits as written, as numeric_in keeps them: `12.50` stays 12.50). Zero is positive (as
 * numeric_in makes `-0`). Throws for a value numeric cannot hold, as PostgreSQL would.
 */
export function putNumericField(o: Buffer, n: number, b: Uint8Array, s: number, e: number): number {
  const negative = b[s] === 0x2d;
  let i = negative ? s + 1 : s;
  let point = i;
  while (point < e && b[point] !== 0x2e) point++;
  const fractionFrom = point < e ? point + 1 : e;
  const dscale = e - fractionFrom;
  while (i < point && b[i] === 0x30) i++; // leading zeros
  const intDigits = point - i;
  // base-10000 digits: the integer part right-aligned to groups of four, the fraction left-aligned
  const intGroups = Math.ceil(intDigits / 4);
  const groups = intGroups + Math.ceil(dscale / 4);
  const weight = intGroups - 1;
  if (dscale > MAX_DSCALE || weight > 32767) throw new RangeError(`numeric value ${Buffer.from(b.subarray(s, e)).toString('latin1').slice(0, 40)}… is out of PostgreSQL's range`);
  const lengthAt = n;
  n += 4 + 8; // the length and the header, written once the digits are known
  let first = -1; // index of the first non-zero group
  let last = -1;
  let written = 0;
  for (let g = 0; g < groups; g++) {
    let value = 0;
    for (let k = 0; k < 4; k++) {
      // digit position p counted from the first of the int part's padded groups
      const p = g * 4 + k - (intGroups * 4 - intDigits);
      let c = 0;
      if (g < intGroups) c = p >= 0 ? b[i + p] - 0x30 : 0;
      else {
        const f = (g - intGroups) * 4 + k;
        c = f < dscale ? b[fractionFrom + f] - 0x30 : 0;
      }
      value = value * 10 + c;
    }
    if (value !== 0) {
      if (first < 0) first = g;
      last = g;
    }
    if (first >= 0) {
      n = putInt16(o, n, value);
      written++;
    }
  }
  const ndigits = first < 0 ? 0 : last - first + 1;
  n -= (written - ndigits) * 2; // trailing zero groups
  putInt32(o, lengthAt, 8 + 2 * ndigits);
  putInt16(o, lengthAt + 4, ndigits);
  putInt16(o, lengthAt + 6, ndigits === 0 ? 0 : weight - first);
  putInt16(o, lengthAt + 8, ndigits === 0 || !negative ? NUMERIC_POSITIVE : NUMERIC_NEGATIVE);
  putInt16(o, lengthAt + 10, dscale);
  return n;
}

/**
 * A uuid as the 16 bytes of a uuid field's value, from its text (hex digits, hyphens anywhere, as
 * uuid_in takes the canonical form); throws for anything else.
 */
export function uuidBytes(text: string): Buffer {
  const hex = text.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError(`${JSON.stringify(text)} is not a uuid`);
  return Buffer.from(hex, 'hex');
}
