import { once } from 'node:events';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { canonicalRow, CANONICAL_HEADER } from '../src/demo/sample-carrier-file';
import { sampleDayCalls } from '../src/demo/sample-day';
import { BenchSection, runCliMeasured, secondsOf } from './bench-context';
import { round } from './ingest.bench';

export const TENANT = '4a5e8f0c-2b7d-4c1e-9f3a-6d8b0e2c4a71';

/**
 * End to end, as the nightly work runs it: ingest a carrier file of `rows` CDRs, import Microsoft's
 * log of the same day (`rows` Graph rows, NDJSON), reconcile the day and export its discrepancies,
 * each as the `ocrecon` command a user runs. About 1% of the calls carry each kind of difference.
 * e2e_s is the sum of the four commands' wall times; e2e_peak_rss_mb the largest of their peaks.
 *
 * e2e_floor_s, in the same database afterwards: what PostgreSQL alone needs to store both sides as
 * ocrecon stores them and to join them, with nothing parsed, validated or mapped: COPY of the carrier
 * file into a copy of carrier_cdrs (its indexes included), COPY of the Microsoft rows as stored
 * (exported beforehand, untimed; in binary, as ocrecon sends new rows) into copies of
 * microsoft_call_rows and microsoft_raw_batches, and
 * the bare join of the match bench's floor.
 *
 * e2e_bare_floor_s: a lower bound for any design that keeps both sides in PostgreSQL: the carrier
 * file COPYed into a table of its own columns, the Microsoft rows' matching columns only (tenant, id,
 * call id, start, duration, money, currency; exported beforehand, untimed, binary) into another, no index,
 * key or evidence on either, then the same join.
 */
export const e2eBench: BenchSection = async (ctx) => {
  const { carrierFile, microsoftFile, microsoftRows } = await writeSampleDay(ctx.workDir, 'e2e', ctx.rows, Date.UTC(2026, 10, 1), 5, true);
  const env = { DATABASE_URL: await ctx.createDatabase() };
  await runCliMeasured(['carriers', 'add', 'bench', '--name', 'Bench Telecom'], env);
  await runCliMeasured(['tenants', 'add', TENANT, '--carrier', 'bench'], env);
  const steps = {
    ingest: await runCliMeasured(['ingest', carrierFile, '--carrier', 'bench', '--json'], env),
    import: await runCliMeasured(['import-microsoft', microsoftFile, '--tenant', TENANT, '--json'], env),
    reconcile: await runCliMeasured(['reconcile', '--carrier', 'bench', '--from', '2026-11-01', '--to', '2026-11-02', '--json'], env),
    export: await runCliMeasured(['discrepancies', '--carrier', 'bench', '--from', '2026-11-01', '--to', '2026-11-02', '--format', 'csv'], env),
  };
  const counts = JSON.parse(steps.reconcile.stdout).counts as Record<string, number>;
  const exported = steps.export.stdout.split('\n').length - 2;
  const found = Object.values(counts).reduce((a, b) => a + b, 0);
  if (exported !== found) throw new Error(`the export has ${exported} discrepancies, the reconciliation found ${found}`);
  const total = Object.values(steps).reduce((s, x) => s + x.seconds, 0);
  const floor = await storageFloor(env.DATABASE_URL, carrierFile, join(ctx.workDir, 'e2e-microsoft.copy'));
  return {
    e2e_s: round(total),
    e2e_ingest_s: round(steps.ingest.seconds),
    e2e_import_s: round(steps.import.seconds),
    e2e_reconcile_s: round(steps.reconcile.seconds),
    e2e_export_s: round(steps.export.seconds),
    e2e_microsoft_rows: microsoftRows,
    e2e_carrier_file_mb: Math.round(statSync(carrierFile).size / 1048576),
    e2e_discrepancies: found,
    e2e_peak_rss_mb: Math.max(...Object.values(steps).map((x) => x.peakRssMb)),
    e2e_peak_rss_mb_by_step: Object.entries(steps).map(([name, x]) => `${name} ${x.peakRssMb}`).join(', '),
    e2e_floor_s: round(floor.carrier + floor.microsoft + floor.join),
    e2e_floor_carrier_copy_s: round(floor.carrier),
    e2e_floor_microsoft_copy_s: round(floor.microsoft),
    e2e_floor_join_s: round(floor.join),
    e2e_bare_floor_s: round(floor.bareCarrier + floor.bareMicrosoft + floor.bareJoin),
    e2e_bare_floor_parts_s: `carrier ${round(floor.bareCarrier)}, microsoft ${round(floor.bareMicrosoft)}, join ${round(floor.bareJoin)}`,
  };
};

/**
 * One generated day of TENANT's traffic (src/demo/sample-day.ts, random GUID ids): the carrier's CSV
 * (`<name>-carrier.csv`, only with `withCarrier`) and Microsoft's log as NDJSON (`<name>-microsoft.ndjson`).
 * Ids follow from the record ids (`recordPrefix` and a number): days with one prefix share them.
 */
