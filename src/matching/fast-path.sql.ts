/**
 * The common case, straight from the base tables: a call id on exactly one row of each side (about 97%
 * of calls) can only pair those two rows, so rule 2 pairs them whatever their place in the greedy order,
 * and nothing else can claim either row. Such pairs are made and classified in one hash join of the
 * two sides (the shape of the bare join floor); only the other rows (call ids on several rows, no call
 * id, no partner, a partner refused by tenant or time) are written out, for the staged pipeline in
 * matching.sql.ts. Counts, checksums and the window's sums come from one aggregate scan of each side.
 *
 * Parameters shared by these statements: $1 carrier id, $2 window from, $3 window to, $4 near margin
 * (seconds), $5 far margin (seconds).
 */
import { currencyMismatchSql, farById, microsoftScope } from './matching.sql';

/** The window's Microsoft rows (reconcile-reference.ts selectInputs), columns as stored, the call id also trimmed. */
export const microsoftRows = (farIds: boolean) => `
  SELECT m.tenant_id, m.id, nullif(btrim(m.call_id), '') AS call_id, m.call_id AS raw_call_id, m.start_time, m.duration_seconds, m.charge, m.connection_charge,
         m.currency, m.caller_number, m.callee_number
  FROM (${microsoftScope}) m
  WHERE m.start_time >= $2::timestamptz - make_interval(secs => $5) AND m.start_time < $3::timestamptz + make_interval(secs => $5)
    AND ((m.start_time >= $2::timestamptz - make_interval(secs => $4) AND m.start_time < $3::timestamptz + make_interval(secs => $4))
         ${farById(farIds, 'm.call_id')})`;

/** The window's carrier rows, columns as stored, the call id also trimmed. */
export const carrierRows = (farIds: boolean) => `
  SELECT c.id, c.record_id, c.file_id, c.line, nullif(btrim(c.call_id), '') AS call_id, c.call_id AS raw_call_id, c.tenant_id, c.start_time, c.duration_seconds,
         c.charge, c.connection_charge, c.currency, c.caller_number, c.callee_number
  FROM carrier_cdrs c
  WHERE c.carrier_id = $1
    AND c.start_time >= $2::timestamptz - make_interval(secs => $5) AND c.start_time < $3::timestamptz + make_interval(secs => $5)
    AND ((c.start_time >= $2::timestamptz - make_interval(secs => $4) AND c.start_time < $3::timestamptz + make_interval(secs => $4))
         ${farById(farIds, 'c.call_id')})`;

/**
 * Call ids on more than one row of a side, as 64-bit hashes of the trimmed call id (a collision only
 * sends a few more rows through the staged pipeline, which decides them exactly). Grouping 8-byte
 * hashes costs about half what grouping the text ids does at 1,000,000 rows; the repository has them
 * sorted rather than hashed for this statement (as fast, and 24 MB per side instead of 131 MB).
 */
export const STAGE_SHARED_CALL_IDS = (farIds: boolean) => `
  CREATE TEMP TABLE rc_multi ON COMMIT DROP AS
  ${SHARED_MICROSOFT_CALL_IDS(farIds)}
  UNION ALL
  ${SHARED_CARRIER_CALL_IDS(farIds)}`;

const SHARED_MICROSOFT_CALL_IDS = (farIds: boolean) =>
  `SELECT h FROM (SELECT hashtextextended(call_id, 0) AS h FROM (${microsoftRows(farIds)}) m WHERE call_id IS NOT NULL) m GROUP BY h HAVING count(*) > 1`;
const SHARED_CARRIER_CALL_IDS = (farIds: boolean) =>
  `SELECT h FROM (SELECT hashtextextended(call_id, 0) AS h FROM (${carrierRows(farIds)}) c WHERE call_id IS NOT NULL) c GROUP BY h HAVING count(*) > 1`;

/**
 * The same in two halves, each side on its own connection at once: rc_multi of the Microsoft side
 * here, the carrier side's hashes as text from the second connection (SHARED_CARRIER_CALL_IDS_AS_TEXT),
 * added by ADD_SHARED_CALL_IDS ($1: a JSON array of them). Without rc_ids only.
 */
