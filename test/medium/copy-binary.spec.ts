import fc from 'fast-check';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import {
  BINARY_COPY_HEADER, BINARY_COPY_TRAILER, putBoolField, putInt16, putInt4Field, putInt8Field, putNullField, putNumericField, putTextField, putTimestampField, uuidBytes,
} from '../../src/database/copy-binary';
import { createTestDatabase, TestDatabase } from '../support/test-db';

/**
 * The binary COPY writers (src/database/copy-binary.ts) give PostgreSQL the value it reads from the
 * same value's text: each row is COPYed in binary next to its text, and PostgreSQL compares the two.
 */

interface Case {
  numeric: string | null;
  /** [year, month, day, hour, minute, second, micros] */
  at: [number, number, number, number, number, number, number] | null;
  int4: number | null;
  int8: number;
  bool: boolean | null;
  text: string | null;
}

const pad = (v: number, w: number) => String(v).padStart(w, '0');
const timestampText = ([y, mo, d, h, mi, s, us]: NonNullable<Case['at']>) => `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(us, 6)}Z`;

function binaryRows(cases: Case[]): Buffer {
  const o = Buffer.alloc(BINARY_COPY_HEADER.length + cases.length * 4096 + 2);
  let n = 0;
  BINARY_COPY_HEADER.copy(o, n);
  n += BINARY_COPY_HEADER.length;
  cases.forEach((c, k) => {
    n = putInt16(o, n, 8);
    n = putInt4Field(o, n, k);
    if (c.numeric === null) n = putNullField(o, n);
    else n = putNumericField(o, n, Buffer.from(c.numeric, 'latin1'), 0, c.numeric.length);
    n = c.at === null ? putNullField(o, n) : putTimestampField(o, n, ...c.at);
    n = c.int4 === null ? putNullField(o, n) : putInt4Field(o, n, c.int4);
    n = putInt8Field(o, n, c.int8);
    n = c.bool === null ? putNullField(o, n) : putBoolField(o, n, c.bool);
    if (c.text === null) n = putNullField(o, n);
    else {
      const bytes = Buffer.from(c.text);
      n = putTextField(o, n, bytes, 0, bytes.length);
    }
    const tenant = uuidBytes('4A5E8F0C-2b7d-4c1e-9f3a-6d8b0e2c4a71');
    n = putTextField(o, n, tenant, 0, 16); // a uuid's value is its 16 bytes, length-prefixed like any field
  });
  BINARY_COPY_TRAILER.copy(o, n);
  return o.subarray(0, n + BINARY_COPY_TRAILER.length);
}

const digits = (min: number, max: number) => fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`));
const numericText = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.boolean(), digits(1, 24), fc.option(digits(1, 30), { nil: undefined })).map(([neg, i, f]) => `${neg ? '-' : ''}${i}${f === undefined ? '' : `.${f}`}`) },
  { weight: 1, arbitrary: fc.constantFrom('0', '-0', '0.0', '-0.00', '0000', '12.50', '10000', '9999', '0.0001', '0.00010000', '100000000.00000001', '1', '-1', '0.00000000000000000001', '123456789012345678901234567890.123456789') },
);
const timestamp = fc.tuple(
  fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }),
  fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 999_999 }),
);
const caseArb: fc.Arbitrary<Case> = fc.record({
  numeric: fc.option(numericText, { nil: null }),
  at: fc.option(fc.oneof(timestamp, fc.constantFrom<NonNullable<Case['at']>>([2000, 1, 1, 0, 0, 0, 0], [1999, 12, 31, 23, 59, 59, 999_999], [1, 1, 1, 0, 0, 0, 0],
    [9999, 12, 31, 23, 59, 59, 999_999], [1715, 6, 30, 12, 0, 0, 1], [2285, 6, 30, 12, 0, 0, 1], [2024, 2, 29, 0, 0, 0, 0], [1970, 1, 1, 0, 0, 0, 0])), { nil: null }),
  int4: fc.option(fc.integer({ min: -2147483648, max: 2147483647 }), { nil: null }),
  int8: fc.oneof(fc.integer({ min: 0, max: 2 ** 31 }), fc.constantFrom(0, 1, 2 ** 32, 2 ** 53 - 1, 4294967295, 4294967296)),
  bool: fc.option(fc.boolean(), { nil: null }),
  text: fc.option(fc.string({ unit: 'grapheme', maxLength: 20 }).filter((t) => !t.includes('\u0000')), { nil: null }),
});

describe('binary COPY writers = PostgreSQL reading the text', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await db.sql.query(`CREATE TABLE copied (k int, n numeric, at timestamptz, i int4, big int8, b boolean, t text, u uuid)`);
  });
  afterAll(async () => {
    await db?.drop();
  });

  async function expectSameAsText(cases: Case[]): Promise<void> {
    await db.sql.query('TRUNCATE copied');
    await pipeline(Readable.from([binaryRows(cases)]), db.sql.query(copyFrom('COPY copied FROM STDIN (FORMAT binary)')));
    const { rows } = await db.sql.query(
      `SELECT c.k, c.n::text AS n, e.n::numeric::text AS expected_n, c.at = e.at::timestamptz OR (c.at IS NULL AND e.at IS NULL) AS same_at, c.at::text AS at, e.at AS expected_at,
              c.i, c.big::text AS big, c.b, c.t, c.u::text AS u
       FROM copied c JOIN jsonb_to_recordset($1::jsonb) AS e(k int, n text, at text) ON e.k = c.k ORDER BY c.k`,
      [JSON.stringify(cases.map((c, k) => ({ k, n: c.numeric, at: c.at && timestampText(c.at) })))],
    );
    expect(rows).toHaveLength(cases.length);
    rows.forEach((r, k) => {
      const c = cases[k];
      expect({ k, n: r.n, at: r.same_at }).toEqual({ k, n: r.expected_n, at: true }); // numeric: value and scale as numeric_in gives them
      expect([r.i, r.big, r.b, r.t, r.u]).toEqual([c.int4, String(c.int8), c.bool, c.text, '4a5e8f0c-2b7d-4c1e-9f3a-6d8b0e2c4a71']);
    });
  }

  it('for the edges: zeros, signs, scales, digit groups, the ends of the year range, leap days', async () => {
    const fixed: Case[] = ['0', '-0', '-0.00', '0.0001', '12.50', '-12.50', '10000', '9999.9999', '0.000000000000000000010', '00012.5000', '1234567890123456789012345678901234567890.5']
      .map((numeric, k) => ({ numeric, at: null, int4: 5 - k, int8: k, bool: k % 2 === 0, text: `n${k}` }));
    const times: Case['at'][] = [[2000, 1, 1, 0, 0, 0, 0], [1999, 12, 31, 23, 59, 59, 999_999], [1, 1, 1, 0, 0, 0, 0], [9999, 12, 31, 23, 59, 59, 999_999], [1715, 1, 1, 0, 0, 0, 1], [2285, 1, 1, 0, 0, 0, 1], [2400, 2, 29, 0, 0, 0, 0], [1900, 2, 28, 23, 0, 0, 0]];
    await expectSameAsText([...fixed, ...times.map((at, k) => ({ numeric: null, at, int4: null, int8: 2 ** 53 - 1 - k, bool: null, text: null }))]);
  });

  it('for random values of every type', async () => {
    await fc.assert(fc.asyncProperty(fc.array(caseArb, { minLength: 1, maxLength: 40 }), expectSameAsText), { numRuns: 60 });
  });
});
