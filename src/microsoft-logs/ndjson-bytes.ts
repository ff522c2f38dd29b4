import { BINARY_COPY_HEADER, BINARY_COPY_TRAILER, putBoolField, putInt4Field, putInt8Field, putNullField, putNumericField, putTextField, putTimestampField } from '../database/copy-binary';
import { IdHashes, Utf8Bytes } from './copy-buffers';
import { MicrosoftSource } from './microsoft-call-row.entity';
import { MAX_ID_BYTES } from './graph-row';
import { DIRECT_ROUTING, DirectRowHead, READ } from './ndjson-row';

/**
 * The fastest path of an NDJSON import: a line's bytes, as read from the file, straight to COPY data,
 * with no string made on the way (the UTF-8 bytes of a JSON string are already its value when it
 * holds no escape: JSON forbids raw control characters in strings). A row for the stage is COPY text;
 * a row straight into microsoft_call_rows is binary COPY (src/database/copy-binary.ts), which spares
 * the backend parsing its timestamps, money and integers (the import's critical path). It writes exactly what the string
 * path writes (scanRow, toStoredRow, putDirectRow/stageLine in ndjson-row.ts) for the lines it takes,
 * and takes only the plain ones: every row it would have to reject, and every value the string path
 * would have to transform beyond truncating a timestamp (an escape, an exponent, money or a duration
 * given as a string, an offset, a line that is not valid UTF-8, a key given twice), is left to the
 * string path, which decodes the line and reports or maps it. test/small/ndjson-bytes.spec.ts holds
 * the two paths to the same output.
 */

const ABSENT = 0;
const STR = 1;
const NUM = 2;
const TRUE = 3;
const FALSE = 4;
const NULL = 5;

const ID = 0;
const CALL_ID = 1;
const CORRELATION_ID = 2;

/** The READ names as bytes, and the positions of the names of each length. */
const NAMES = READ.map((name) => Buffer.from(name, 'latin1'));
const BY_LENGTH: number[][] = [];
READ.forEach((name, at) => (BY_LENGTH[name.length] ??= []).push(at));

/** Per READ field of the line scanned last: its kind, where its value is (inside the quotes for a string), a number's form. */
const kind = new Uint8Array(READ.length);
const from = new Int32Array(READ.length);
const to = new Int32Array(READ.length);
const numberForm = new Uint8Array(READ.length);
const FRACTION = 1;
const EXPONENT = 2;

/** Set by stringEnd: the string held an escape. Set by numberEnd: FRACTION | EXPONENT. */
let escaped = false;
let form = 0;

const PSTN_BYTES = Buffer.from('pstn');
const DIRECT_ROUTING_BYTES = Buffer.from('direct-routing');
const TRUE_BYTES = Buffer.from('true');
const FALSE_BYTES = Buffer.from('false');
const NULL_BYTES = Buffer.from('null');

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);

function ws(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i];
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
    else break;
  }
  return i;
}

/** Length of the well-formed UTF-8 sequence of two to four bytes at `j`, or 0 (as the WHATWG decoder Node uses judges it). */
function utf8Sequence(b: Uint8Array, j: number, end: number): number {
  const c = b[j];
  if (c >= 0xc2 && c <= 0xdf) return j + 1 < end && (b[j + 1] & 0xc0) === 0x80 ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (j + 2 >= end) return 0;
    const d = b[j + 1];
    const low = c === 0xe0 ? 0xa0 : 0x80;
    const high = c === 0xed ? 0x9f : 0xbf;
    return d >= low && d <= high && (b[j + 2] & 0xc0) === 0x80 ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (j + 3 >= end) return 0;
    const d = b[j + 1];
    const low = c === 0xf0 ? 0x90 : 0x80;
    const high = c === 0xf4 ? 0x8f : 0xbf;
    return d >= low && d <= high && (b[j + 2] & 0xc0) === 0x80 && (b[j + 3] & 0xc0) === 0x80 ? 4 : 0;
  }
  return 0;
}

