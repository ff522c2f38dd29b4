import fc from 'fast-check';
import { parse } from 'lossless-json';
import { sampleDayCalls } from '../../src/demo/sample-day';
import { IdHashes, Utf8Bytes } from '../../src/microsoft-logs/copy-buffers';
import { guessSource, toStoredRow } from '../../src/microsoft-logs/graph-row';
import { MicrosoftSource } from '../../src/microsoft-logs/microsoft-call-row.entity';
import { documentElementBounds, endDirectRow, endStagedRow, pageRowBounds, repeatsId, rowBounds, startDayKey, writeTypedColumns } from '../../src/microsoft-logs/ndjson-bytes';
import { DirectRowHead, putDirectRow, READ, rowText, scanRow, stageLine } from '../../src/microsoft-logs/ndjson-row';

// The byte path (ndjson-bytes.ts) may decline any line, but a line it takes must come out exactly as
// the string path writes it: scanRow (or lossless-json) + toStoredRow + putDirectRow / stageLine.
// A direct row is binary COPY: both are compared as bytes (latin1 text, one character a byte).

const TENANT = '4a5e8f0c-2b7d-4c1e-9f3a-6d8b0e2c4a71';

/** The string path's COPY data for a line (direct: a binary row, ending with raw batch 77, line 5), or null when it does not store the row. */
/** The stored start time's UTC day as yyyymmdd, -1 for none (what an import records for the nightly). */
const dayOf = (startTime: string | null) => (startTime === null ? -1 : Number(new Date(startTime).toISOString().slice(0, 10).replace(/-/g, '')));

function stringPath(text: string, forced: MicrosoftSource | undefined, mode: 'direct' | 'stage'): { copy: string; id: string; day: number } | null {
  const scanned = scanRow(text);
  let value: unknown;
  if (scanned) value = scanned.fields;
  else {
    try {
      value = parse(text);
    } catch {
      return null;
    }
  }
  const source = forced ?? (scanned ? scanned.guessedSource : value !== null && typeof value === 'object' && !Array.isArray(value) ? guessSource(value as Record<string, unknown>) : 'pstn');
  const r = toStoredRow(value, source);
  if (!r.ok) return null;
  return { copy: mode === 'direct' ? directRow(r.row) : stageLine(12, r.row, rowText(text)), id: r.row.id, day: dayOf(r.row.start_time) };
}

function directRow(row: Parameters<typeof putDirectRow>[2]): string {
  const out = new Utf8Bytes(16);
  putDirectRow(out, new DirectRowHead(TENANT), row, '77', 5);
  return out.bytes().toString('latin1');
}

const stringPathId = (line: Buffer, forced: MicrosoftSource | undefined) => stringPath(line.toString('utf8'), forced, 'direct')?.id ?? '(no row)';

/** The byte path's COPY text for the same line, as mapBatch puts it together, or null when it declines (and then wrote nothing). */
function bytePath(line: Buffer, forced: MicrosoftSource | undefined, mode: 'direct' | 'stage'): { copy: string; id: string; day: number } | null {
  const out = new Utf8Bytes(16);
  out.add('before|');
  const prefix = mode === 'direct' ? new DirectRowHead(TENANT) : Buffer.from('12');
  // the line sits inside a larger buffer, as it does in the reader's
  const b = Buffer.concat([Buffer.from('xx\n'), line, Buffer.from('\nyy')]);
  const start = 3;
  const end = 3 + line.length;
  if (!writeTypedColumns(b, start, end, forced, out, prefix)) {
    expect(out.bytes().toString()).toBe('before|');
    return null;
  }
  const day = startDayKey(b);
  // the id is hashed from its bytes as the string path hashes its characters
  const ids = new IdHashes();
  ids.add(stringPathId(line, forced));
  const id = repeatsId(ids, b) ? stringPathId(line, forced) : '(another id)';
  const [a, z] = rowBounds(b, start, end);
  if (mode === 'direct') {
    const raw = new Utf8Bytes(16);
    endDirectRow(out, raw, b, a, z, '77', 5);
    expect(raw.bytes().toString()).toBe(rowText(line.toString('utf8'))); // the raw batch's line: the row's text
  } else endStagedRow(out, b, a, z);
  const text = out.bytes().toString(mode === 'direct' ? 'latin1' : 'utf8');
  expect(text.startsWith('before|')).toBe(true);
  return { copy: text.slice('before|'.length), id, day };
}

function expectSame(line: Buffer, forced?: MicrosoftSource): boolean {
  let taken = false;
  for (const mode of ['direct', 'stage'] as const) {
    const bytes = bytePath(line, forced, mode);
    if (bytes === null) continue;
    taken = true;
    expect(bytes).toEqual(stringPath(line.toString('utf8'), forced, mode));
  }
  return taken;
}

