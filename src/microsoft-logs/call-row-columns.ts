import { START_DAY_SQL } from './microsoft-call-row.entity';

/**
 * microsoft_call_rows' typed columns a stored row fills, with their SQL types, in one fixed order. The
 * row's JSON text as received goes to microsoft_raw_batches (`raw_batch`, `raw_line` name it).
 */
export const CALL_COLUMNS = [
  ['id', 'text'], ['source', 'text'], ['call_id', 'text'], ['user_id', 'text'], ['user_principal_name', 'text'], ['user_display_name', 'text'],
  ['start_time', 'timestamptz'], ['end_time', 'timestamptz'], ['duration_seconds', 'integer'], ['charge', 'numeric'], ['connection_charge', 'numeric'],
  ['currency', 'text'], ['call_type', 'text'], ['caller_number', 'text'], ['callee_number', 'text'], ['destination_context', 'text'],
  ['destination_name', 'text'], ['conference_id', 'text'], ['license_capability', 'text'], ['inventory_type', 'text'], ['operator', 'text'],
  ['call_duration_source', 'text'], ['tenant_country_code', 'text'], ['usage_country_code', 'text'], ['successful_call', 'boolean'],
  ['final_sip_code', 'integer'],
] as const;

const names = CALL_COLUMNS.map(([n]) => n);

/**
 * The rest of a `WITH` statement that upserts on the key (tenant_id, start_day, id) the rows of the CTE
 * `input` (declared before, with distinct keys): CALL_COLUMNS typed as above, `raw` (the row's JSON text, without line
 * feeds) and `ord` (an integer giving their order). A row whose stored copy is the same, in every
 * typed column and in its raw text, is left alone; the others get their raw text in one new batch of
 * microsoft_raw_batches, line k for the k-th of them. It ends with the CTE `upserted` (one
 * `inserted` boolean per row written); the caller adds its own CTEs and its final SELECT.
 */
export function upsertCallRowsSql(tenant: string): string {
  return `, stored AS (
  SELECT i.ord, m.raw_batch, m.raw_line, (${names.map((n) => `m.${n}`).join(', ')}) IS NOT DISTINCT FROM (${names.map((n) => `i.${n}`).join(', ')}) AS same
  FROM input i CROSS JOIN LATERAL (
    -- an index probe per row, never a scan of the tenant (LIMIT 1 keeps it so, and keeps the estimate
    -- of stored at one row per input row: without it, stored_raw was planned as a loop over every row)
    SELECT * FROM microsoft_call_rows m WHERE m.tenant_id = ${tenant}::uuid AND m.start_day = ${START_DAY_SQL('i.start_time')} AND m.id = i.id LIMIT 1
  ) AS m
), stored_raw AS (
  SELECT raw_batch, raw_line, raw FROM microsoft_raw_rows WHERE raw_batch IN (SELECT raw_batch FROM stored WHERE same)
), changed AS (
  SELECT i.*, row_number() OVER (ORDER BY i.ord)::int AS k
  FROM input i LEFT JOIN stored s ON s.ord = i.ord LEFT JOIN stored_raw w ON s.same AND w.raw_batch = s.raw_batch AND w.raw_line = s.raw_line
  WHERE s.ord IS NULL OR NOT s.same OR w.raw IS DISTINCT FROM i.raw
), batch AS (
  INSERT INTO microsoft_raw_batches (tenant_id, row_count, lines)
  SELECT ${tenant}::uuid, count(*), string_agg(raw, E'\\n' ORDER BY k) FROM changed HAVING count(*) > 0
  RETURNING id
), upserted AS (
  INSERT INTO microsoft_call_rows (tenant_id, ${names.join(', ')}, raw_batch, raw_line, stored_at)
  SELECT ${tenant}::uuid, ${names.map((n) => `c.${n}`).join(', ')}, b.id, c.k, now() FROM changed c CROSS JOIN batch b
  ON CONFLICT (tenant_id, start_day, id) DO UPDATE SET ${names.filter((n) => n !== 'id').map((n) => `${n} = EXCLUDED.${n}`).join(', ')},
    raw_batch = EXCLUDED.raw_batch, raw_line = EXCLUDED.raw_line, stored_at = now()
  RETURNING (xmax = 0) AS inserted
)`;
}

/** A row's JSON text as a line of a raw batch: a line feed (JSON whitespace only) becomes a space. */
export const RAW_LINE = (text: string) => `replace(${text}, E'\\n', ' ')`;