/** End (after the closing quote) of the string whose opening quote is at `i`, or -1; sets `escaped`. */
function stringEnd(b: Uint8Array, i: number, end: number): number {
  escaped = false;
  let j = i + 1;
  while (j < end) {
    const c = b[j];
    if (c === 0x22) return j + 1;
    if (c === 0x5c) {
      const d = j + 1 < end ? b[j + 1] : -1;
      if (d === 0x22 || d === 0x5c || d === 0x2f || d === 0x62 || d === 0x66 || d === 0x6e || d === 0x72 || d === 0x74) j += 2;
      else if (d === 0x75 && j + 5 < end && isHex(b[j + 2]) && isHex(b[j + 3]) && isHex(b[j + 4]) && isHex(b[j + 5])) j += 6;
      else return -1;
      escaped = true;
    } else if (c < 0x20) return -1;
    else if (c < 0x80) j++;
    else {
      const n = utf8Sequence(b, j, end);
      if (n === 0) return -1;
      j += n;
    }
  }
  return -1;
}

/** End of the JSON number at `i` (the longest prefix that is one, as ndjson-row's NUMBER finds it), or -1; sets `form`. */
function numberEnd(b: Uint8Array, i: number, end: number): number {
  form = 0;
  let j = i;
  if (b[j] === 0x2d) j++;
  if (j >= end) return -1;
  if (b[j] === 0x30) j++;
  else if (b[j] >= 0x31 && b[j] <= 0x39) {
    j++;
    while (j < end && isDigit(b[j])) j++;
  } else return -1;
  if (j + 1 < end && b[j] === 0x2e && isDigit(b[j + 1])) {
    j += 2;
    while (j < end && isDigit(b[j])) j++;
    form |= FRACTION;
  }
  if (j < end && (b[j] === 0x65 || b[j] === 0x45)) {
    let k = j + 1;
    if (k < end && (b[k] === 0x2b || b[k] === 0x2d)) k++;
    if (k < end && isDigit(b[k])) {
      while (k < end && isDigit(b[k])) k++;
      j = k;
      form |= EXPONENT;
    }
  }
  return j;
}

function literalEnd(b: Uint8Array, i: number, end: number, word: Buffer): number {
  if (i + word.length > end) return -1;
  for (let k = 1; k < word.length; k++) if (b[i + k] !== word[k]) return -1;
  return i + word.length;
}

/** End of the JSON value at `i`, or -1 (as ndjson-row's valueEnd). */
function valueEnd(b: Uint8Array, i: number, end: number, depth: number): number {
  if (i >= end) return -1;
  const c = b[i];
  if (c === 0x22) return stringEnd(b, i, end);
  if (c === 0x2d || isDigit(c)) return numberEnd(b, i, end);
  if (c === 0x74) return literalEnd(b, i, end, TRUE_BYTES);
  if (c === 0x66) return literalEnd(b, i, end, FALSE_BYTES);
  if (c === 0x6e) return literalEnd(b, i, end, NULL_BYTES);
  if (depth > 64 || (c !== 0x7b && c !== 0x5b)) return -1;
  const object = c === 0x7b;
  const close = object ? 0x7d : 0x5d;
  let j = ws(b, i + 1, end);
  if (j < end && b[j] === close) return j + 1;
  for (;;) {
    if (object) {
      if (j >= end || b[j] !== 0x22) return -1;
      j = stringEnd(b, j, end);
      if (j < 0) return -1;
      j = ws(b, j, end);
      if (j >= end || b[j] !== 0x3a) return -1;
      j = ws(b, j + 1, end);
    }
    j = valueEnd(b, j, end, depth + 1);
    if (j < 0) return -1;
    j = ws(b, j, end);
    if (j >= end) return -1;
    if (b[j] === close) return j + 1;
    if (b[j] !== 0x2c) return -1;
    j = ws(b, j + 1, end);
  }
}