export const STAGE_SHARED_MICROSOFT_CALL_IDS = `
  CREATE TEMP TABLE rc_multi ON COMMIT DROP AS
  ${SHARED_MICROSOFT_CALL_IDS(false)}`;
export const SHARED_CARRIER_CALL_IDS_AS_TEXT = `SELECT h::text AS h FROM (${SHARED_CARRIER_CALL_IDS(false)}) c`;
export const ADD_SHARED_CALL_IDS = `INSERT INTO rc_multi SELECT h::bigint FROM jsonb_array_elements_text($1::jsonb) AS x(h)`;

/**
 * What the run saw of each side, in one aggregate scan of each (rc_scan): rows and the input checksum over every
 * row looked at (the sum of a 64-bit hash_record_extended of the row's stored matching fields, each
 * hashed exactly by its type: order-independent), and, for rows starting in the window (`w`), calls,
 * seconds and money per UTC day, tenant and currency of money (a carrier row's own tenant; rows naming
 * none are summed later, under their partner's tenant). Rows are grouped by the values as stored (few
 * groups, nothing computed per row but the sums); the groups are then normalised (currency) and
 * restricted to the window. `oneDay`: the window lies in one UTC day, which is then every in-window
 * row's day (spares a time zone conversion per row).
 */
export const SCAN_SUMS = (farIds: boolean, oneDay: boolean) => `
  SELECT g.side, g.w, CASE WHEN g.w THEN ${oneDay ? `($2::timestamptz AT TIME ZONE 'UTC')::date` : 'g.day'} END AS day,
         CASE WHEN g.w THEN g.tenant_id END AS tenant_id, g.w AND g.has_money AS has_money,
         CASE WHEN g.w AND g.has_money THEN nullif(upper(btrim(g.currency)), '') END AS currency, g.n, g.seconds, g.money, g.checksum
  FROM (
    ${scanSums('microsoft', microsoftRows(farIds), 'coalesce(r.duration_seconds, 0)', oneDay,
      'r.tenant_id, r.id, r.raw_call_id, r.start_time, r.duration_seconds, r.charge, r.connection_charge, r.currency, r.caller_number, r.callee_number')}
    UNION ALL
    ${scanSums('carrier', carrierRows(farIds), 'r.duration_seconds', oneDay,
      'r.record_id, r.file_id, r.line, r.raw_call_id, r.tenant_id, r.start_time, r.duration_seconds, r.charge, r.connection_charge, r.currency, r.caller_number, r.callee_number')}
  ) g`;

/** rc_scan from SCAN_SUMS in this session. */
export const STAGE_SCAN_SUMS = (farIds: boolean, oneDay: boolean) => `CREATE TEMP TABLE rc_scan ON COMMIT DROP AS ${SCAN_SUMS(farIds, oneDay)}`;

/** SCAN_SUMS run on another connection (in this transaction's snapshot), every value as text for the trip. */
export const SCAN_SUMS_AS_TEXT = (oneDay: boolean) => `
  SELECT side, w, day::text AS day, tenant_id::text AS tenant_id, has_money, currency, n, seconds::text AS seconds, money::text AS money,
         checksum::text AS checksum
  FROM (${SCAN_SUMS(false, oneDay)}) s`;

/** rc_scan from the rows of SCAN_SUMS_AS_TEXT ($1: a JSON array of them). */
export const STAGE_SCAN_SUMS_FROM_JSON = `
  CREATE TEMP TABLE rc_scan ON COMMIT DROP AS
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(side text, w boolean, day date, tenant_id uuid, has_money boolean, currency text, n int,
                                                    seconds numeric, money numeric, checksum numeric)`;

/** One side's groups for SCAN_SUMS, by the values as stored. */
const scanSums = (side: string, rows: string, seconds: string, oneDay: boolean, hashed: string) => `
  SELECT '${side}' AS side, r.start_time >= $2 AND r.start_time < $3 AS w, ${oneDay ? 'NULL::date' : `(r.start_time AT TIME ZONE 'UTC')::date`} AS day,
         r.tenant_id, r.currency::text AS currency, ${total('r')} <> 0 AS has_money, count(*)::int AS n,
         coalesce(sum(${seconds}), 0) AS seconds, coalesce(sum(${total('r')}), 0) AS money, coalesce(sum(hash_record_extended(ROW(${hashed}), 0)), 0) AS checksum
  FROM (${rows}) r
  GROUP BY 2, 3, 4, 5, 6`;

