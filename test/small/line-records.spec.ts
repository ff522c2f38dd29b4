import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { Readable } from 'node:stream';
import { LineRecords, LineRecordScan, lineRecordParser } from '../../src/carrier-files/line-records';

/** What ingest keeps of a record stream: each non-blank record with the line it starts on (RecordSink's counting). */
function numbered(records: string[][]): Array<[number, string[]]> {
  const out: Array<[number, string[]]> = [];
  let next = 1;
  for (const fields of records) {
    const line = next;
    next += 1;
    for (const f of fields) next += f.split('\n').length - 1;
    if (!(fields.length === 1 && fields[0].trim() === '')) out.push([line, fields]);
  }
  return out;
}

const scan = (bytes: Buffer, cuts: number[] = []): LineRecords | null => {
  const s = new LineRecordScan();
  let at = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length]) {
    s.update(bytes.subarray(at, cut));
    at = cut;
  }
  return s.result();
};

/** The file's bytes, cut at the given offsets (a character may be split), through lineRecordParser. */
async function readLines(bytes: Buffer, delimiter: string, newline: LineRecords, cuts: number[]): Promise<string[][]> {
  const pieces: Buffer[] = [];
  let at = 0;
  for (const cut of [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b)) {
    pieces.push(bytes.subarray(at, cut));
    at = cut;
  }
  pieces.push(bytes.subarray(at));
  const { input, records } = lineRecordParser(delimiter, newline);
  const out: string[][] = [];
  Readable.from(pieces).pipe(input).pipe(records as unknown as NodeJS.WritableStream);
  for await (const r of records as unknown as AsyncIterable<string[]>) out.push(r);
  return out;
}

describe('LineRecordScan: when a file\'s records are its lines', () => {
  it.each([
    ['a,b\n1,2\n', '\n'],
    ['a,b\r\n1,2\r\n', '\r\n'],
    ['\ufeffa,b\r\n1,2', '\r\n'],
    ['a,b\n1,"2"\n', null], // a quote anywhere: csv-parse reads it
    ['a,b\r1,2\r', null], // \r alone ends csv-parse's first record
    ['a\rb,c\n1,2\n', null],
    ['a,b', null], // no line end at all
    ['', null],
  ])('%j -> %j', (text, expected) => {
    const bytes = Buffer.from(text, 'utf8');
    expect(scan(bytes)).toBe(expected);
    // The same answer however the bytes arrive.
    for (let cut = 1; cut < bytes.length; cut++) expect(scan(bytes, [cut])).toBe(expected);
  });
});

describe('lineRecordParser reads quote-free files as csv-parse does', () => {
  const field = fc.stringMatching(/^[a-z0-9 .:+éü€𝄞-]{0,8}$/);
  const fileArb = fc.record({
    delimiter: fc.constantFrom(',', ';', '\t', '|'),
    newline: fc.constantFrom<LineRecords>('\n', '\r\n'),
    bom: fc.boolean(),
    trailingNewline: fc.boolean(),
    // Rows of varying width, blank and blank-looking lines among them.
    rows: fc.array(fc.oneof({ weight: 8, arbitrary: fc.array(field, { minLength: 1, maxLength: 5 }) }, { weight: 1, arbitrary: fc.constantFrom([''], ['  ']) }), { minLength: 1, maxLength: 30 }),
    cuts: fc.array(fc.nat(2000), { maxLength: 6 }),
  });

  it('gives the same records on the same lines, whatever the chunk boundaries (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fileArb, async ({ delimiter, newline, bom, trailingNewline, rows, cuts }) => {
        const text = (bom ? '\ufeff' : '') + rows.map((r) => r.join(delimiter)).join(newline) + (trailingNewline ? newline : '');
        const bytes = Buffer.from(text, 'utf8');
        fc.pre(scan(bytes) === newline);
        const expected = parse(bytes, { delimiter, bom: true, relax_column_count: true, skip_records_with_error: true }) as string[][];
        expect(numbered(await readLines(bytes, delimiter, newline, cuts))).toEqual(numbered(expected));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a bare \\n inside a \\r\\n file in its field, as csv-parse does, and counts its line', async () => {
    const bytes = Buffer.from('h1,h2\r\nx\ny,z\r\n1,2\r\n', 'utf8');
    expect(scan(bytes)).toBe('\r\n');
    const expected = parse(bytes, { bom: true, relax_column_count: true }) as string[][];
    const got = await readLines(bytes, ',', '\r\n', [8]);
    expect(numbered(got)).toEqual(numbered(expected));
    expect(numbered(got)).toEqual([[1, ['h1', 'h2']], [2, ['x\ny', 'z']], [4, ['1', '2']]]);
  });
});