/** Position in READ of the key b[s, e), or -1. */
function keyPosition(b: Uint8Array, s: number, e: number): number {
  const candidates = BY_LENGTH[e - s];
  if (candidates === undefined) return -1;
  next: for (const at of candidates) {
    const name = NAMES[at];
    for (let k = 0; k < name.length; k++) if (b[s + k] !== name[k]) continue next;
    return at;
  }
  return -1;
}

/** Reads the line's READ fields into kind/from/to; false when the string path must read the line. */
function scan(b: Uint8Array, start: number, end: number): boolean {
  kind.fill(ABSENT);
  let i = ws(b, start, end);
  if (i >= end || b[i] !== 0x7b) return false;
  i = ws(b, i + 1, end);
  if (i < end && b[i] === 0x7d) i++;
  else {
    for (;;) {
      if (i >= end || b[i] !== 0x22) return false;
      const keyEnd = stringEnd(b, i, end);
      if (keyEnd < 0 || escaped) return false;
      const at = keyPosition(b, i + 1, keyEnd - 1);
      i = ws(b, keyEnd, end);
      if (i >= end || b[i] !== 0x3a) return false;
      i = ws(b, i + 1, end);
      const valueTo = valueEnd(b, i, end, 0);
      if (valueTo < 0) return false;
      if (at >= 0) {
        if (kind[at] !== ABSENT) return false; // given twice
        const c = b[i];
        if (c === 0x22) {
          if (escaped) return false;
          kind[at] = STR;
          from[at] = i + 1;
          to[at] = valueTo - 1;
        } else if (c === 0x74) kind[at] = TRUE;
        else if (c === 0x66) kind[at] = FALSE;
        else if (c === 0x6e) kind[at] = NULL;
        else if (c === 0x7b || c === 0x5b) return false;
        else {
          kind[at] = NUM;
          from[at] = i;
          to[at] = valueTo;
          numberForm[at] = form;
        }
      }
      i = ws(b, valueTo, end);
      if (i >= end) return false;
      if (b[i] === 0x7d) {
        i++;
        break;
      }
      if (b[i] !== 0x2c) return false;
      i = ws(b, i + 1, end);
    }
  }
  return ws(b, i, end) === end;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/**
 * The output being written: `o` the buffer, `n` the length. Every write below is within the room
 * reserved for the row (twice the line plus a margin: no value written is longer than its text in the line).
 */
let o: Buffer = Buffer.alloc(0);
let n = 0;
/** The row being written goes out in binary COPY format (a direct row) rather than COPY text (a staged one). */
let binary = false;

function put(b: Uint8Array, s: number, e: number): void {
  if (e - s > 48) {
    o.set(b.subarray(s, e), n);
    n += e - s;
  } else for (let k = s; k < e; k++) o[n++] = b[k];
}

function putNull(): void {
  if (binary) n = putNullField(o, n);
  else {
    o[n++] = 0x5c;
    o[n++] = 0x4e;
  }
}

/** A text value b[s, e) (its bytes are its COPY text: see the top of this file). */
function putString(b: Uint8Array, s: number, e: number): void {
  if (binary) n = putTextField(o, n, b, s, e);
  else put(b, s, e);
}

/** A text column (toStoredRow's str): a string as it is, a number's text, true or false as words. */
function putText(b: Uint8Array, at: number): void {
  const k = kind[at];
  if (k === STR || k === NUM) putString(b, from[at], to[at]);
  else if (k === TRUE) putString(TRUE_BYTES, 0, 4);
  else if (k === FALSE) putString(FALSE_BYTES, 0, 5);
  else putNull();
}

const digit = (b: Uint8Array, i: number) => b[i] - 0x30;
const twoDigits = (b: Uint8Array, i: number) => (isDigit(b[i]) && isDigit(b[i + 1]) ? digit(b, i) * 10 + digit(b, i + 1) : -1);

/** A timestamp column (graphTimestamp's fast case: UTC with Z, truncated to the microsecond); false for any other. */
function putTimestamp(b: Uint8Array, at: number): boolean {
  const k = kind[at];
  if (k === ABSENT || k === NULL) {
    putNull();
    return true;
  }
  if (k !== STR) return false;
  const s = from[at];
  const len = to[at] - s;
  if (len < 20 || len > 30 || len === 21 || b[s + len - 1] !== 0x5a) return false;
  if (b[s + 4] !== 0x2d || b[s + 7] !== 0x2d || b[s + 10] !== 0x54 || b[s + 13] !== 0x3a || b[s + 16] !== 0x3a) return false;
  if (len > 20 && b[s + 19] !== 0x2e) return false;
  for (let i = 20; i < len - 1; i++) if (!isDigit(b[s + i])) return false;
  const c = twoDigits(b, s);
  const y = twoDigits(b, s + 2);
  const mo = twoDigits(b, s + 5);
  const d = twoDigits(b, s + 8);
  const h = twoDigits(b, s + 11);
  const mi = twoDigits(b, s + 14);
  const sec = twoDigits(b, s + 17);
  if (c < 0 || y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) return false;
  const year = c * 100 + y;
  if (year === 0 || d > (mo === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[mo - 1])) return false; // year 0: the string path rejects it
  if (year === 1) {
    putNull(); // Graph's "no time"
    return true;
  }
  // the fraction, truncated to 6 digits
  const digits = Math.min(len - 21, 6);
  if (binary) {
    let micros = 0;
    for (let i = 0; i < 6; i++) micros = micros * 10 + (i < digits ? digit(b, s + 20 + i) : 0);
    n = putTimestampField(o, n, year, mo, d, h, mi, sec, micros);
    return true;
  }
  put(b, s, s + 19);
  // in text, 000000 is left out, a trailing 000 too
  let nonZero = false;
  let lastThreeZero = true;
  for (let i = 0; i < digits; i++) {
    if (b[s + 20 + i] !== 0x30) {
      nonZero = true;
      if (i >= 3) lastThreeZero = false;
    }
  }
  if (nonZero) {
    o[n++] = 0x2e;
    const written = lastThreeZero ? 3 : 6;
    for (let i = 0; i < written; i++) o[n++] = i < digits ? b[s + 20 + i] : 0x30;
  }
  o[n++] = 0x5a;
  return true;
}

/** An integer column (toStoredRow's int): a JSON integer within PostgreSQL's range, as written; false for any other. */
function putInteger(b: Uint8Array, at: number): boolean {
  const k = kind[at];
  if (k === ABSENT || k === NULL) {
    putNull();
    return true;
  }
  if (k !== NUM || numberForm[at] !== 0) return false;
  const s = from[at];
  const e = to[at];
  const negative = b[s] === 0x2d;
  const digits = e - s - (negative ? 1 : 0);
  if (digits > 10 || (negative && digits === 1 && b[e - 1] === 0x30)) return false; // "-0" is written 0
  let v = 0;
  for (let i = e - digits; i < e; i++) v = v * 10 + digit(b, i);
  if (v > 2147483647) return false;
  if (binary) n = putInt4Field(o, n, negative ? -v : v);
  else put(b, s, e);
  return true;
}

/** A money column (toStoredRow's money): a JSON number without an exponent, as written; false for any other. */
function putMoney(b: Uint8Array, at: number): boolean {
  const k = kind[at];
  if (k === ABSENT || k === NULL) {
    putNull();
    return true;
  }
  // a very long number is left to the string path, which rejects one numeric cannot hold
  if (k !== NUM || (numberForm[at] & EXPONENT) !== 0 || to[at] - from[at] > 1000) return false;
  if (binary) n = putNumericField(o, n, b, from[at], to[at]);
  else put(b, from[at], to[at]);
  return true;
}

/** A boolean column: true or false; false for any other value. */
function putBoolean(at: number): boolean {
  const k = kind[at];
  if (k === ABSENT || k === NULL) putNull();
  else if (k !== TRUE && k !== FALSE) return false;
  else if (binary) n = putBoolField(o, n, k === TRUE);
  else o[n++] = k === TRUE ? 0x74 : 0x66;
  return true;
}

/** The id: a string of ASCII characters, not only spaces (the string path reports or hashes any other). */
function plainId(b: Uint8Array): boolean {
  if (kind[ID] !== STR || to[ID] - from[ID] > MAX_ID_BYTES) return false; // a long id: the string path rejects it
  let blank = true;
  for (let i = from[ID]; i < to[ID]; i++) {
    const c = b[i];
    if (c >= 0x80) return false;
    if (c !== 0x20) blank = false;
  }
  return !blank;
}

/** Between two fields of COPY text (nothing in binary: each field is length-prefixed). */
const tab = () => {
  if (!binary) o[n++] = 0x09;
};

/**
 * Writes the line's typed columns (CALL_COLUMNS) at the end of `out`, after `prefix`: a staged row's
 * as COPY text (tab-separated, as ndjson-row's typedColumns writes them; `prefix` is the line number,
 * a tab follows it), a direct row's (`prefix` a DirectRowHead) in binary COPY format (as ndjson-row's
 * putDirectRow writes them). Returns false, leaving `out` as it was, when the string path must map
 * the line (then `repeatsId` tells whether the batch had its id).
 */
export function writeTypedColumns(b: Uint8Array, start: number, end: number, forced: MicrosoftSource | undefined, out: Utf8Bytes, prefix: Uint8Array | DirectRowHead): boolean {
  if (!scan(b, start, end) || !plainId(b)) return false;
  const pstn = (forced ?? (DIRECT_ROUTING.some((at) => kind[at] !== ABSENT) ? 'direct-routing' : 'pstn')) === 'pstn';
  binary = prefix instanceof DirectRowHead;
  const head = prefix instanceof DirectRowHead ? prefix.bytes : prefix;
  // room for the row: no value is written longer than its text in the line, plus a length or a tab each
  out.reserve(2 * (end - start) + head.length + 512);
  o = out.buffer;
  n = out.length;
  put(head, 0, head.length);
  tab();
  putString(b, from[ID], to[ID]);
  tab();
  if (pstn) putString(PSTN_BYTES, 0, PSTN_BYTES.length);
  else putString(DIRECT_ROUTING_BYTES, 0, DIRECT_ROUTING_BYTES.length);
  tab();
  putText(b, pstn ? CALL_ID : CORRELATION_ID);
  for (let at = 3; at <= 5; at++) {
    tab();
    putText(b, at); // userId, userPrincipalName, userDisplayName
  }
  tab();
  if (!putTimestamp(b, 6)) return false;
  tab();
  if (!putTimestamp(b, 7)) return false;
  tab();
  if (!putInteger(b, 8)) return false; // duration
  for (let at = 9; at <= 10; at++) {
    tab();
    if (!pstn) putNull(); // charge, connectionCharge: PSTN only
    else if (!putMoney(b, at)) return false;
  }
  for (let at = 11; at <= 23; at++) {
    tab();
    // currency, callType, callerNumber, calleeNumber, destination…, operator, callDurationSource, country codes: PSTN only but for 12-14
    if (pstn || (at >= 12 && at <= 14)) putText(b, at);
    else putNull();
  }
  tab();
  if (pstn) putNull();
  else if (!putBoolean(24)) return false;
  tab();
  if (pstn) putNull();
  else if (!putInteger(b, 25)) return false;
  out.length = n;
  return true;
}

/**
 * The UTC day the line last written (its bytes `b`) started on, as yyyymmdd, or -1 when it has no start
 * time (absent, null, or Graph's year-1 "no time"). writeTypedColumns checked the timestamp's form.
 */
export function startDayKey(b: Uint8Array): number {
  if (kind[6] !== STR) return -1;
  const s = from[6];
  const year = twoDigits(b, s) * 100 + twoDigits(b, s + 2);
  return year === 1 ? -1 : year * 10000 + twoDigits(b, s + 5) * 100 + twoDigits(b, s + 8);
}

/** Adds the id of the line last written (its bytes `b`) to the batch's ids; true when it was there (IdHashes.add). */
export function repeatsId(ids: IdHashes, b: Uint8Array): boolean {
  return ids.addAscii(b, from[ID], to[ID]);
}

/** The line without the JSON whitespace around it (rowText), as bytes: [rowFrom, rowTo). */
export function rowBounds(b: Uint8Array, start: number, end: number): [number, number] {
  let a = start;
  let z = end;
  while (a < z && (b[a] === 0x20 || b[a] === 0x09 || b[a] === 0x0a || b[a] === 0x0d)) a++;
  while (z > a && (b[z - 1] === 0x20 || b[z - 1] === 0x09 || b[z - 1] === 0x0a || b[z - 1] === 0x0d)) z--;
  return [a, z];
}

/**
 * Appends b[s, e) as one COPY text field (copyText: backslash, tab, CR and LF escaped), or with
 * `lineFeedAsSpace` each line feed as a space (a page row's text as a line of its raw batch: RAW_LINE).
 */
function putCopyField(out: Utf8Bytes, b: Uint8Array, s: number, e: number, lineFeedAsSpace = false): void {
  out.reserve(2 * (e - s));
  o = out.buffer;
  n = out.length;
  let run = s;
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (c === 0x5c || c === 0x09 || c === 0x0d || c === 0x0a) {
      put(b, run, i);
      if (c === 0x0a && lineFeedAsSpace) o[n++] = 0x20;
      else {
        o[n++] = 0x5c;
        o[n++] = c === 0x5c ? 0x5c : c === 0x09 ? 0x74 : c === 0x0d ? 0x72 : 0x6e;
      }
      run = i + 1;
    }
  }
  put(b, run, e);
  out.length = n;
}