const timestamp = fc.oneof(
  { weight: 4, arbitrary: fc.date({ min: new Date(Date.UTC(1, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true }).chain((d) =>
    fc.stringMatching(/^(\.\d{1,9})?$/).map((frac) => `${d.toISOString().slice(0, 19)}${frac}Z`)) },
  { weight: 1, arbitrary: fc.constantFrom('0001-01-01T00:00:00Z', '2024-02-29T23:59:59.9999999Z', '2023-02-29T00:00:00Z', '2026-13-01T00:00:00Z',
    '2026-03-01T24:00:00Z', '2026-03-01T10:00:00', '2026-03-01T10:00:00.Z', '2026-03-01T12:00:00.1234567+02:00', '', ' ',
    '2026-03-01 10:00:00Z', '0000-03-01T10:00:00Z', '2026-03-01T10:00:00.000000Z', '2026-03-01T10:00:00.000100Z', '2026-03-01T10:00:00.120Z', '２026-03-01T10:00:00Z') },
);
const jsonNumber = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -100_000, max: 100_000 }).map(String) },
  { weight: 1, arbitrary: fc.integer({ min: -3_000_000_000, max: 3_000_000_000 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('0', '-0', '60.0', '1.5E-7', '2E+2', '-12.50', '0.1234567890123456789012345', '2147483647', '2147483648', '-2147483648', '12345678901') },
  { weight: 2, arbitrary: fc.tuple(fc.nat(99999), fc.nat(999999)).map(([a, b]) => `${a}.${b}`) },
);
const text = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[A-Za-z0-9 +@._:-]{0,20}$/) },
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('Zoë Ångström', '日本', '𝄞', 'a\\"b', 'tab\\there', '\\u0041', ' ', '   ', '[Bot] {curly}'),
);
const jsonString = text.map((t) => (/^[\x20-\x7e\u00a0-\uffff]*$/.test(t) && !/["\\]/.test(t) ? `"${t}"` : JSON.stringify(t)));
/** Some values carry a hand-written escape (`\\"` above is already JSON). */
const rawString = fc.oneof(jsonString, text.filter((t) => !/["\n\r\t\u0000-\u001f]/.test(t) || t.includes('\\')).map((t) => `"${t}"`));
const nested = fc.constantFrom('{"a":[1,-2.5e-3,{"b":null,"c":[true,false]}],"d":"x\\n"}', '{}', '[]', '[[[]]]', '{"k":"v"}');
const value = fc.oneof(
  { weight: 4, arbitrary: rawString },
  { weight: 3, arbitrary: timestamp.map((t) => JSON.stringify(t)) },
  { weight: 3, arbitrary: jsonNumber },
  { weight: 1, arbitrary: fc.constantFrom('true', 'false', 'null') },
  { weight: 1, arbitrary: nested },
);
const key = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...READ) },
  { weight: 2, arbitrary: fc.constantFrom('extra', 'trunkFullyQualifiedDomainName', 'é', 'id ') },
  { weight: 1, arbitrary: fc.constant('ch\\u0061rge') },
);
/** A value of the kind the field holds, most of the time (so that many lines are plain), any value otherwise. */
const FIELD_KIND: Record<string, fc.Arbitrary<string>> = {
  startDateTime: timestamp.map((t) => JSON.stringify(t)),
  endDateTime: timestamp.map((t) => JSON.stringify(t)),
  duration: jsonNumber,
  finalSipCode: jsonNumber,
  charge: jsonNumber,
  connectionCharge: jsonNumber,
  successfulCall: fc.constantFrom('true', 'false', 'null'),
};
const member = key.chain((k) => fc.tuple(fc.constant(k), fc.oneof({ weight: 5, arbitrary: FIELD_KIND[k] ?? rawString }, { weight: 1, arbitrary: value })));
const space = fc.constantFrom('', '', '', ' ', '\t', ' \r');

const lineArb = fc
  .record({
    id: fc.oneof({ weight: 6, arbitrary: fc.uuid().map((u) => `"${u}"`) }, { weight: 1, arbitrary: value }),
    fields: fc.oneof(
      { weight: 5, arbitrary: fc.uniqueArray(member, { selector: ([k]) => k, maxLength: 14 }) },
      { weight: 1, arbitrary: fc.array(member, { maxLength: 14 }) },
    ),
    spaces: fc.array(space, { minLength: 8, maxLength: 8 }),
    trailing: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('', ' ', '\r') }, { weight: 1, arbitrary: fc.constantFrom('x', ',', '}') }),
    broken: fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat(400) }), // a byte replaced, sometimes
  })
  .map(({ id, fields, spaces, trailing, broken }) => {
    const [a, b, c, d] = spaces;
    const members = [`"id"${a}:${b}${id}`, ...fields.map(([k, v], i) => `"${k}"${spaces[i % 8]}:${v}`)];
    const bytes = Buffer.from(`${c}{${b}${members.join(`${d},`)}${a}}${trailing}`);
    if (broken !== null && bytes.length > 0) bytes[broken % bytes.length] = [0xff, 0xc3, 0x80, 0x22, 0x5c, 0x09][broken % 6];
    return bytes;
  });

