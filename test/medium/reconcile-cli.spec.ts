import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { runCli } from '../support/cli';
import { createTestDatabase, TestDatabase } from '../support/test-db';

const T1 = '0d7d6f3a-1c2b-4f5e-9a8b-7c6d5e4f3a2b';

// From ingest to export through the built CLI, as a billing analyst runs it.
describe('ocrecon reconcile / discrepancies / review', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  const cli = async (...args: string[]) => {
    const r = await runCli(args, env);
    if (r.code !== 0) throw new Error(`ocrecon ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    env = { DATABASE_URL: db.url };
    await cli('carriers', 'add', 'acme', '--name', 'Acme Voice');
    await cli('tenants', 'add', T1, '--carrier', 'acme');
    const dir = mkdtempSync(join(tmpdir(), 'ocrecon-rec-'));
    const file = join(dir, 'acme-2026-11-01.csv');
    writeFileSync(file, [
      'record_id,call_id,tenant_id,start_time,duration_seconds,caller_number,callee_number,charge,connection_charge,currency',
      `r1,call-1,${T1},2026-11-01T10:00:00.123456Z,60,+14255550100,+4930123456,0.120000,,USD`,
      `r2,call-2,${T1},2026-11-01T11:00:00Z,75.5,+14255550100,+4930123457,0.15,,USD`,
      `r3,call-3,${T1},2026-11-01T12:00:00Z,30,+14255550100,+4930123458,0.05,,USD`,
      `,call-1,${T1},2026-11-01T10:00:00.123456Z,60,+14255550100,+4930123456,0.12,,USD`,
      `r5,,,2026-11-01T13:00:02Z,42,+14255550101,+4930123499,0.07,,USD`,
      `r6,call-6,${T1},2026-11-01T23:59:59Z,10,+14255550100,+4930123400,0.02,,USD`,
    ].join('\n') + '\n');
    const ingest = JSON.parse(await cli('ingest', file, '--carrier', 'acme', '--json'));
    expect(ingest.accepted).toBe(6);
    const ms = (id: string, callId: string | null, start: string, duration: number, callee: string, charge: string, operator = 'acme voice') =>
      db.sql.query(
        `WITH b AS (INSERT INTO microsoft_raw_batches (tenant_id, row_count, lines) VALUES ($1, 1, '{}') RETURNING id)
         INSERT INTO microsoft_call_rows (tenant_id, id, source, call_id, start_time, duration_seconds, charge, connection_charge, currency, caller_number, callee_number, operator, raw_batch, raw_line)
         SELECT $1, $2, 'pstn', $3, $4, $5, $6, 0, 'USD', '+14255550100', $7, $8, b.id, 1 FROM b`,
        [T1, id, callId, start, duration, charge, callee, operator],
      );
    await ms('m1', 'call-1', '2026-11-01T10:00:00.123456Z', 60, '+4930123456', '0.12');
    await ms('m2', 'call-2', '2026-11-01T11:00:01Z', 70, '+4930123457', '0.15');
    await ms('m4', 'call-4', '2026-11-01T14:00:00Z', 20, '+4930123460', '0.04');
    await db.sql.query(`UPDATE microsoft_call_rows SET caller_number = '+14255550101' WHERE id = 'm4'`);
    await ms('m5', null, '2026-11-01T13:00:00Z', 42, '+4930123***', '0.07');
    await db.sql.query(`UPDATE microsoft_call_rows SET caller_number = '+14255550101' WHERE id = 'm5'`);
    await ms('m6', 'call-6', '2026-11-02T00:00:01Z', 10, '+4930123400', '0.02'); // across midnight
    await ms('m7', 'call-7', '2026-11-02T09:00:00Z', 30, '+4930123401', '0.05'); // a day without carrier data
    await ms('mx', 'call-x', '2026-11-01T09:00:00Z', 30, '+4930123402', '0.05', 'Microsoft'); // Calling Plan: out of scope
  });
  afterAll(async () => db?.drop());

  it('reconciles the window: counts per kind, money per side, days without carrier data', async () => {
    const r = JSON.parse(await cli('reconcile', '--carrier', 'acme', '--from', '2026-11-01', '--to', '2026-11-03', '--json'));
    expect(r.counts).toEqual({
      MISSING_AT_CARRIER: 1, MISSING_AT_MICROSOFT: 1, DUPLICATE_AT_CARRIER: 1, DURATION_MISMATCH: 1, CURRENCY_MISMATCH: 0, CHARGE_MISMATCH: 0,
    });
    expect(r.pairs).toEqual({ callId: 3, numbersAndTime: 1 });
    expect(r.daysWithoutCarrierData).toEqual(['2026-11-02']);
    expect([r.currency, r.microsoftTotal, r.carrierTotal, r.moneyDelta]).toEqual(['USD', '0.45', '0.53', '0.08']);
    expect(r.ruleSetVersion).toBe(1);
    expect(r.inputs.microsoft.rows).toBe(6);
    expect(r.inputs.carrier.rows).toBe(6);
    const day2 = r.controls.find((c: { day: string }) => c.day === '2026-11-02');
    expect(day2).toMatchObject({ carrierHasData: false, microsoftCalls: 2, matchedCalls: 1, carrierCalls: 0 });
    const human = await cli('reconcile', '--carrier', 'acme', '--from', '2026-11-01', '--to', '2026-11-03');
    expect(human).toMatch(/days without carrier data .*2026-11-02/);
  });

  it('exports the interfaces.md columns with plain decimals and ISO 8601 UTC times', async () => {
    const csv = (await cli('discrepancies', '--carrier', 'acme', '--from', '2026-11-01', '--to', '2026-11-03', '--format', 'csv')).trim().split('\n');
    expect(csv[0]).toBe('kind,carrier_id,tenant_id,call_id,microsoft_row_id,carrier_record_ref,start_time,microsoft_duration,carrier_duration,duration_delta,microsoft_total,microsoft_currency,carrier_total,carrier_currency,money_delta,match_method,status');
    expect(csv.slice(1).sort()).toEqual([
      `DUPLICATE_AT_CARRIER,acme,${T1},call-1,,acme-2026-11-01.csv:5,2026-11-01T10:00:00.123456Z,,60,60,,,0.12,USD,0.12,,OPEN`,
      `DURATION_MISMATCH,acme,${T1},call-2,m2,r2,2026-11-01T11:00:01Z,70,75.5,5.5,0.15,USD,0.15,USD,0,CALL_ID,OPEN`,
      `MISSING_AT_CARRIER,acme,${T1},call-4,m4,,2026-11-01T14:00:00Z,20,,-20,0.04,USD,,,-0.04,,OPEN`,
      `MISSING_AT_MICROSOFT,acme,${T1},call-3,,r3,2026-11-01T12:00:00Z,,30,30,,,0.05,USD,0.05,,OPEN`,
    ]);
    const json = JSON.parse(await cli('discrepancies', '--carrier', 'acme', '--from', '2026-11-01', '--to', '2026-11-03', '--format', 'json', '--kind', 'duration_mismatch'));
    expect(json).toHaveLength(1);
    expect(json[0]).toMatchObject({ kind: 'DURATION_MISMATCH', duration_delta: '5.5', money_delta: '0' });
  });

  it('a re-run replaces the results but keeps the review status and history of those still there', async () => {
    const [d] = JSON.parse(await cli('discrepancies', '--carrier', 'acme', '--from', '2026-11-01', '--to', '2026-11-02', '--json', '--kind', 'DURATION_MISMATCH'));
    const reviewed = JSON.parse(await cli('review', d.id, '--status', 'disputed', '--note', 'carrier rounds up', '--actor', 'ana', '--json'));
    expect(reviewed.status).toBe('DISPUTED');
    const [before] = (await db.sql.query(
      `SELECT inputs->'microsoft'->>'checksum' AS m, inputs->'carrier'->>'checksum' AS c FROM reconciliation_runs
       WHERE window_to = '2026-11-03T00:00:00Z' ORDER BY started_at DESC LIMIT 1`,
    )).rows;
    expect(before.m).toMatch(/^-?[0-9]+$/);
    // Microsoft's missing row arrives: MISSING_AT_MICROSOFT for r3 must go, the reviewed one stays.
    await db.sql.query(
      `WITH b AS (INSERT INTO microsoft_raw_batches (tenant_id, row_count, lines) VALUES ($1, 1, '{}') RETURNING id)
       INSERT INTO microsoft_call_rows (tenant_id, id, source, call_id, start_time, duration_seconds, charge, connection_charge, currency, caller_number, callee_number, operator, raw_batch, raw_line)
       SELECT $1, 'm3', 'pstn', 'call-3', '2026-11-01T12:00:00Z', 30, 0.05, 0, 'USD', '+14255550100', '+4930123458', 'Acme Voice', b.id, 1 FROM b`,
      [T1],
    );
    const again = JSON.parse(await cli('reconcile', '--carrier', 'acme', '--from', '2026-11-01', '--to', '2026-11-03', '--json'));
    expect(again.counts.MISSING_AT_MICROSOFT).toBe(0);
    expect(again.discrepancies).toEqual({ created: 0, kept: 3, removed: 1 });
    // The input checksums: the Microsoft side saw one more row, the carrier side the same rows.
    expect(again.inputs.carrier.checksum).toBe(before.c);
    expect(again.inputs.microsoft.checksum).not.toBe(before.m);
    const after = JSON.parse(await cli('discrepancies', '--carrier', 'acme', '--from', '2026-11-01', '--to', '2026-11-03', '--json'));
    expect(after.find((x: { id: string }) => x.id === d.id).status).toBe('DISPUTED');
    const { rows } = await db.sql.query(`SELECT event, to_status, note FROM discrepancy_events WHERE discrepancy_id = $1 ORDER BY id`, [d.id]);
    expect(rows).toEqual([
      { event: 'DETECTED', to_status: 'OPEN', note: null },
      { event: 'REVIEW', to_status: 'DISPUTED', note: 'carrier rounds up' },
    ]);
    const runs = await db.sql.query(`SELECT rule_set_version, settings->>'durationToleranceSeconds' AS tol, inputs->'microsoft'->>'rows' AS ms FROM reconciliation_runs ORDER BY started_at`);
    expect(runs.rows.at(-1)).toEqual({ rule_set_version: 1, tol: '1', ms: '7' });
  });

  it('two reconciles of the same window, one waiting for the other, both succeed with the same result', async () => {
    // Hold the carrier's reconcile lock so that both runs are started and waiting before either works.
    const holder = new Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock(hashtext('ocrecon.reconcile'), hashtext('acme'))`);
      const args = ['reconcile', '--carrier', 'acme', '--from', '2026-11-01', '--to', '2026-11-03', '--json'];
      const runs = [runCli(args, env), runCli(args, env)];
      const waiting = async () => Number((await holder.query(
        `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      )).rows[0].count);
      for (const started = Date.now(); (await waiting()) < 2; ) {
        if (Date.now() - started > 20000) throw new Error('the two reconciles did not both reach the lock');
        await new Promise((r) => setTimeout(r, 50));
      }
      await holder.query(`SELECT pg_advisory_unlock(hashtext('ocrecon.reconcile'), hashtext('acme'))`);
      const [a, b] = await Promise.all(runs);
      // The second sees what the first committed (its snapshot is taken once it holds the lock).
      expect({ code: a.code, stderr: a.stderr }).toEqual({ code: 0, stderr: '' });
      expect({ code: b.code, stderr: b.stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(b.stdout).counts).toEqual(JSON.parse(a.stdout).counts);
    } finally {
      await holder.end();
    }
  });

  it('fails with one line on stderr for a bad window', async () => {
    const r = await runCli(['reconcile', '--carrier', 'acme', '--from', '2026-11-02', '--to', '2026-11-01'], env);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual(['ocrecon: the window is empty: --to 2026-11-01 is not after --from 2026-11-02']);
  });

  // Microsoft rows are keyed by (tenant, UTC start day, id): an id given again on another day is a second
  // row. Both unpaired in one window: one MISSING_AT_CARRIER for the id (its natural key), the later start.
  it('reports an id stored on two days once, not failing the run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ocrecon-rec-'));
    writeFileSync(join(dir, 'acme-2026-11-02.csv'), 'record_id,call_id,tenant_id,start_time,duration_seconds,caller_number,callee_number,charge,connection_charge,currency\n'
      + `r9,call-9,${T1},2026-11-02T08:00:00Z,10,+14255550100,+4930123409,0.02,,USD\n`); // the 2nd has carrier data now
    await cli('ingest', join(dir, 'acme-2026-11-02.csv'), '--carrier', 'acme');
    await db.sql.query(`INSERT INTO microsoft_call_rows (tenant_id, id, source, call_id, start_time, duration_seconds, charge, connection_charge, currency,
        caller_number, callee_number, operator, raw_batch, raw_line)
      SELECT tenant_id, id, source, call_id, start_time + interval '1 day', duration_seconds, charge, connection_charge, currency,
        caller_number, callee_number, operator, raw_batch, raw_line FROM microsoft_call_rows WHERE id = 'm4'`);
    const r = JSON.parse(await cli('reconcile', '--carrier', 'acme', '--from', '2026-11-01', '--to', '2026-11-03', '--json'));
    expect(r.counts.MISSING_AT_CARRIER).toBe(2); // m4 once, and m7 (its day has carrier data now)
    const m4 = await db.sql.query(`SELECT start_time FROM discrepancies WHERE microsoft_row_id = 'm4' AND kind = 'MISSING_AT_CARRIER'`);
    expect(m4.rows).toEqual([{ start_time: new Date('2026-11-02T14:00:00Z') }]);
  });
});
