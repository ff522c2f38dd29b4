import { RAW_LINE, upsertCallRowsSql } from './call-row-columns';
import { START_DAY_SQL } from './microsoft-call-row.entity';
import { MAX_ID_BYTES } from './graph-row';

/**
 * Graph rows mapped to microsoft_call_rows by PostgreSQL itself, set-based, from their JSON text
 * parsed as jsonb (which keeps every JSON number as an exact `numeric`): the fast path of a pull
 * page (an NDJSON import maps its rows in Node instead: ndjson-row.ts). It is conservative: it only takes the rows for which it is sure to
 * produce exactly what `toStoredRow` (graph-row.ts) would, that is rows whose fields already have
 * their plain types (strings as strings, money as JSON numbers, whole numbers as such, UTC
 * timestamps ending in Z with a valid calendar date). Every other row is "slow": it is handed back
 * to Node, which maps it with toStoredRow (same values, same reasons). So are the rows sharing an id
 * with a slow row, so that of two copies the later one still wins.
 *
 * Differences from toStoredRow, none reachable with Graph's own output: a JSON number where text
 * is expected (callerNumber: 14255550100) is stored as jsonb writes it, so `1e3` becomes `1000`
 * and `-0` becomes `0` (toStoredRow kept the JSON text); a whole number written with an exponent
 * (`6e1`) is read as 60 (toStoredRow rejected it); jsonb keeps the last of two equal keys in one
 * object (lossless-json rejected the row).
 */

/**
 * The fields read, each extracted once as text (`->>`: a string as itself, a number as jsonb's
 * exact numeric text, an object or array as its JSON text) into a column of the same name.
 */
const FIELDS: [string, string][] = [
  ['id', 'id'], ['callId', 'call_id_pstn'], ['correlationId', 'call_id_dr'], ['userId', 'user_id'], ['userPrincipalName', 'user_principal_name'],
  ['userDisplayName', 'user_display_name'], ['startDateTime', 'start_text'], ['endDateTime', 'end_text'], ['duration', 'duration_text'],
  ['charge', 'charge_text'], ['connectionCharge', 'connection_charge_text'], ['currency', 'currency'], ['callType', 'call_type'],
  ['callerNumber', 'caller_number'], ['calleeNumber', 'callee_number'], ['destinationContext', 'destination_context'],
  ['destinationName', 'destination_name'], ['conferenceId', 'conference_id'], ['licenseCapability', 'license_capability'],
  ['inventoryType', 'inventory_type'], ['operator', 'operator'], ['callDurationSource', 'call_duration_source'],
  ['tenantCountryCode', 'tenant_country_code'], ['usageCountryCode', 'usage_country_code'], ['finalSipCode', 'final_sip_code_text'],
];

/** str(): a string, or null. A number or true/false is its text; an object or array is slow (as is a string that looks like one). */
const isText = (c: string) => `coalesce(left(${c}, 1) NOT IN ('{', '['), true)`;
/** decimalText of a JSON number or a plain decimal string: the same digits either way. */
const isDecimal = (c: string) => `coalesce(${c} ~ '^-?[0-9]+(\\.[0-9]+)?$', true)`;
/** integerText: 1-10 digits within PostgreSQL's integer range (the cast is reached only then). */
const isInteger = (c: string) => `CASE WHEN ${c} IS NULL THEN true WHEN ${c} ~ '^-?[0-9]{1,10}$' THEN abs(${c}::bigint) <= 2147483647 ELSE false END`;
/**
 * graphTimestamp's fast path: UTC with Z (digits checked by their shape, cheaper than a regular
 * expression) and a valid calendar date and time.
 */
const isInstant = (c: string) => {
  const [y, mo, d] = [`substr(${c}, 1, 4)::int`, `substr(${c}, 6, 2)::int`, `substr(${c}, 9, 2)::int`];
  const shape = `translate(${c}, '123456789', '000000000') = CASE WHEN length(${c}) = 20 THEN '0000-00-00T00:00:00Z' ELSE '0000-00-00T00:00:00.' || repeat('0', length(${c}) - 21) || 'Z' END`;
  return `CASE WHEN ${c} IS NULL THEN true WHEN length(${c}) BETWEEN 20 AND 30 AND length(${c}) <> 21 AND ${shape} THEN ${y} >= 1 AND ${mo} BETWEEN 1 AND 12 AND ${d} >= 1
     AND ${d} <= CASE WHEN ${mo} = 2 THEN CASE WHEN ${y} % 4 = 0 AND (${y} % 100 <> 0 OR ${y} % 400 = 0) THEN 29 ELSE 28 END
       WHEN ${mo} IN (4, 6, 9, 11) THEN 30 ELSE 31 END
     AND substr(${c}, 12, 2)::int <= 23 AND substr(${c}, 15, 2)::int <= 59 AND substr(${c}, 18, 2)::int <= 59 ELSE false END`;
};
/** Truncated (not rounded) to the microsecond; year 0001 is Graph's "no time". */
const instant = (c: string) =>
  `CASE WHEN fast AND ${c} IS NOT NULL AND left(${c}, 4) <> '0001' THEN (CASE WHEN length(${c}) > 27 THEN left(${c}, 26) || 'Z' ELSE ${c} END)::timestamptz END`;

const COMMON_TEXTS = ['user_id', 'user_principal_name', 'user_display_name', 'call_type', 'caller_number', 'callee_number'];
const PSTN_TEXTS = ['call_id_pstn', 'currency', 'destination_context', 'destination_name', 'conference_id', 'license_capability', 'inventory_type',
  'operator', 'call_duration_source', 'tenant_country_code', 'usage_country_code'];