const total = (r: string) => `(coalesce(${r}.charge, 0) + coalesce(${r}.connection_charge, 0))`;
const currency = (r: string) => `nullif(upper(btrim(${r}.currency)), '')`;

/** Rule 2's conditions for the joined rows m, c (false without a partner). $6: callIdWindowSeconds. */
const joinedPairedSql = `(coalesce(c.tenant_id IS NULL OR c.tenant_id = m.tenant_id, false)
  AND coalesce(c.start_time BETWEEN m.start_time - make_interval(secs => $6) AND m.start_time + make_interval(secs => $6), false))`;

/**
 * Whether some classification rule may fail for the joined rows m, c (pairFailsSql; a NULL counts as
 * failing). Each rule first tries the exact comparison of the values as stored, which settles nearly
 * every pair without numeric arithmetic: equal durations, equal charges and connection charges, and
 * currencies written alike and not blank (equal once normalised). $7 duration, $8 charge tolerance.
 */
const joinedFailsSql = `coalesce(
  NOT c.duration_seconds = m.duration_seconds AND abs(c.duration_seconds - coalesce(m.duration_seconds, 0)) > $7
  OR NOT (c.charge = m.charge AND c.connection_charge IS NOT DISTINCT FROM m.connection_charge) AND abs(${total('c')} - ${total('m')}) > $8
  OR NOT (m.currency = c.currency AND btrim(m.currency) <> '') AND ${currencyMismatchSql(total('m'), currency('m'), total('c'), currency('c'))}, true)`;

/**
 * The hash join of both sides on the call id: the shape of the bare join floor. A pair is made here
 * (`paired`) when its call id is on one row of each side (not in rc_multi) and rule 2's conditions hold
 * (|Δstart| ≤ callIdWindowSeconds, tenants equal when both are named): such a pair is made by rule 2
 * whatever its place in the greedy order, and touches no other row. Written out: every row not paired
 * here (the staged pipeline's input, matching.sql.ts STAGE_MICROSOFT / STAGE_CARRIER), the pairs some
 * classification rule may fail for (`fails`), and the pairs whose carrier row names no tenant (the
 * controls count it under the Microsoft row's). The common pair that agrees is not written at all, and
 * its values are not even computed. The join is on the call ids as stored (cheaper to hash than
 * trimmed ones): equal stored ids are equal trimmed ones, and ids that differ only by spaces are
 * counted together in rc_multi (by their trimmed value), so their rows are not joined here; a
 * Microsoft id that is empty once trimmed is never joined.
 */
export const STAGE_JOINED = (farIds: boolean) => `
  CREATE TEMP TABLE rc_j ON COMMIT DROP AS
  SELECT m.tenant_id, m.id, m.call_id, m.start_time, m.duration_seconds::numeric AS dur, coalesce(m.duration_seconds, 0)::numeric AS dur0,
         ${total('m')} AS total, ${currency('m')} AS currency, m.caller_number, m.callee_number,
         c.id AS cdr_id, c.record_id, c.file_id, c.line, c.call_id AS c_call_id, c.tenant_id AS c_tenant_id, c.start_time AS c_start,
         c.duration_seconds AS c_dur, ${total('c')} AS c_total, ${currency('c')} AS c_currency, c.caller_number AS c_caller, c.callee_number AS c_callee,
         ${joinedPairedSql} AS paired, ${joinedFailsSql} AS fails
  FROM (${microsoftRows(farIds)}) m
  FULL JOIN (${carrierRows(farIds)}) c
    ON c.raw_call_id = m.raw_call_id AND NOT hashtextextended(m.call_id, 0) IN (SELECT h FROM rc_multi)
  WHERE NOT ${joinedPairedSql} OR ${joinedFailsSql} OR c.tenant_id IS NULL`;
