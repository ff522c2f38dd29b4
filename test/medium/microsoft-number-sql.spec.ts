import { microsoftNumberSql } from '../../src/matching/matching.sql';
import { normalizeMicrosoftNumber } from '../../src/matching/pair-records';
import { createTestDatabase, TestDatabase } from '../support/test-db';

/**
 * The SQL normalisation of Microsoft numbers (its regex-free E.164 fast path, then the slow path)
 * gives what normalizeMicrosoftNumber gives, on the edges of `^\+[1-9][0-9*]{1,19}$`.
 */
const CASES: (string | null)[] = [
  null, '', ' ', 'anonymous', '+', '+1', '+12', '+0123456', '+1234567890123456789', '+12345678901234567890', '+123456789012345678901',
  '+1425555****', '+1425555**0*', '+*425555', '+1425-555-0100', ' +14255550100 ', '+1 (425) 555.0100', 'tel:+14255550100', 'TEL:+14255550100',
  '0014255550100', '14255550100', '00', '0', '+1425555010a', '+14255550100\n', '+١٢٣٤٥', '+1٢٣٤٥', '+1425555#100', '++14255550100',
  'tel:0014255550100', '+1425555 0100*', '*14255550100', '+14255550100*',
];

describe('microsoftNumberSql = normalizeMicrosoftNumber', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it.each(CASES.map((c) => [JSON.stringify(c), c]))('%s', async (_label, text) => {
    const { rows } = await db.sql.query(`SELECT ${microsoftNumberSql('$1::text')} AS n`, [text]);
    expect(rows[0].n).toBe(normalizeMicrosoftNumber(text));
  });
});