export async function writeSampleDay(dir: string, name: string, rows: number, dayStartMs: number, seed: number, withCarrier: boolean, recordPrefix = 'E') {
  const carrierFile = join(dir, `${name}-carrier.csv`);
  const microsoftFile = join(dir, `${name}-microsoft.ndjson`);
  const carrier = withCarrier ? createWriteStream(carrierFile) : null;
  const microsoft = createWriteStream(microsoftFile);
  carrier?.write(CANONICAL_HEADER + '\n');
  let c = '';
  let m = '';
  let microsoftRows = 0;
  for (const call of sampleDayCalls({ rows, dayStartMs, tenants: [TENANT], operator: 'Bench Telecom', seed, recordPrefix })) {
    if (carrier) for (const row of call.carrier) c += canonicalRow(row);
    if (call.microsoft) {
      m += call.microsoft.json + '\n';
      microsoftRows++;
    }
    if (carrier && c.length > 1 << 16) {
      if (!carrier.write(c)) await once(carrier, 'drain');
      c = '';
    }
    if (m.length > 1 << 16) {
      if (!microsoft.write(m)) await once(microsoft, 'drain');
      m = '';
    }
  }
  carrier?.end(c);
  microsoft.end(m);
  await Promise.all([carrier && once(carrier, 'finish'), once(microsoft, 'finish')]);
  return { carrierFile, microsoftFile, microsoftRows };
}

interface Floor {
  carrier: number;
  microsoft: number;
  join: number;
  bareCarrier: number;
  bareMicrosoft: number;
  bareJoin: number;
}

/** The Microsoft columns the matcher needs, for the bare floor. */
const BARE_MICROSOFT = 'tenant_id, id, call_id, start_time, duration_seconds, charge, connection_charge, currency';

/** The bare full join of both sides with the classification's arithmetic, into a new table. */
const JOIN_FLOOR = (into: string, calls: string, cdrs: string) => `
      CREATE TABLE ${into} AS
      SELECT coalesce(m.call_id, c.call_id) AS call_id, m.id AS microsoft_row_id, c.record_id AS carrier_ref,
             abs(c.duration_seconds - m.duration_seconds) > 1 AS duration_mismatch,
             m.currency IS DISTINCT FROM c.currency AS currency_mismatch,
             abs((coalesce(c.charge, 0) + coalesce(c.connection_charge, 0)) - (coalesce(m.charge, 0) + coalesce(m.connection_charge, 0))) > 0 AS charge_mismatch,
             (coalesce(c.charge, 0) + coalesce(c.connection_charge, 0)) - (coalesce(m.charge, 0) + coalesce(m.connection_charge, 0)) AS money_delta
      FROM ${calls} m FULL JOIN ${cdrs} c ON c.call_id = m.call_id`;

async function storageFloor(url: string, carrierFile: string, microsoftCopy: string): Promise<Floor> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await pipeline(c.query(copyTo(`COPY microsoft_call_rows TO STDOUT (FORMAT binary)`)), createWriteStream(microsoftCopy));
    await pipeline(c.query(copyTo(`COPY microsoft_raw_batches TO STDOUT`)), createWriteStream(`${microsoftCopy}.raw`));
    await pipeline(c.query(copyTo(`COPY (SELECT ${BARE_MICROSOFT} FROM microsoft_call_rows) TO STDOUT (FORMAT binary)`)), createWriteStream(`${microsoftCopy}.bare`));
    await c.query(`CREATE TABLE floor_cdrs (LIKE carrier_cdrs INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES)`);
    await c.query(`ALTER TABLE floor_cdrs ALTER carrier_id SET DEFAULT 'bench', ALTER file_id SET DEFAULT gen_random_uuid(), ALTER line SET DEFAULT 0`);
    await c.query(`CREATE TABLE floor_calls (LIKE microsoft_call_rows INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING INDEXES)`);
    await c.query(`CREATE TABLE floor_raw (LIKE microsoft_raw_batches INCLUDING DEFAULTS INCLUDING INDEXES INCLUDING COMPRESSION)`);
    await c.query('CHECKPOINT');
    const carrier = await secondsOf(() => pipeline(createReadStream(carrierFile), c.query(copyFrom(
      `COPY floor_cdrs (record_id, call_id, tenant_id, direction, start_time, end_time, duration_seconds, caller_number, callee_number, charge, connection_charge, currency)
       FROM STDIN WITH (FORMAT csv, HEADER true)`))));
    const microsoft = await secondsOf(async () => {
      await pipeline(createReadStream(microsoftCopy), c.query(copyFrom(`COPY floor_calls FROM STDIN (FORMAT binary)`)));
      await pipeline(createReadStream(`${microsoftCopy}.raw`), c.query(copyFrom(`COPY floor_raw FROM STDIN`)));
    });
    const join = await secondsOf(() => c.query(JOIN_FLOOR('floor_join', 'floor_calls', 'floor_cdrs')));
    await c.query(`CREATE TABLE bare_cdrs (record_id text, call_id text, tenant_id uuid, direction text, start_time timestamptz, end_time timestamptz,
      duration_seconds numeric, caller_number text, callee_number text, charge numeric, connection_charge numeric, currency text)`);
    await c.query(`CREATE TABLE bare_calls AS SELECT ${BARE_MICROSOFT} FROM microsoft_call_rows WITH NO DATA`);
    await c.query('CHECKPOINT');
    const bareCarrier = await secondsOf(() => pipeline(createReadStream(carrierFile), c.query(copyFrom(`COPY bare_cdrs FROM STDIN WITH (FORMAT csv, HEADER true)`))));
    const bareMicrosoft = await secondsOf(() => pipeline(createReadStream(`${microsoftCopy}.bare`), c.query(copyFrom(`COPY bare_calls FROM STDIN (FORMAT binary)`))));
    const bareJoin = await secondsOf(() => c.query(JOIN_FLOOR('bare_join', 'bare_calls', 'bare_cdrs')));
    return { carrier, microsoft, join, bareCarrier, bareMicrosoft, bareJoin };
  } finally {
    await c.end();
  }
}
