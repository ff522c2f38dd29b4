import { INestApplicationContext } from '@nestjs/common';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CarriersService } from '../../src/carriers/carriers.service';
import { IngestService } from '../../src/carrier-files/ingest.service';
import { CANONICAL_HEADER } from '../../src/demo/sample-carrier-file';
import { createTestApp, createTestDatabase, TestDatabase } from '../support/test-db';

const T1 = '0d7d6f3a-1c2b-4f5e-9a8b-7c6d5e4f3a2b';
const row = (recordId: string, overrides: Partial<Record<string, string>> = {}) => {
  const v: Record<string, string> = {
    record_id: recordId, call_id: `call-${recordId}`, tenant_id: T1, direction: 'outbound', start_time: '2026-11-01T10:00:05Z',
    end_time: '2026-11-01T10:03:44.4Z', duration_seconds: '219.4', caller_number: '+14255550100', callee_number: '+442079460000',
    charge: '0.123456', connection_charge: '0.05', currency: 'USD', ...overrides,
  };
  return CANONICAL_HEADER.split(',').map((c) => v[c]).join(',');
};
const file = (...rows: string[]) => [CANONICAL_HEADER, ...rows].join('\n') + '\n';

describe('ingest on a real PostgreSQL', () => {
  let db: TestDatabase;
  let app: INestApplicationContext;
  let ingest: IngestService;
  const dir = mkdtempSync(join(tmpdir(), 'ocrecon-ingest-'));
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await createTestApp(db.url);
    ingest = app.get(IngestService);
    await app.get(CarriersService).addCarrier({ id: 'acme', name: 'Acme' });
    await app.get(CarriersService).addCarrier({ id: 'other', name: 'Other' });
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  const cdrs = async (carrier: string) =>
    (await db.sql.query(`SELECT record_id, line, duration_seconds::text, charge::text, connection_charge::text, currency, caller_number, callee_number,
       to_char(start_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS start, file_id FROM carrier_cdrs WHERE carrier_id = $1 ORDER BY id`, [carrier])).rows;
  const errors = async (fileId: string) =>
    (await db.sql.query(`SELECT line, "column", reason FROM carrier_file_errors WHERE file_id = $1 ORDER BY line, id`, [fileId])).rows;

  it('stores every good row exactly and reports each bad one with line, column and reason', async () => {
    const path = write('day1.csv', file(
      row('A1'),
      row('A2', { charge: '', connection_charge: '', currency: '' }),
      row('A3', { duration_seconds: '12.5x' }),
      row('A4', { start_time: '2026-11-31T10:00:00Z', caller_number: 'anonymous' }),
      row('A5', { charge: '1.5', currency: '' }),
      row('A6', { start_time: '2026-11-01T11:00:05.1234567+01:00', duration_seconds: '0' }),
    ));
    const r = await ingest.ingestFile(path, 'acme');
    expect(r).toMatchObject({ rowsRead: 6, accepted: 3, rejected: 3, skipped: 0, alreadyIngested: false, status: 'loaded' });
    expect(await cdrs('acme')).toEqual([
      expect.objectContaining({ record_id: 'A1', line: 2, duration_seconds: '219.400', charge: '0.123456', connection_charge: '0.050000', currency: 'USD', start: '2026-11-01T10:00:05.000000' }),
      expect.objectContaining({ record_id: 'A2', line: 3, charge: null, connection_charge: null, currency: null }),
      expect.objectContaining({ record_id: 'A6', line: 7, duration_seconds: '0.000', start: '2026-11-01T10:00:05.123456' }),
    ]);
    expect(await errors(r.fileId)).toEqual([
      { line: 4, column: 'duration_seconds', reason: '"12.5x" is not a decimal number' },
      { line: 5, column: 'start_time', reason: '"2026-11-31T10:00:00Z" day 31 does not exist in 2026-11' },
      { line: 5, column: 'caller_number', reason: '"anonymous" is not a telephone number' },
      { line: 6, column: 'currency', reason: 'is required when a charge is present' },
    ]);
  });

  it('rejects a record_id or call_id holding U+0000 by line and column, and stores the rest', async () => {
    await app.get(CarriersService).addCarrier({ id: 'nul', name: 'Nul' });
    const r = await ingest.ingestFile(write('nul.csv', file(row('N1'), row('N2', { call_id: 'call\u0000N2' }), row('N\u00003', { call_id: 'call-N3' }), row('N4'))), 'nul');
    expect(r).toMatchObject({ rowsRead: 4, accepted: 2, rejected: 2 });
    expect((await cdrs('nul')).map((c) => c.record_id)).toEqual(['N1', 'N4']);
    expect(await errors(r.fileId)).toEqual([
      { line: 3, column: 'call_id', reason: '"call\\u0000N2" holds a NUL character (U+0000), which PostgreSQL text cannot store' },
      { line: 4, column: 'record_id', reason: '"N\\u00003" holds a NUL character (U+0000), which PostgreSQL text cannot store' },
    ]);
  });

  it('rejects an id that is not UTF-8 (a Latin-1 byte) by line and column rather than store it changed', async () => {
    await app.get(CarriersService).addCarrier({ id: 'latin', name: 'Latin' });
    const text = file(row('L1', { call_id: 'call-L1-caf\u00e9' }), row('L2', { call_id: 'call-L2-cafX' }));
    const bytes = Buffer.from(text, 'utf8');
    const at = bytes.indexOf('cafX');
    bytes[at + 3] = 0xe9; // é in Latin-1: not UTF-8
    const path = join(dir, 'latin.csv');
    writeFileSync(path, bytes);
    const r = await ingest.ingestFile(path, 'latin');
    expect(r).toMatchObject({ rowsRead: 2, accepted: 1, rejected: 1 });
    expect((await db.sql.query(`SELECT call_id FROM carrier_cdrs WHERE carrier_id = 'latin'`)).rows).toEqual([{ call_id: 'call-L1-caf\u00e9' }]);
    expect(await errors(r.fileId)).toEqual([{ line: 3, column: 'call_id', reason: '"call-L2-caf\uFFFD" holds U+FFFD, the mark of bytes that are not UTF-8 (the file must be UTF-8)' }]);
  });

  it('stores the same rows and reports the same problems whether the file is read as lines (no quote) or by csv-parse (a quote)', async () => {
    const rows = [
      row('Q1'),
      '',
      row('Q2', { duration_seconds: 'x' }),
      '   ',
      row('Q3', { caller_number: '+1 425 555 0100', charge: '' , connection_charge: '', currency: '' }),
    ];
    const plain = `\ufeff${CANONICAL_HEADER}\r\n${rows.join('\r\n')}\r\n`;
    // The same bytes but one field quoted: the file is no longer "lines are records", csv-parse reads it.
    const quoted = plain.replace(',call-Q1,', ',"call-Q1",').replace(/Q(\d)/g, 'R$1');
    await app.get(CarriersService).addCarrier({ id: 'lines', name: 'Lines' });
    const plainRun = await ingest.ingestFile(write('plain.csv', plain), 'lines');
    const quotedRun = await ingest.ingestFile(write('quoted.csv', quoted), 'lines');
    expect(plainRun).toMatchObject({ rowsRead: 3, accepted: 2, rejected: 1 });
    expect(quotedRun).toMatchObject({ rowsRead: 3, accepted: 2, rejected: 1 });
    const stored = (await cdrs('lines')).map(({ file_id, ...r }) => ({ ...r, record_id: r.record_id.replace('R', 'Q') }));
    expect(stored.slice(0, 2)).toEqual(stored.slice(2));
    expect(stored.slice(0, 2).map((r) => [r.record_id, r.line, r.caller_number])).toEqual([['Q1', 2], ['Q3', 6]].map(([id, line]) => [id, line, '+14255550100']));
    expect(await errors(quotedRun.fileId)).toEqual(await errors(plainRun.fileId));
    expect(await errors(plainRun.fileId)).toEqual([{ line: 4, column: 'duration_seconds', reason: '"x" is not a decimal number' }]);
  });

  it('changes nothing when the same file comes again, and says so', async () => {
    const path = write('again.csv', file(row('B1'), row('B2')));
    const first = await ingest.ingestFile(path, 'acme');
    const before = await db.sql.query(`SELECT count(*)::int AS n FROM carrier_cdrs`);
    const second = await ingest.ingestFile(path, 'acme');
    expect(second).toMatchObject({ fileId: first.fileId, sha256: first.sha256, accepted: 0, alreadyIngested: true });
    expect((await db.sql.query(`SELECT count(*)::int AS n FROM carrier_cdrs`)).rows[0].n).toBe(before.rows[0].n);
    expect((await db.sql.query(`SELECT count(*)::int AS n FROM carrier_files WHERE sha256 = $1`, [first.sha256])).rows[0].n).toBe(1);
    // The same bytes from an upload stream (no hash known up front) are recognised too.
    const streamed = await ingest.ingest({ carrierId: 'acme', fileName: 'upload.csv', open: () => Readable.from([file(row('B1'), row('B2'))]) });
    expect(streamed).toMatchObject({ fileId: first.fileId, alreadyIngested: true, accepted: 0 });
  });

  it('skips a record_id already stored with the same values and rejects one with different values', async () => {
    await ingest.ingestFile(write('c1.csv', file(row('C1'), row('C2'))), 'acme');
    const r = await ingest.ingestFile(write('c2.csv', file(row('C1'), row('C2', { duration_seconds: '220' }), row('C3'))), 'acme');
    expect(r).toMatchObject({ rowsRead: 3, accepted: 1, skipped: 1, rejected: 1 });
    expect(await errors(r.fileId)).toEqual([
      { line: 3, column: 'record_id', reason: 'record_id C2 is already stored with different values (c1.csv line 3)' },
    ]);
    const stored = (await cdrs('acme')).filter((c) => c.record_id.startsWith('C'));
    expect(stored.map((c) => [c.record_id, c.duration_seconds])).toEqual([['C1', '219.400'], ['C2', '219.400'], ['C3', '219.400']]);
    // Same values written differently (219.4 vs 219.400, +01:00 vs Z) are the same values.
    const same = await ingest.ingestFile(write('c3.csv', file(row('C1', { duration_seconds: '219.400', start_time: '2026-11-01T11:00:05+01:00' }))), 'acme');
    expect(same).toMatchObject({ accepted: 0, skipped: 1, rejected: 0 });
  });

  it('keeps the first of two lines sharing a record_id in one file', async () => {
    const r = await ingest.ingestFile(write('dup.csv', file(row('D1'), row('D1'), row('D1', { charge: '9' }), row('D2'))), 'acme');
    expect(r).toMatchObject({ rowsRead: 4, accepted: 2, skipped: 1, rejected: 1 });
    const d1 = (await cdrs('acme')).filter((c) => c.record_id === 'D1');
    expect(d1).toHaveLength(1);
    expect(d1[0].line).toBe(2);
    expect(await errors(r.fileId)).toEqual([{ line: 4, column: 'record_id', reason: 'record_id D1 is already stored with different values (dup.csv line 2)' }]);
  });

  it('keeps carriers apart: the same record_id belongs to each carrier separately', async () => {
    const r = await ingest.ingestFile(write('other.csv', file(row('A1'))), 'other');
    expect(r).toMatchObject({ accepted: 1, skipped: 0, rejected: 0 });
    expect(await cdrs('other')).toHaveLength(1);
  });

  it('fails a file with a header missing a required column, storing nothing', async () => {
    const path = write('bad-header.csv', 'record_id,start_time,duration_seconds,caller_number\nX1,2026-11-01T10:00:00Z,1,+14255550100\n');
    await expect(ingest.ingestFile(path, 'acme')).rejects.toThrow('line 1: the header lacks the required column callee_number');
    expect((await db.sql.query(`SELECT count(*)::int AS n FROM carrier_files WHERE file_name = 'bad-header.csv'`)).rows[0].n).toBe(0);
  });

  it('reads BOM, CRLF, quoted fields with line breaks, blank lines, and reports unreadable CSV by line', async () => {
    const text = '\uFEFF' + [CANONICAL_HEADER, row('E1'), '', row('E2', { call_id: '"quoted, with comma\nand a line break"' }), row('E3', { duration_seconds: '-1' }), 'E4,"unterminated'].join('\r\n');
    const r = await ingest.ingestFile(write('crlf.csv', text), 'acme');
    expect(r).toMatchObject({ accepted: 2, rejected: 2 });
    const e = await errors(r.fileId);
    expect(e[0]).toEqual({ line: 6, column: 'duration_seconds', reason: '"-1" must not be negative' });
    expect(e[1]).toMatchObject({ line: 7, column: '' });
    expect(e[1].reason).toMatch(/^malformed CSV: Quote Not Closed/);
    const e2 = (await cdrs('acme')).find((c) => c.record_id === 'E2');
    expect(e2.line).toBe(4);
  });

  it('reads another layout through a profile', async () => {
    await ingest.addProfile('acme', 'eu', {
      delimiter: ';', header: false, decimalSeparator: ',', durationUnit: 'hh:mm:ss', timestampFormat: 'DD/MM/YYYY HH:mm:ss',
      timeZone: 'Europe/Paris', defaultCountry: 'FR', defaultCurrency: 'EUR', stripPrefixes: ['tel:'], billingIncrement: '30/6',
      columns: { record_id: 1, start_time: 2, duration_seconds: 3, caller_number: 4, callee_number: 5, charge: 6 },
    });
    const path = write('eu.txt', ['F1;01/07/2026 12:00:00;00:01:01;01 42 68 53 00;tel:+33612345678;0,1234', 'F2;01/12/2026 12:00:00;00:00:00;0142685300;0033612345678;', 'F3;31/06/2026 12:00:00;00:00:10;0142685300;0612345678;0,1'].join('\n'));
    const r = await ingest.ingestFile(path, 'acme', 'eu');
    expect(r).toMatchObject({ rowsRead: 3, accepted: 2, rejected: 1 });
    const rows = (await db.sql.query(`SELECT record_id, line, to_char(start_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS start, duration_seconds::text, billable_seconds,
      caller_number, callee_number, charge::text, currency FROM carrier_cdrs WHERE record_id LIKE 'F%' ORDER BY line`)).rows;
    expect(rows).toEqual([
      { record_id: 'F1', line: 1, start: '2026-07-01 10:00:00', duration_seconds: '61.000', billable_seconds: 66, caller_number: '+33142685300', callee_number: '+33612345678', charge: '0.123400', currency: 'EUR' },
      { record_id: 'F2', line: 2, start: '2026-12-01 11:00:00', duration_seconds: '0.000', billable_seconds: 0, caller_number: '+33142685300', callee_number: '+33612345678', charge: null, currency: null },
    ]);
    expect(await errors(r.fileId)).toEqual([{ line: 3, column: 'start_time', reason: '"31/06/2026 12:00:00" day 31 does not exist in 2026-06' }]);
  });

  it('rejects a profile with every problem named', async () => {
    await expect(ingest.addProfile('acme', 'broken', { delimiter: ';;', durationUnit: 'min', timestampFormat: 'DD/MM/YYYY', billingIncrement: '60', colour: 'red' }))
      .rejects.toThrow(/profile broken: unknown key "colour".*delimiter must be one character.*timestampFormat must be.*durationUnit must be s, ms or hh:mm:ss.*billingIncrement must be "first\/next"/);
    await expect(ingest.ingestFile(write('x.csv', file(row('Z1'))), 'acme', 'nope')).rejects.toThrow('carrier acme has no profile nope');
  });

  it('stores nothing of a file with a bad row when the profile says all-or-nothing, but reports why', async () => {
    await ingest.addProfile('acme', 'strict', { failFileOnBadRow: true });
    const r = await ingest.ingestFile(write('strict.csv', file(row('G1'), row('G2', { currency: 'US' }))), 'acme', 'strict');
    expect(r).toMatchObject({ status: 'rejected', accepted: 0, rejected: 1, rowsRead: 2 });
    expect((await cdrs('acme')).filter((c) => c.record_id.startsWith('G'))).toEqual([]);
    expect(await errors(r.fileId)).toEqual([{ line: 3, column: 'currency', reason: '"US" is not an ISO 4217 currency code such as USD' }]);
    const ok = await ingest.ingestFile(write('strict-ok.csv', file(row('G1'), row('G2'))), 'acme', 'strict');
    expect(ok).toMatchObject({ status: 'loaded', accepted: 2 });
  });

  it('names an unknown carrier', async () => {
    await expect(ingest.ingestFile(write('y.csv', file(row('Y1'))), 'nobody')).rejects.toThrow('carrier nobody is not registered');
  });
});