/** Appends bytes as they are. */
function putBytes(out: Utf8Bytes, b: Uint8Array, s: number, e: number): void {
  out.reserve(e - s);
  o = out.buffer;
  n = out.length;
  put(b, s, e);
  out.length = n;
}

const VALUE_KEY = Buffer.from('value');

/**
 * The elements of the JSON array whose `[` is at `i`, pushed to `bounds` as [start, end) pairs (each
 * element's text without the whitespace around it, as json_array_elements gives it); returns the
 * position after the `]`, or -1.
 */
function arrayElements(b: Uint8Array, i: number, end: number, bounds: number[]): number {
  if (i >= end || b[i] !== 0x5b) return -1;
  i = ws(b, i + 1, end);
  if (i < end && b[i] === 0x5d) return i + 1;
  for (;;) {
    const elementEnd = valueEnd(b, i, end, 1);
    if (elementEnd < 0) return -1;
    bounds.push(i, elementEnd);
    i = ws(b, elementEnd, end);
    if (i >= end) return -1;
    if (b[i] === 0x5d) return i + 1;
    if (b[i] !== 0x2c) return -1;
    i = ws(b, i + 1, end);
  }
}

/** The elements of a document that is one JSON array (a saved array of pages or of rows), as arrayElements; null for any other. */
export function documentElementBounds(b: Uint8Array, start: number, end: number): number[] | null {
  const bounds: number[] = [];
  const after = arrayElements(b, ws(b, start, end), end, bounds);
  return after >= 0 && ws(b, after, end) === end ? bounds : null;
}

