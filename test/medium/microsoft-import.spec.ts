import { INestApplicationContext } from '@nestjs/common';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { CarriersService } from '../../src/carriers/carriers.service';
import { ImportMicrosoftService } from '../../src/microsoft-logs/import.service';
import { MicrosoftLogsRepository } from '../../src/microsoft-logs/microsoft-logs.repository';
import { createTestApp, createTestDatabase, TestDatabase } from '../support/test-db';

// NDJSON rows are scanned in Node (ndjson-row.ts) and COPYed, straight into microsoft_call_rows or
// through the stage; a saved Graph document is parsed whole by lossless-json. Both end in
// toStoredRow: the same rows imported both ways must be stored identically, and rejected with the
// same reasons.
const SQL_SIDE = 'eeeeeeee-0000-4000-8000-00000000000e';
const NODE_SIDE = 'ffffffff-0000-4000-8000-00000000000f';
const OTHER = '99999999-0000-4000-8000-000000000009';
const FRESH = '88888888-0000-4000-8000-000000000008';
const FAILING = '77777777-0000-4000-8000-000000000007';

const pstn = (id: string, fields: string) => `{"id":"${id}","callId":"c-${id}","currency":"USD","operator":"Acme",${fields}}`;

/** Rows that try every branch of the SQL mapping: fast, slow but valid, and rejected. */
const CASES: string[] = [
  pstn('money-25-digits', '"charge":0.1234567890123456789012345,"connectionCharge":12345678901234567890.123456789,"duration":61'),
  pstn('money-exponent', '"charge":1.5E-7,"connectionCharge":-12.50,"duration":0'),
  pstn('money-as-text', '"charge":"0.10000000000000000000001","connectionCharge":"  2.5 ","duration":"45"'),
  pstn('fraction-7', '"startDateTime":"2026-03-01T10:00:00.9999999Z","endDateTime":"2026-03-01T10:01:00.1234567Z"'),
  pstn('fraction-5-and-0', '"startDateTime":"2026-03-01T10:00:00.98765Z","endDateTime":"2026-03-01T10:01:00Z"'),
  pstn('fraction-9', '"startDateTime":"2024-02-29T23:59:59.123456789Z"'),
  pstn('offset-time', '"startDateTime":"2026-03-01T12:00:00.1234567+02:00"'),
  pstn('no-time', '"startDateTime":"0001-01-01T00:00:00Z","endDateTime":""'),
  pstn('unknown-enum', '"callType":"brand_new_call_type","destinationContext":"Interplanetary","callDurationSource":"carrier-pigeon"'),
  pstn('number-as-text', '"callerNumber":14255550100,"userId":true'),
  pstn('text-like-json', '"userDisplayName":"[Bot] Reception","destinationName":"{curly}"'),
  pstn('nulls', '"charge":null,"startDateTime":null,"duration":null,"userId":null'),
  pstn('unicode', '"userDisplayName":"Zoë \\"Z\\" Ångström \\\\ \\t","destinationName":"日本"'),
  `{ "id" : "spaced" ,\t"callId" : "c-spaced" , "charge" : 1.50 , "duration" : 7 , "startDateTime" : "2026-03-01T10:00:00.1Z" }`,
  `{"id":"escaped-key","callId":"c-esc","ch\\u0061rge":0.30000000000000000001,"connectionCharge":2E+2}`,
  pstn('nested', '"extra":{"a":[1,-2.5e-3,{"b":null,"c":[true,false]}],"d":"x"},"empty":{},"list":[],"duration":5'),
  `{"id":"dr-ok","correlationId":"k1","successfulCall":false,"finalSipCode":486,"startDateTime":"2026-03-01T10:00:00.1234567Z","failureDateTime":"0001-01-01T00:00:00Z"}`,
  `{"id":"dr-sip-text","correlationId":"k2","successfulCall":true,"finalSipCode":"200"}`,
  // rejected, each for its own reason
  pstn('bad-month', '"startDateTime":"2026-13-01T00:00:00Z"'),
  pstn('bad-leap-day', '"startDateTime":"2023-02-29T00:00:00Z"'),
  pstn('bad-hour', '"startDateTime":"2026-03-01T24:00:00Z"'),
  pstn('no-zone', '"startDateTime":"2026-03-01T10:00:00"'),
  pstn('bad-money', '"charge":"lots"'),
  pstn('money-bool', '"charge":true'),
  pstn('fraction-duration', '"duration":60.0'),
  pstn('huge-duration', '"duration":2147483648'),
  pstn('object-text', '"userId":{"id":"u"}'),
  `{"id":"dr-bad","correlationId":"k3","successfulCall":"yes"}`,
  `{"id":"   ","callId":"blank id"}`,
  `{"callId":"no id"}`,
  `{"id":42,"callId":"numeric id"}`,
  `[1,2]`,
];

