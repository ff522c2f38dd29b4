import { Client } from 'pg';
import { BenchSection, runCliMeasured } from './bench-context';

const TENANTS = ['0d7d6f3a-1c2b-4f5e-9a8b-7c6d5e4f3a2b', '6b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'];
const FILE_ID = '00000000-0000-4000-8000-0000000be7c4';
const DAY = '2026-11-01';
const round = (x: number) => Math.round(x * 100) / 100;

/**
 * One day's window of rows × rows on each side, generated in SQL, with about 1% of each kind of
 * difference (by i % 100): 1 no Microsoft row, 2 no carrier row, 3 duration +5 s, 4 charge +0.01,
 * 5 currency EUR, 6 carrier row delivered twice, 7 carrier row without call id and a masked
 * Microsoft callee (paired by numbers and time). match_s is `ocrecon reconcile` as a user runs it;
 * join_floor_s a bare full outer join on call id with the same comparisons, one row per call.
 */
export const matchBench: BenchSection = async (ctx) => {
  const url = await ctx.createDatabase();
  const c = new Client({ connectionString: url });
  await c.connect();
  const n = ctx.rows;
  const genStarted = process.hrtime.bigint();
  await c.query(`INSERT INTO carriers (id, name, operator_names) VALUES ('bench', 'Bench Carrier', '{Bench Carrier}')`);
  await c.query(`INSERT INTO tenants (carrier_id, tenant_id) VALUES ('bench', $1), ('bench', $2)`, TENANTS);
  await c.query(
    `INSERT INTO carrier_files (id, carrier_id, sha256, file_name, rows_read, accepted, rejected, skipped) VALUES ($1, 'bench', repeat('0', 64), 'bench.csv', $2, $2, 0, 0)`,
    [FILE_ID, n],
  );
  const base = `
    SELECT i, (ARRAY[$2::uuid, $3::uuid])[1 + i % 2] AS tenant_id, 'call-' || i AS call_id,
           $4::timestamptz + (i::numeric * 86399 / $1) * interval '1 second' + (i % 1000) * interval '1 microsecond' AS start_time,
           30 + i % 600 AS dur, '+1425' || lpad((i % 10000000)::text, 7, '0') AS caller, '+4930' || lpad((i * 7 % 10000000)::text, 7, '0') AS callee
    FROM generate_series(1, $1) i`;
  const args = [n, TENANTS[0], TENANTS[1], `${DAY}T00:00:00Z`];
  // The matcher never reads the raw rows: every generated row names the same one-line batch.
  const [{ id: rawBatch }] = (await c.query(`INSERT INTO microsoft_raw_batches (tenant_id, row_count, lines) VALUES ($1, 1, '{}') RETURNING id`, [TENANTS[0]])).rows;
  await c.query(
    `INSERT INTO microsoft_call_rows (tenant_id, id, source, call_id, start_time, duration_seconds, charge, connection_charge, currency, caller_number, callee_number, operator, raw_batch, raw_line)
     SELECT tenant_id, 'ms-' || i, 'pstn', call_id, start_time, dur, dur * 0.0005, 0.01, 'USD', caller,
            CASE WHEN i % 100 = 7 THEN left(callee, length(callee) - 3) || '***' ELSE callee END, 'Bench Carrier', $5, 1
     FROM (${base}) g WHERE i % 100 <> 1`,
    [...args, rawBatch],
  );
  await c.query(
    `INSERT INTO carrier_cdrs (carrier_id, file_id, line, record_id, call_id, tenant_id, start_time, duration_seconds, caller_number, callee_number, charge, connection_charge, currency)
     SELECT 'bench', $5::uuid, i + 1 + k, CASE WHEN k = 0 THEN 'r-' || i END, CASE WHEN i % 100 = 7 THEN NULL ELSE call_id END, tenant_id, start_time,
            dur + CASE WHEN i % 100 = 3 THEN 5 ELSE 0 END, caller, callee,
            dur * 0.0005 + CASE WHEN i % 100 = 4 THEN 0.01 ELSE 0 END, 0.01, CASE WHEN i % 100 = 5 THEN 'EUR' ELSE 'USD' END
     FROM (${base}) g CROSS JOIN generate_series(0, CASE WHEN i % 100 = 6 THEN 1 ELSE 0 END) k
     WHERE i % 100 <> 2
     ORDER BY i, k`,
    [...args, FILE_ID],
  );
  await c.query(`VACUUM ANALYZE microsoft_call_rows`);
  await c.query(`VACUUM ANALYZE carrier_cdrs`);
  const generateSeconds = Number(process.hrtime.bigint() - genStarted) / 1e9;

  const run = await runCliMeasured(['reconcile', '--carrier', 'bench', '--from', DAY, '--to', '2026-11-02', '--json'], { DATABASE_URL: url });
  const result = JSON.parse(run.stdout);
  process.stderr.write(`bench: match: counts ${JSON.stringify(result.counts)}, pairs ${JSON.stringify(result.pairs)}\n`);

  const floorStarted = process.hrtime.bigint();
  await c.query(`
    CREATE TABLE join_floor AS
    SELECT coalesce(m.call_id, c.call_id) AS call_id, m.id AS microsoft_row_id, coalesce(c.record_id, 'bench.csv:' || c.line) AS carrier_ref,
           abs(c.duration_seconds - m.duration_seconds) > 1 AS duration_mismatch,
           m.currency IS DISTINCT FROM c.currency AS currency_mismatch,
           abs((coalesce(c.charge, 0) + coalesce(c.connection_charge, 0)) - (coalesce(m.charge, 0) + coalesce(m.connection_charge, 0))) > 0 AS charge_mismatch,
           (coalesce(c.charge, 0) + coalesce(c.connection_charge, 0)) - (coalesce(m.charge, 0) + coalesce(m.connection_charge, 0)) AS money_delta
    FROM (SELECT * FROM microsoft_call_rows WHERE source = 'pstn' AND start_time >= $1 AND start_time < $2) m
    FULL JOIN (SELECT * FROM carrier_cdrs WHERE carrier_id = 'bench' AND start_time >= $1 AND start_time < $2) c ON c.call_id = m.call_id`,
    [`${DAY}T00:00:00Z`, '2026-11-02T00:00:00Z'],
  );
  const floorSeconds = Number(process.hrtime.bigint() - floorStarted) / 1e9;
  await c.end();
  return {
    match_rows: n,
    match_generate_s: round(generateSeconds),
    match_s: round(run.seconds),
    join_floor_s: round(floorSeconds),
    match_vs_floor: round(run.seconds / floorSeconds),
    match_peak_rss_mb: run.peakRssMb,
    match_discrepancies: Object.values(result.counts as Record<string, number>).reduce((a, b) => a + b, 0),
  };
};