/** True when the SQL mapping of row `j` (source `src`) is exactly toStoredRow's. */
const FAST = `jt = 'object' AND id_type = 'string' AND ascii(id) BETWEEN 33 AND 126 AND octet_length(id) <= ${MAX_ID_BYTES}
  AND ${COMMON_TEXTS.map(isText).join(' AND ')}
  AND ${isInstant('start_text')} AND ${isInstant('end_text')} AND ${isInteger('duration_text')}
  AND CASE WHEN src = 'pstn' THEN ${PSTN_TEXTS.map(isText).join(' AND ')} AND ${isDecimal('charge_text')} AND ${isDecimal('connection_charge_text')}
      ELSE ${isText('call_id_dr')} AND coalesce(jsonb_typeof(j->'successfulCall'), 'null') IN ('boolean', 'null') AND ${isInteger('final_sip_code_text')} END`;

const pstnOnly = (expr: string) => `CASE WHEN src = 'pstn' THEN ${expr} END`;
const drOnly = (expr: string) => `CASE WHEN src <> 'pstn' THEN ${expr} END`;

/** microsoft_call_rows' columns and their values for a fast row. */
const VALUES: [string, string][] = [
  ['id', 'id'],
  ['source', 'src'],
  ['call_id', `CASE WHEN src = 'pstn' THEN call_id_pstn ELSE call_id_dr END`],
  ...COMMON_TEXTS.map((c): [string, string] => [c, c]),
  ['start_time', instant('start_text')],
  ['end_time', instant('end_text')],
  ['duration_seconds', `CASE WHEN fast THEN duration_text::integer END`],
  ['charge', pstnOnly(`CASE WHEN fast THEN charge_text::numeric END`)],
  ['connection_charge', pstnOnly(`CASE WHEN fast THEN connection_charge_text::numeric END`)],
  ...PSTN_TEXTS.filter((c) => c !== 'call_id_pstn').map((c): [string, string] => [c, pstnOnly(c)]),
  ['successful_call', drOnly(`CASE WHEN fast THEN (j->>'successfulCall')::boolean END`)],
  ['final_sip_code', drOnly(`CASE WHEN fast THEN final_sip_code_text::integer END`)],
];

export interface FastUpsertSql {
  /** A query yielding `ord` (integer, the row's position or line), `j` (jsonb) and `raw` (json or text, the row's text as received), one row each. */
  elements: string;
  /** SQL text giving the source of a row `j`. */
  source: string;
  /** Parameter reference holding the tenant id, e.g. `$1`. */
  tenant: string;
  /** Store nothing when any row is slow (a pull page then goes through toStoredRow as a whole). */
  allOrNothing?: boolean;
  /** A data-modifying statement run with the counts (`counts.inserted`, `counts.updated`, `counts.fast`, `counts.total`) when nothing is slow. */
  thenUpdate?: string;
}

/**
 * One statement: map the rows, upsert the fast ones on their key, start day and id (the last copy of a key
 * wins; a row whose stored copy is identical is left alone), and return
 * `{inserted, updated, fast, total, slow: ord[] | null}`.
 */
export function fastUpsertSql(o: FastUpsertSql): string {
  return `
WITH r0 AS (
  SELECT e.ord::integer AS ord, e.j, e.raw, (${o.source})::text AS src, jsonb_typeof(e.j) AS jt, jsonb_typeof(e.j->'id') AS id_type,
    ${FIELDS.map(([f, c]) => `e.j->>'${f}' AS ${c}`).join(', ')}
  FROM (SELECT * FROM (${o.elements}) AS e0 OFFSET 0) AS e -- not flattened: j is made once per row
), r AS (
  SELECT *, id AS key, coalesce(${FAST}, false) AS fast FROM r0 -- a missing field makes a test null: slow, never lost
), contested AS (
  SELECT DISTINCT key FROM r WHERE NOT fast AND key IS NOT NULL
), slow AS (
  SELECT ord FROM r WHERE NOT fast OR key IN (SELECT key FROM contested)
), pick AS (
  SELECT DISTINCT ON (key, ${START_DAY_SQL(instant('start_text'))}) * FROM r
  WHERE fast AND NOT EXISTS (SELECT 1 FROM contested c WHERE c.key = r.key)${o.allOrNothing ? ' AND NOT EXISTS (SELECT 1 FROM slow)' : ''}
  ORDER BY key, ${START_DAY_SQL(instant('start_text'))}, ord DESC
), input AS (
  SELECT ord, ${VALUES.map(([n, v]) => `${v} AS ${n}`).join(', ')}, ${RAW_LINE('raw::text')} AS raw FROM pick
)${upsertCallRowsSql(o.tenant)}, counts AS (
  SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated,
    (SELECT count(*) FROM r WHERE fast AND NOT EXISTS (SELECT 1 FROM contested c WHERE c.key = r.key))::int AS fast,
    (SELECT count(*) FROM r)::int AS total
  FROM upserted
)${o.thenUpdate ? `, after AS (${o.thenUpdate} AND NOT EXISTS (SELECT 1 FROM slow) RETURNING 1)` : ''}
SELECT counts.inserted, counts.updated, counts.fast, counts.total, (SELECT array_agg(ord ORDER BY ord) FROM slow) AS slow FROM counts`;
}