const COLUMNS = `id, source, call_id, user_id, user_principal_name, user_display_name, start_time, end_time, duration_seconds,
  charge::text AS charge, connection_charge::text AS connection_charge, currency, call_type, caller_number, callee_number,
  destination_context, destination_name, conference_id, license_capability, inventory_type, operator, call_duration_source,
  tenant_country_code, usage_country_code, successful_call, final_sip_code, microsoft_raw_row(raw_batch, raw_line)::jsonb::text AS raw`;

describe('import-microsoft: NDJSON mapped by PostgreSQL = the same rows mapped by toStoredRow', () => {
  let db: TestDatabase;
  let app: INestApplicationContext;
  let imports: ImportMicrosoftService;
  const dir = mkdtempSync(join(tmpdir(), 'ocrecon-msi-'));

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await createTestApp(db.url);
    const carriers = app.get(CarriersService);
    await carriers.addCarrier({ id: 'acme', name: 'Acme' });
    for (const t of [SQL_SIDE, NODE_SIDE, OTHER, FRESH, FAILING]) await carriers.addTenant({ tenantId: t, carrierId: 'acme' });
    imports = app.get(ImportMicrosoftService);
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const stored = async (tenant: string) => (await db.sql.query(`SELECT ${COLUMNS} FROM microsoft_call_rows WHERE tenant_id = $1 ORDER BY id`, [tenant])).rows;

  it('stores every row exactly as toStoredRow does, and rejects the same rows for the same reasons', async () => {
    writeFileSync(join(dir, 'cases.ndjson'), CASES.join('\n') + '\n');
    writeFileSync(join(dir, 'cases.json'), `[${CASES.join(',')}]`);
    const viaSql = await imports.importFile(join(dir, 'cases.ndjson'), SQL_SIDE);
    const viaNode = await imports.importFile(join(dir, 'cases.json'), NODE_SIDE);
    expect(viaSql.format).toBe('ndjson');
    expect(viaNode.format).toBe('graph-json');
    expect(viaSql).toMatchObject({ rowsRead: CASES.length, inserted: viaNode.inserted, rejected: viaNode.rejected });
    expect(viaSql.problems.map((p) => [CASES[p.line! - 1].slice(0, 40), p.reason]))
      .toEqual(viaNode.problems.map((p) => [CASES[Number(/\[(\d+)\]/.exec(p.at!)![1])].slice(0, 40), p.reason]));
    expect(viaSql.rejected).toBe(13);
    expect(await stored(SQL_SIDE)).toEqual(await stored(NODE_SIDE));
    // each import is recorded with the UTC days its stored rows start on (the nightly's cue), both ways alike
    for (const side of [SQL_SIDE, NODE_SIDE]) {
      const { rows: [rec] } = await db.sql.query(`SELECT i.days::text[] AS days, i.inserted, i.xact IS NOT NULL AS named,
          (SELECT array_agg(DISTINCT (start_time AT TIME ZONE 'UTC')::date ORDER BY (start_time AT TIME ZONE 'UTC')::date)::text[] FROM microsoft_call_rows WHERE tenant_id = $1 AND start_time IS NOT NULL) AS stored
        FROM microsoft_imports i WHERE i.tenant_id = $1`, [side]);
      const { stored: days, ...recorded } = rec;
      expect(recorded).toEqual({ days, inserted: viaNode.inserted, named: true });
      expect(rec.days.length).toBeGreaterThan(1);
    }
    // Both keep each row's own bytes as evidence: the NDJSON line, the saved document's element.
    for (const side of [SQL_SIDE, NODE_SIDE]) {
      const raws = await db.sql.query(`SELECT r.id, w.raw FROM microsoft_call_rows r JOIN microsoft_raw_rows w USING (tenant_id, raw_batch, raw_line) WHERE r.tenant_id = $1`, [side]);
      expect(raws.rows).toHaveLength(viaSql.inserted);
      for (const r of raws.rows) expect(CASES).toContain(r.raw);
      expect(raws.rows.find((r) => r.id === 'spaced')!.raw).toMatch(/^\{ "id" : "spaced" ,\t"callId"/);
      expect(raws.rows.find((r) => r.id === 'unicode')!.raw).toContain('Zoë \\"Z\\" Ångström \\\\ \\t');
    }

    const exact = (await stored(SQL_SIDE)).filter((r) => r.id.startsWith('money') || r.id.startsWith('fraction'));
    const at = (id: string) => exact.find((r) => r.id === id);
    expect(at('money-25-digits')).toMatchObject({ charge: '0.1234567890123456789012345', connection_charge: '12345678901234567890.123456789' });
    expect(at('money-exponent')).toMatchObject({ charge: '0.00000015', connection_charge: '-12.50' });
    const micros = await db.sql.query(`SELECT id, to_char(start_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS s, to_char(end_time AT TIME ZONE 'UTC', 'HH24:MI:SS.US') AS e
      FROM microsoft_call_rows WHERE tenant_id = $1 AND id LIKE 'fraction%' ORDER BY id`, [SQL_SIDE]);
    expect(micros.rows).toEqual([
      { id: 'fraction-5-and-0', s: '2026-03-01 10:00:00.987650', e: '10:01:00.000000' },
      { id: 'fraction-7', s: '2026-03-01 10:00:00.999999', e: '10:01:00.123456' }, // truncated, never rounded up
      { id: 'fraction-9', s: '2024-02-29 23:59:59.123456', e: null },
    ]);
  });

  it('keeps the last copy of a repeated id, within a batch and across batches, and reports bad lines by number', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 9000; i++) lines.push(pstn(`r-${i % 3000}`, `"charge":${i}.0000000000000000001,"startDateTime":"2026-03-01T10:00:00.1234567Z"`));
    lines[10] = '{"id":"broken",'; // not JSON: its batch is read again from the file
    lines[4500] = pstn('r-17', '"charge":"1.5 EUR"'); // a rejected copy of an id does not replace the stored one
    lines[8999] = pstn('r-3', '"charge":"7.25","startDateTime":"2026-03-01T10:00:00.1234567Z"'); // the last copy of r-3, mapped by toStoredRow
    writeFileSync(join(dir, 'repeats.ndjson'), `\uFEFF${lines.join('\r\n')}\r\n\r\n`);
    const r = await imports.importFile(join(dir, 'repeats.ndjson'), OTHER);
    expect(r).toMatchObject({ rowsRead: 9000, rejected: 2 });
    expect(r.problems).toEqual([{ line: 11, reason: expect.stringMatching(/^not JSON/) }, { line: 4501, reason: 'charge "1.5 EUR" is not a decimal number' }]);
    // 4000 lines a batch: ids repeat within a batch and across batches
    const rows = await db.sql.query(`SELECT id, charge::text AS charge FROM microsoft_call_rows WHERE tenant_id = $1 AND id IN ('r-3', 'r-10', 'r-17', 'r-1500', 'r-2999')`, [OTHER]);
    expect(Object.fromEntries(rows.rows.map((x) => [x.id, x.charge]))).toEqual({
      'r-3': '7.25', 'r-10': '6010.0000000000000000001', 'r-17': '6017.0000000000000000001', 'r-1500': '7500.0000000000000000001', 'r-2999': '5999.0000000000000000001',
    });
    const snapshot = async (withBatch = false) => (await db.sql.query(
      `SELECT id, ${withBatch ? 'raw_batch, ' : ''}raw::text AS raw FROM microsoft_raw_rows_of($1, ARRAY(SELECT id FROM microsoft_call_rows WHERE tenant_id = $1 ORDER BY id, start_day),
        ARRAY(SELECT start_day FROM microsoft_call_rows WHERE tenant_id = $1 ORDER BY id, start_day)) ORDER BY id, start_day`, [OTHER])).rows;
    const before = await snapshot();
    expect(before).toHaveLength(3000);
    expect(before.filter((x) => !/^\{.*\}$/.test(x.raw))).toEqual([]); // the CRLF file's \r is not part of a row

    // run it twice: the same rows stored; a newer copy of one row replaces the stored one
    expect(await imports.importFile(join(dir, 'repeats.ndjson'), OTHER)).toMatchObject({ inserted: 0, rejected: 2 });
    expect(await snapshot()).toEqual(before);
    writeFileSync(join(dir, 'newer.ndjson'), pstn('r-5', '"charge":0.5,"startDateTime":"2026-03-01T10:00:00Z"') + '\n');
    expect(await imports.importFile(join(dir, 'newer.ndjson'), OTHER)).toMatchObject({ inserted: 0, updated: 1, unchanged: 0 });
    // the same values written differently: the evidence changed, so the row takes the new text (and batch)
    const mid = await snapshot(true);
    const respaced = pstn('r-5', '"charge":0.5,"startDateTime":"2026-03-01T10:00:00Z"').replace('{', '{ ');
    writeFileSync(join(dir, 'respaced.ndjson'), respaced + '\n' + pstn('r-6', `"charge":6006.0000000000000000001,"startDateTime":"2026-03-01T10:00:00.1234567Z"`) + '\n');
    const r5 = await imports.importFile(join(dir, 'respaced.ndjson'), OTHER);
    expect(r5).toMatchObject({ inserted: 0, updated: 1, unchanged: 1 });
    const after = await snapshot(true);
    expect(after.find((x) => x.id === 'r-5')).toMatchObject({ raw: respaced });
    expect(after.find((x) => x.id === 'r-5')!.raw_batch).not.toBe(mid.find((x) => x.id === 'r-5')!.raw_batch);
    expect(after.find((x) => x.id === 'r-6')).toEqual(mid.find((x) => x.id === 'r-6')); // unchanged: same text, same batch
    // the function reads one row's evidence
    const one = await db.sql.query(`SELECT microsoft_raw_row(raw_batch, raw_line)::text AS raw FROM microsoft_call_rows WHERE tenant_id = $1 AND id = 'r-5'`, [OTHER]);
    expect(one.rows[0].raw).toBe(respaced);

    // rows are keyed by tenant, UTC start day and id: a copy of an id starting on another day, or with
    // no start, is a row of its own (Graph's ids are unique and a call's start does not move)
    const elsewhere = [pstn('r-7', '"charge":1,"startDateTime":"2026-03-02T00:00:00Z"'), pstn('r-7', '"charge":2')];
    writeFileSync(join(dir, 'elsewhere.ndjson'), elsewhere.join('\n') + '\n');
    expect(await imports.importFile(join(dir, 'elsewhere.ndjson'), OTHER)).toMatchObject({ inserted: 2, updated: 0 });
    const r7 = await db.sql.query(`SELECT start_day::text AS day, charge::text AS charge FROM microsoft_call_rows WHERE tenant_id = $1 AND id = 'r-7' ORDER BY start_day`, [OTHER]);
    expect(r7.rows).toEqual([{ day: '-infinity', charge: '2' }, { day: '2026-03-01', charge: '6007.0000000000000000001' }, { day: '2026-03-02', charge: '1' }]);
    expect((await snapshot()).filter((x) => x.id === 'r-7').map((x) => x.raw)).toEqual([elsewhere[1], mid.find((x) => x.id === 'r-7')!.raw, elsewhere[0]]);
  });

  it('COPYs new rows straight in; a batch reaching a stored id is rolled back and staged, and so is the rest of the file', async () => {
    const direct = jest.spyOn(app.get(MicrosoftLogsRepository), 'copyIntoCallRows');
    const row = (i: number, charge = '0.1000000000000000001') => pstn(`n-${i}`, `"charge":${charge},"startDateTime":"2026-03-02T10:00:00.1234567Z"`);
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);
    const count = async () => (await db.sql.query(`SELECT count(*)::int AS n FROM microsoft_call_rows WHERE tenant_id = $1`, [FRESH])).rows[0].n;

    // the first import of a day: three batches, each COPYed straight in
    writeFileSync(join(dir, 'day.ndjson'), range(0, 10_000).map((i) => row(i)).join('\n'));
    const progress: { bytesRead: number; rowsRead: number }[] = [];
    expect(await imports.importFile(join(dir, 'day.ndjson'), FRESH, { onProgress: (p) => progress.push(p) })).toMatchObject({ rowsRead: 10_000, inserted: 10_000, updated: 0, unchanged: 0 });
    expect(direct.mock.calls).toHaveLength(3);
    // after each batch: the bytes of the file read, the rows
    expect(progress.map((p) => p.rowsRead)).toEqual([4000, 8000, 10_000]);
    expect(progress.at(-1)!.bytesRead).toBe(statSync(join(dir, 'day.ndjson')).size);
    expect(progress[0].bytesRead).toBeGreaterThan(0);
    expect(progress[0].bytesRead).toBeLessThan(progress[1].bytesRead);
    const recorded = async () => (await db.sql.query(`SELECT file_name, inserted, updated, days::text[] AS days FROM microsoft_imports WHERE tenant_id = $1 ORDER BY imported_at`, [FRESH])).rows;
    expect(await recorded()).toEqual([{ file_name: 'day.ndjson', inserted: 10_000, updated: 0, days: ['2026-03-02'] }]);
    // the same file again changes nothing: not recorded
    expect(await imports.importFile(join(dir, 'day.ndjson'), FRESH)).toMatchObject({ inserted: 0, updated: 0, unchanged: 10_000 });
    expect(await recorded()).toHaveLength(1);
    expect(await count()).toBe(10_000);

    // batch 1 new; batch 2: 100 new rows, a bad line, then stored ones (one changed); batch 3 new again
    const lines = [
      ...range(10_000, 14_000).map((i) => row(i)),
      ...range(20_000, 20_100).map((i) => row(i)), '{"id":"n-bad",', row(5000, '"7.25"'), ...range(5001, 8900).map((i) => row(i)),
      ...range(14_000, 18_000).map((i) => row(i)),
    ];
    writeFileSync(join(dir, 'mixed.ndjson'), lines.join('\n'));
    direct.mockClear();
    const mixed = await imports.importFile(join(dir, 'mixed.ndjson'), FRESH);
    expect(mixed).toMatchObject({ rowsRead: 12_001, inserted: 8100, updated: 1, unchanged: 3899, rejected: 1 });
    expect(mixed.problems).toEqual([{ line: 4101, reason: expect.stringMatching(/^not JSON/) }]); // reported once, though its batch was read twice
    expect(direct.mock.calls).toHaveLength(2); // batch 2 gave way; batch 3 did not try
    expect(await count()).toBe(18_100);
    const charge = await db.sql.query(`SELECT id, charge::text AS charge FROM microsoft_call_rows WHERE tenant_id = $1 AND id IN ('n-5000', 'n-20000', 'n-17999') ORDER BY id`, [FRESH]);
    expect(charge.rows).toEqual([{ id: 'n-17999', charge: '0.1000000000000000001' }, { id: 'n-20000', charge: '0.1000000000000000001' }, { id: 'n-5000', charge: '7.25' }]);

    // run it twice: nothing changes (the first batch tries the direct COPY and gives way at once)
    direct.mockClear();
    expect(await imports.importFile(join(dir, 'mixed.ndjson'), FRESH)).toMatchObject({ inserted: 0, updated: 0, unchanged: 12_000, rejected: 1 });
    expect(direct.mock.calls).toHaveLength(1);

    // an id twice in a batch, or a line only PostgreSQL reads, stages that batch alone (last copy wins)
    const twice = [row(30_000), row(30_001), row(30_000, '"1.5"'), ...range(30_002, 34_000).map((i) => row(i)),
      '{"id":"n-dup-key","callId":"a","callId":"b","charge":1}', ...range(34_000, 38_000).map((i) => row(i)), ...range(38_000, 38_010).map((i) => row(i))];
    writeFileSync(join(dir, 'twice.ndjson'), twice.join('\n'));
    direct.mockClear();
    expect(await imports.importFile(join(dir, 'twice.ndjson'), FRESH)).toMatchObject({ rowsRead: 8012, inserted: 8011, updated: 0, unchanged: 1, rejected: 0 }); // the first copy of n-30000 counts as unchanged, as ever
    expect(direct.mock.calls).toHaveLength(1); // the first two are found out while mapped, and staged without trying; the third goes straight in
    const last = await db.sql.query(`SELECT id, call_id, charge::text AS charge FROM microsoft_call_rows WHERE tenant_id = $1 AND id IN ('n-30000', 'n-dup-key', 'n-38009') ORDER BY id`, [FRESH]);
    expect(last.rows).toEqual([
      { id: 'n-30000', call_id: 'c-n-30000', charge: '1.5' }, { id: 'n-38009', call_id: 'c-n-38009', charge: '0.1000000000000000001' },
      { id: 'n-dup-key', call_id: 'b', charge: '1' },
    ]);
    direct.mockRestore();
  });

  it('opens no subtransaction for a day without stored rows; an id the file repeats on such a day makes it read the file again, in savepoints', async () => {
    const direct = jest.spyOn(app.get(MicrosoftLogsRepository), 'copyIntoCallRows');
    const row = (id: string, day: string, charge = '0.1') => pstn(id, `"charge":${charge},"startDateTime":"${day}T10:00:00.1234567Z"`);
    const xmins = async (day: string) => (await db.sql.query(
      `SELECT count(DISTINCT xmin::text)::int AS n FROM microsoft_call_rows WHERE tenant_id = $1 AND start_day = $2`, [OTHER, day])).rows[0].n;
    const lastBatch = async () => (await db.sql.query(`SELECT coalesce(max(id), 0)::text AS id FROM microsoft_raw_batches`)).rows[0].id;
    const unnamed = async (after: string) => (await db.sql.query(
      `SELECT count(*)::int AS n FROM microsoft_raw_batches b WHERE b.id > $1 AND NOT EXISTS (SELECT 1 FROM microsoft_call_rows m WHERE m.raw_batch = b.id)`, [after])).rows[0].n;

    // a new day: three batches COPYed straight in, all in the import's own transaction (one xmin)
    writeFileSync(join(dir, 'fresh-day.ndjson'), Array.from({ length: 10_000 }, (_, i) => row(`f-${i}`, '2026-04-01')).join('\n'));
    direct.mockClear();
    expect(await imports.importFile(join(dir, 'fresh-day.ndjson'), OTHER)).toMatchObject({ rowsRead: 10_000, inserted: 10_000, updated: 0, unchanged: 0 });
    expect(direct.mock.calls).toHaveLength(3);
    expect(await xmins('2026-04-01')).toBe(1);

    // another new day whose line 6001 repeats the id of line 11: the second batch fails without a savepoint,
    // the import is rolled back whole (its evidence too) and read again, each direct batch in a savepoint
    const lines = Array.from({ length: 9000 }, (_, i) => row(`g-${i}`, '2026-04-02'));
    lines[6000] = row('g-10', '2026-04-02', '6.5');
    writeFileSync(join(dir, 'repeat-far.ndjson'), lines.join('\n'));
    const before = await lastBatch();
    direct.mockClear();
    const r = await imports.importFile(join(dir, 'repeat-far.ndjson'), OTHER);
    // again: batch 1 direct; batch 2 meets g-10 and is staged with batch 3, its copy of g-10 replacing the first
    expect(r).toMatchObject({ rowsRead: 9000, inserted: 8999, updated: 1, unchanged: 0, rejected: 0 });
    expect(direct.mock.calls).toHaveLength(2 + 2);
    const g10 = await db.sql.query(`SELECT charge::text AS charge FROM microsoft_call_rows WHERE tenant_id = $1 AND id = 'g-10'`, [OTHER]);
    expect(g10.rows).toEqual([{ charge: '6.5' }]);
    expect(await xmins('2026-04-02')).toBeGreaterThan(1);
    expect(await unnamed(before)).toBe(0); // no evidence left of the first reading
    expect((await db.sql.query(`SELECT count(*)::int AS n FROM microsoft_call_rows WHERE tenant_id = $1 AND start_day = '2026-04-02'`, [OTHER])).rows[0].n).toBe(8999);
    direct.mockRestore();
  });

  it('refuses a saved Graph response that is not UTF-8, naming the file', async () => {
    const page = Buffer.from(`{"value":[${pstn('doc-latin', '"userDisplayName":"Ren\u00e9"')}]}`, 'latin1'); // é as one byte
    writeFileSync(join(dir, 'latin-page.json'), page);
    await expect(imports.importFile(join(dir, 'latin-page.json'), OTHER)).rejects.toThrow('latin-page.json is not valid UTF-8 (a saved Graph response is)');
    const rows = await db.sql.query(`SELECT count(*)::int AS n FROM microsoft_call_rows WHERE tenant_id = $1 AND id = 'doc-latin'`, [OTHER]);
    expect(rows.rows[0].n).toBe(0);
  });

  it('says a file of nothing but blank lines is empty', async () => {
    writeFileSync(join(dir, 'blank.ndjson'), '   \n\n\t\n');
    writeFileSync(join(dir, 'nothing.ndjson'), '');
    for (const name of ['blank.ndjson', 'nothing.ndjson']) {
      await expect(imports.importFile(join(dir, name), OTHER)).rejects.toThrow(`${name} is empty (nothing but blank lines)`);
    }
  });

  it('leaves neither rows nor evidence when it fails: the raw batches written on their own connection are rolled back, or deleted once committed', async () => {
    const repository = app.get(MicrosoftLogsRepository);
    const row = (i: number) => pstn(`f-${i}`, `"charge":0.5,"startDateTime":"2026-03-03T10:00:00.1234567Z"`);
    const stored = async () => (await db.sql.query(
      `SELECT (SELECT count(*)::int FROM microsoft_call_rows WHERE tenant_id = $1) AS rows, (SELECT count(*)::int FROM microsoft_raw_batches WHERE tenant_id = $1) AS batches`, [FAILING])).rows[0];
    // batch 1 goes straight in (its evidence on the second connection); batch 2 repeats an id, so it is
    // staged, and the evidence of batch 1 is committed before its upsert, which then fails
    const lines = [...Array.from({ length: 4000 }, (_, i) => row(i)), row(5000), row(5000), row(5001)];
    writeFileSync(join(dir, 'failing.ndjson'), lines.join('\n'));
    const upsert = jest.spyOn(repository, 'upsertImportStage').mockRejectedValueOnce(new Error('the server went away'));
    await expect(imports.importFile(join(dir, 'failing.ndjson'), FAILING)).rejects.toThrow('the server went away');
    expect(upsert).toHaveBeenCalledTimes(1);
    expect(await stored()).toEqual({ rows: 0, batches: 0 });
    upsert.mockRestore();

    // a failure before anything was committed: the evidence is rolled back with the rows
    const original = repository.copyIntoCallRows.bind(repository);
    const copy = jest.spyOn(repository, 'copyIntoCallRows').mockImplementationOnce(original).mockRejectedValueOnce(new Error('disk full'));
    writeFileSync(join(dir, 'failing-later.ndjson'), Array.from({ length: 9000 }, (_, i) => row(i)).join('\n'));
    await expect(imports.importFile(join(dir, 'failing-later.ndjson'), FAILING)).rejects.toThrow('disk full');
    expect(copy).toHaveBeenCalledTimes(2);
    expect(await stored()).toEqual({ rows: 0, batches: 0 });
    copy.mockRestore();

    // and the same files then import whole, every row with its evidence
    expect(await imports.importFile(join(dir, 'failing-later.ndjson'), FAILING)).toMatchObject({ inserted: 9000 });
    const evidence = await db.sql.query(
      `SELECT count(*)::int AS n FROM microsoft_raw_rows_of($1, ARRAY(SELECT id FROM microsoft_call_rows WHERE tenant_id = $1)) WHERE raw::text LIKE '{"id":"f-%'`, [FAILING]);
    expect(evidence.rows[0].n).toBe(9000);
    // the batches written on the evidence connection name the import's own transaction (as its record does)
    const owners = await db.sql.query(`SELECT DISTINCT b.import_xact = i.xact AS same FROM microsoft_raw_batches b, microsoft_imports i WHERE b.tenant_id = $1 AND i.tenant_id = $1`, [FAILING]);
    expect(owners.rows).toEqual([{ same: true }]);
  });

  it("deletes the evidence of an import killed between its two commits, once its transaction has aborted, and no other", async () => {
    const repository = app.get(MicrosoftLogsRepository);
    const T = '79797979-0000-4000-8000-000000000079';
    const imports = await Promise.all([0, 1, 2].map(async () => {
      const c = new Client({ connectionString: db.url });
      await c.connect();
      await c.query('BEGIN');
      return { c, xact: (await c.query(`SELECT pg_current_xact_id()::text AS x`)).rows[0].x as string };
    }));
    const [killed, committed, running] = imports;
    for (const [i, owner] of [killed, committed, running].entries()) {
      await db.sql.query(`INSERT INTO microsoft_raw_batches (tenant_id, row_count, lines, import_xact) VALUES ($1, 1, $2, $3)`, [T, `{"n":${i}}`, owner.xact]);
    }
    await db.sql.query(`INSERT INTO microsoft_raw_batches (tenant_id, row_count, lines) VALUES ($1, 1, '{"page":1}')`, [T]); // a pull's: no owner
    await committed.c.query('COMMIT');
    await killed.c.end(); // the server aborts its transaction
    const left = async () => (await db.sql.query(`SELECT lines FROM microsoft_raw_batches WHERE tenant_id = $1 ORDER BY lines`, [T])).rows.map((r) => r.lines);
    for (let i = 0; i < 50 && (await db.sql.query(`SELECT pg_xact_status($1::xid8) AS s`, [killed.xact])).rows[0].s !== 'aborted'; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await repository.deleteAbandonedEvidence()).toBe(1);
    expect(await left()).toEqual(['{"n":1}', '{"n":2}', '{"page":1}']);
    await running.c.query('ROLLBACK');
    await running.c.end();
    await committed.c.end();
    expect(await repository.deleteAbandonedEvidence()).toBe(1);
    expect(await left()).toEqual(['{"n":1}', '{"page":1}']);
  });

  it('reads a line with a key given twice as PostgreSQL does (the last copy of the key), which lossless-json refuses', async () => {
    const lines = [
      '{"id":"dup-key","callId":"first","callId":"second","charge":0.10000000000000000001,"charge":2.50000000000000000001}',
      '{"id":"dup-bad","callId":"c","duration":5,"duration":"five"}',
      pstn('after-dup', '"charge":1'),
    ];
    writeFileSync(join(dir, 'dup.ndjson'), lines.join('\n'));
    const r = await imports.importFile(join(dir, 'dup.ndjson'), OTHER);
    expect(r).toMatchObject({ rowsRead: 3, inserted: 2, rejected: 1, problems: [{ line: 2, reason: 'duration "five" is not a whole number' }] });
    const rows = await db.sql.query(`SELECT id, call_id, charge::text AS charge FROM microsoft_call_rows WHERE tenant_id = $1 AND id IN ('dup-key', 'after-dup') ORDER BY id`, [OTHER]);
    expect(rows.rows).toEqual([{ id: 'after-dup', call_id: 'c-after-dup', charge: '1' }, { id: 'dup-key', call_id: 'second', charge: '2.50000000000000000001' }]);
  });

  it('stores long money exactly and rejects, by line and field, an amount with more digits than numeric holds, text holding U+0000 and a line that is not UTF-8 (the rest of the file loads)', async () => {
    const long = `0.${'1234567890'.repeat(200)}`; // 2000 fraction digits: beyond the byte path, still a numeric
    const lines = [
      pstn('money-long', `"charge":${long},"startDateTime":"2026-03-03T10:00:00Z"`),
      pstn('money-too-long', `"charge":0.${'1'.repeat(16_384)},"startDateTime":"2026-03-03T10:00:00Z"`),
      pstn('money-after', '"charge":12.50,"startDateTime":"2026-03-03T10:00:00Z"'),
      pstn('nul-text', '"userDisplayName":"Bob\\u0000","startDateTime":"2026-03-03T10:00:00Z"'), // text cannot hold U+0000 either
      pstn('k'.repeat(513), '"startDateTime":"2026-03-03T10:00:00Z"'), // an index entry holds about 2700 bytes: ids are kept to 512
    ];
    const latin = Buffer.from(pstn('not-utf8', '"userDisplayName":"Ren\u00e9","startDateTime":"2026-03-03T10:00:00Z"'), 'latin1'); // é as one byte
    writeFileSync(join(dir, 'long-money.ndjson'), Buffer.concat([Buffer.from(lines.join('\n') + '\n'), latin]));
    const r = await imports.importFile(join(dir, 'long-money.ndjson'), OTHER);
    expect(r).toMatchObject({ rowsRead: 6, inserted: 2, rejected: 4, problems: [
      { line: 2, reason: expect.stringMatching(/^charge "0\.1+…" has more digits than PostgreSQL's numeric holds$/) },
      { line: 4, reason: 'userDisplayName holds a NUL character (\\u0000), which PostgreSQL text cannot store' },
      { line: 5, reason: 'id is longer than 512 bytes' },
      { line: 6, reason: 'is not valid UTF-8' }, // decoded, the row and its evidence would not be what was sent
    ] });
    const rows = await db.sql.query(`SELECT id, charge::text AS charge FROM microsoft_call_rows WHERE tenant_id = $1 AND id IN ('money-long', 'money-after') ORDER BY id`, [OTHER]);
    expect(rows.rows).toEqual([{ id: 'money-after', charge: '12.50' }, { id: 'money-long', charge: long }]);
  });
});