describe('NDJSON lines: the byte path writes what the string path writes', () => {
  it('for random lines of Graph fields, values of every kind, spacing and broken bytes (direct and staged, each source)', () => {
    let taken = 0;
    fc.assert(
      fc.property(lineArb, fc.constantFrom<MicrosoftSource | undefined>(undefined, 'pstn', 'direct-routing'), (line, forced) => {
        if (expectSame(line, forced)) taken++;
      }),
      { numRuns: 4000 },
    );
    expect(taken).toBeGreaterThan(800); // it is not declining everything
  });

  it('takes every line of a generated day, the plain Graph rows of both logs', () => {
    let lines = 0;
    for (const call of sampleDayCalls({ rows: 3000, dayStartMs: Date.UTC(2026, 10, 1), tenants: [TENANT], operator: 'Bench Telecom', seed: 9, recordPrefix: 'T' })) {
      if (!call.microsoft) continue;
      lines++;
      expect(expectSame(Buffer.from(call.microsoft.json))).toBe(true);
    }
    const directRouting = '{"id":"dr-1","correlationId":"k1","successfulCall":false,"finalSipCode":486,"startDateTime":"2026-03-01T10:00:00.1234567Z","callType":"ByotIn","trunkFullyQualifiedDomainName":"sbc.example"}';
    expect(expectSame(Buffer.from(directRouting))).toBe(true);
    expect(lines).toBeGreaterThan(2900);
  });

  it('declines what only the string path can map or report', () => {
    const declined = [
      '{"id":"a","charge":1.5E-7}', // exponent: shifted in text
      '{"id":"a","duration":"45"}', // a number as a string
      '{"id":"a","duration":-0}', // written 0
      '{"id":"a","startDateTime":"2026-03-01T12:00:00+02:00"}', // an offset
      '{"id":"a","userDisplayName":"a\\"b"}', // an escape
      '{"id":"a","callId":"x","callId":"y"}', // a key twice
      '{"id":"   "}', // blank id
      '{"id":42}', // not a string id
      '{"id":"é"}', // non-ASCII id (hashed as characters)
      '{"callId":"no id"}',
      '[1,2]',
    ];
    for (const line of declined) expect(bytePath(Buffer.from(line), undefined, 'direct')).toBeNull();
    const invalidUtf8 = Buffer.concat([Buffer.from('{"id":"a","userDisplayName":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    expect(bytePath(invalidUtf8, undefined, 'direct')).toBeNull();
  });
});

describe('Graph pages: where the rows are, in the bytes', () => {
  const rowsOf = (page: string) => {
    const b = Buffer.from(page);
    const bounds = pageRowBounds(b, 0, b.length);
    return bounds && Array.from({ length: bounds.length / 2 }, (_, k) => b.toString('utf8', bounds[2 * k], bounds[2 * k + 1]));
  };

  it.each([
    ['a page', '{"@odata.context":"x","@odata.count":2,"value":[{"id":"a"},{"id":"b"}],"@odata.nextLink":"https://n"}', ['{"id":"a"}', '{"id":"b"}']],
    ['spread over lines, rows as json_array_elements gives them', '{ "value" : [\n  {"id" : "a",\n   "x":[1, {"y":"]"}]} ,\n\t{"id":"é"}\n ] }\n', ['{"id" : "a",\n   "x":[1, {"y":"]"}]}', '{"id":"é"}']],
    ['no rows', '{"value":[]}', []],
    ['rows that are not objects (the byte path declines them later)', '{"value":[1,null,"s"]}', ['1', 'null', '"s"']],
  ])('%s', (_, page, rows) => expect(rowsOf(page)).toEqual(rows));

  it.each([
    ['value twice', '{"value":[{"id":"a"}],"value":[]}'],
    ['value not an array', '{"value":{"id":"a"}}'],
    ['no value', '{"@odata.count":0}'],
    ['a key with an escape', '{"v\\u0061lue":[{"id":"a"}]}'],
    ['not an object', '[{"id":"a"}]'],
    ['cut off', '{"value":[{"id":"a"}'],
    ['something after it', '{"value":[]} x'],
  ])('leaves to the SQL path: %s', (_, page) => expect(rowsOf(page)).toBeNull());

  it('finds the elements of a saved array of pages or rows, and nothing in any other document', () => {
    const elementsOf = (doc: string) => {
      const b = Buffer.from(doc);
      const bounds = documentElementBounds(b, 0, b.length);
      return bounds && Array.from({ length: bounds.length / 2 }, (_, k) => b.toString('utf8', bounds[2 * k], bounds[2 * k + 1]));
    };
    expect(elementsOf(' [ {"value":[1]} ,\n{"value":[]}\t] \n')).toEqual(['{"value":[1]}', '{"value":[]}']);
    expect(elementsOf('[]')).toEqual([]);
    for (const doc of ['{"value":[]}', '[1,]', '[1] [2]', '[{"a":"\\x"}]']) expect(elementsOf(doc)).toBeNull();
  });
});