/**
 * Where the rows of a Graph page are, in its bytes: the elements of the top-level `value` array as
 * flat [start, end) pairs (arrayElements); null when the page is not one plain JSON object with one
 * `value` array (the page then takes the SQL path, which reads every page).
 */
export function pageRowBounds(b: Uint8Array, start: number, end: number): number[] | null {
  let i = ws(b, start, end);
  if (i >= end || b[i] !== 0x7b) return null;
  let rows: number[] | null = null;
  i = ws(b, i + 1, end);
  if (i < end && b[i] === 0x7d) return null;
  for (;;) {
    if (i >= end || b[i] !== 0x22) return null;
    const keyEnd = stringEnd(b, i, end);
    if (keyEnd < 0 || escaped) return null;
    const isValue = keyEnd - i - 2 === VALUE_KEY.length && VALUE_KEY.every((c, k) => b[i + 1 + k] === c);
    i = ws(b, keyEnd, end);
    if (i >= end || b[i] !== 0x3a) return null;
    i = ws(b, i + 1, end);
    if (isValue) {
      if (rows !== null) return null; // `value` twice
      rows = [];
      i = arrayElements(b, i, end, rows); // -1 when not an array
    } else i = valueEnd(b, i, end, 0);
    if (i < 0) return null;
    i = ws(b, i, end);
    if (i >= end) return null;
    if (b[i] === 0x7d) break;
    if (b[i] !== 0x2c) return null;
    i = ws(b, i + 1, end);
  }
  return ws(b, i + 1, end) === end ? rows : null;
}

/** Appends b[s, e) with each line feed written as a space (a page row as a line of its raw batch: RAW_LINE). */
function putRawLine(out: Utf8Bytes, b: Uint8Array, s: number, e: number): void {
  out.reserve(e - s);
  o = out.buffer;
  n = out.length;
  let run = s;
  // a native search within the row (an NDJSON line never holds a line feed; a page's row may)
  const row = b.subarray(s, e);
  for (let i = row.indexOf(0x0a); i >= 0; i = row.indexOf(0x0a, i + 1)) {
    put(b, run, s + i);
    o[n++] = 0x20;
    run = s + i + 1;
  }
  put(b, run, e);
  out.length = n;
}

const TAB_BYTE = Buffer.from('\t');
const LINE_FEED = Buffer.from('\n');

/**
 * Ends a row COPYed straight into microsoft_call_rows (DIRECT_COLUMNS), whose typed columns
 * writeTypedColumns wrote: its place, line `line` of raw batch `rawBatch`, in `copy`, and its text
 * b[s, e) as that line of `raw` (a line feed as a space: RAW_LINE).
 */
export function endDirectRow(copy: Utf8Bytes, raw: Utf8Bytes, b: Uint8Array, s: number, e: number, rawBatch: string, line: number): void {
  putRawPlace(copy, rawBatch, line);
  if (raw.length > 0) putBytes(raw, LINE_FEED, 0, 1);
  putRawLine(raw, b, s, e);
}

/** A direct row's last two fields (binary): raw_batch and raw_line. */
export function putRawPlace(copy: Utf8Bytes, rawBatch: string, line: number): void {
  copy.reserve(20);
  copy.length = putInt4Field(copy.buffer, putInt8Field(copy.buffer, copy.length, Number(rawBatch)), line);
}

/** Starts the binary COPY of a batch of direct rows (before its first row). */
export function startDirectCopy(copy: Utf8Bytes): void {
  putBytes(copy, BINARY_COPY_HEADER, 0, BINARY_COPY_HEADER.length);
}

/** Ends the binary COPY of a batch of direct rows (after its last row). */
export function endDirectCopy(copy: Utf8Bytes): void {
  putBytes(copy, BINARY_COPY_TRAILER, 0, BINARY_COPY_TRAILER.length);
}

/** Ends a row of the import's stage (STAGE_COLUMNS), whose typed columns writeTypedColumns wrote: its text b[s, e) as the last field (a line feed as a space). */
export function endStagedRow(copy: Utf8Bytes, b: Uint8Array, s: number, e: number): void {
  putBytes(copy, TAB_BYTE, 0, 1);
  putCopyField(copy, b, s, e, true);
  putBytes(copy, LINE_FEED, 0, 1);
}
