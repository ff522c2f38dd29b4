/**
 * The SQL passes of reconciliation-rules.md v1, in the order they run. Every statement works on the
 * whole window at once (set-based); the pure functions in pair-records.ts / classify.ts /
 * reconcile-reference.ts are the reference they are checked against (test/medium/reconcile-equivalence.spec.ts).
 *
 * The common case (a call id on one row of each side) is paired from the base tables first
 * (fast-path.sql.ts); the statements here stage and decide the rest. Parameters shared by the
 * statements that read the base tables: $1 carrier id, $2 window from, $3 window to, $4 near margin
 * (seconds), $5 far margin (seconds).
 */

/**
 * The regex `^\+[1-9][0-9*]{1,19}$` (normalizeMicrosoftNumber's final check) without a regex: `+`, a
 * digit 1-9, then only digits and `*`, 3 to 21 characters. About three times cheaper per row.
 */
const e164Sql = (x: string) =>
  `(left(${x}, 1) = '+' AND length(${x}) BETWEEN 3 AND 21 AND strpos('123456789', substr(${x}, 2, 1)) > 0 AND ltrim(substr(${x}, 3), '0123456789*') = '')`;

/** normalizeMicrosoftNumber() in SQL: separators out, tel: / 00 / bare digits to +, masked `*` kept. */
export function microsoftNumberSql(column: string): string {
  const valid = (x: string) => `${x} ~ '^\\+[1-9][0-9*]{1,19}$'`;
  const stripped = `regexp_replace(btrim(${column}), '[[:space:]().-]', '', 'g')`;
  const noTel = `(CASE WHEN lower(left(${stripped}, 4)) = 'tel:' THEN substr(${stripped}, 5) ELSE ${stripped} END)`;
  const plus = `(CASE WHEN ${noTel} LIKE '00%' THEN '+' || substr(${noTel}, 3) WHEN ${noTel} ~ '^[0-9]' THEN '+' || ${noTel} ELSE ${noTel} END)`;
  // Nearly every Graph number is E.164 already: only the others take the slow path (regexes).
  return `(CASE WHEN ${e164Sql(column)} THEN ${column} WHEN ${valid(plus)} THEN ${plus} END)`;
}

/**
 * Join key for rule 3: the number without its last 4 digits, and its length. Masking hides at most the
 * last 4 digits, so a masked Microsoft number and its carrier number share the key; a number whose
 * mask reaches further ("odd") is looked up by time instead.
 */
export const numberKeySql = (n: string) => `(CASE WHEN length(${n}) > 8 THEN left(${n}, length(${n}) - 4) || '#' || length(${n}) ELSE ${n} END)`;

const trimmedCallId = (c: string) => `nullif(btrim(${c}), '')`;

/**
 * The carrier's in-scope Microsoft rows (rules § In scope): PSTN, its tenants, its operator names
 * (case-insensitive). The names as written are tried first: lower() per row costs about 1 µs, and
 * nearly every row spells its operator exactly as configured.
 */
export const microsoftScope = `
  SELECT m.* FROM microsoft_call_rows m
  JOIN tenants t ON t.carrier_id = $1 AND t.tenant_id = m.tenant_id
  WHERE m.source = 'pstn'
    AND (m.operator = ANY (ARRAY(SELECT n FROM carriers k, unnest(k.operator_names) n WHERE k.id = $1))
         OR lower(m.operator) = ANY (ARRAY(SELECT lower(n) FROM carriers k, unnest(k.operator_names) n WHERE k.id = $1)))`;

/**
 * Whether either side has a row in the far margin outside the near one ([from − far, from − near) or
 * [to + near, to + far)): only then can a row be staged for sharing a call id with an in-window row,
 * and only then are the window's call ids (STAGE_WINDOW_CALL_IDS) worth collecting. Looked up on the
 * (carrier_id, start_time) and (tenant_id, start_time) indexes; it does not look at operator or
 * source, so it may say yes needlessly, never no wrongly.
 */
const farBands = (column: string) =>
  `((${column} >= $2::timestamptz - make_interval(secs => $5) AND ${column} < $2::timestamptz - make_interval(secs => $4))
    OR (${column} >= $3::timestamptz + make_interval(secs => $4) AND ${column} < $3::timestamptz + make_interval(secs => $5)))`;
export const FAR_MARGIN_HAS_ROWS = `
  SELECT EXISTS (SELECT 1 FROM carrier_cdrs c WHERE c.carrier_id = $1 AND ${farBands('c.start_time')})
      OR EXISTS (SELECT 1 FROM tenants t
                 CROSS JOIN LATERAL (SELECT 1 FROM microsoft_call_rows m WHERE m.tenant_id = t.tenant_id AND ${farBands('m.start_time')} LIMIT 1) m
                 WHERE t.carrier_id = $1) AS has_rows`;

/**
 * The far-margin condition of the statements reading the base tables: a row outside the near margin
 * is looked at when it shares a call id with an in-window row (rc_ids). When FAR_MARGIN_HAS_ROWS says
 * no, rc_ids is not made and the statements leave this condition out (it could only be false): without
 * the temporary table they can scan the base tables with parallel workers.
 */
export const farById = (farIds: boolean, callId: string) => (farIds ? `OR ${trimmedCallId(callId)} IN (SELECT call_id FROM rc_ids)` : '');

/** Call ids of rows (either side) starting in the window: rows sharing one are loaded from the far margin. */
export const STAGE_WINDOW_CALL_IDS = `
  CREATE TEMP TABLE rc_ids ON COMMIT DROP AS
  SELECT ${trimmedCallId('call_id')} AS call_id FROM (${microsoftScope}) s WHERE start_time >= $2 AND start_time < $3
  UNION
  SELECT ${trimmedCallId('call_id')} FROM carrier_cdrs WHERE carrier_id = $1 AND start_time >= $2 AND start_time < $3`;

/** A carrier row's record ref (`record_id`, or `<file name>:<line>`); `f` is its carrier_files row. */
const carrierRefSql = (c: string) => `coalesce(${c}.record_id, f.file_name || ':' || ${c}.line)`;
/** The carrier part of the natural key (classify.ts naturalKey). */
const carrierRefKeySql = (c: string) => `coalesce('id:' || ${c}.record_id, 'file:' || ${c}.file_id || ':' || ${c}.line)`;

/**
 * The Microsoft rows the fast path (fast-path.sql.ts STAGE_JOINED) did not pair, for rules 2 and 3.
 * mk identifies a row (no order: the tie-breaks use the row id and tenant themselves); ids_n counts
 * the staged rows with its call id (PAIR_SINGLE_CALL_IDS). Every row of a call id on several rows of
 * either side is here, so the counts are those of the whole window.
 */
export const STAGE_MICROSOFT = `
  CREATE TEMP TABLE rc_m ON COMMIT DROP AS
  SELECT row_number() OVER ()::int AS mk, count(*) OVER (PARTITION BY s.call_id COLLATE "C")::int AS ids_n,
         s.tenant_id, s.id, s.call_id, s.start_time, s.dur, s.dur0, s.total, s.currency, s.caller, s.callee
  FROM (
    SELECT j.tenant_id, j.id, j.call_id, j.start_time, j.dur, j.dur0, j.total, j.currency,
           ${microsoftNumberSql('j.caller_number')} AS caller, ${microsoftNumberSql('j.callee_number')} AS callee
    FROM rc_j j WHERE j.id IS NOT NULL AND NOT j.paired
    -- OFFSET 0 keeps this subquery from being flattened, so the normalisation is evaluated once per row.
    OFFSET 0
  ) s`;

/**
 * The carrier rows the fast path did not pair, with rule 1 applied: among rows equal in (call id,
 * start, numbers, duration and money total as numbers, currency) the one ingested first (lowest id)
 * takes part in matching, each other one is a duplicate. The rows of such a group share a call id (on
 * several rows, so not paired by the fast path) or have none: all of them are here. cr identifies a
 * row: carrier_cdrs.id (no order is needed: the tie-breaks use the record ref and ingest order
 * themselves); ids_n counts the staged rows with its call id (duplicates included). Both windows
 * share one sort (the call id, bytewise, first).
 */
export const STAGE_CARRIER = `
  CREATE TEMP TABLE rc_c ON COMMIT DROP AS
  SELECT s.cdr_id AS cr, s.*,
         row_number() OVER (PARTITION BY coalesce(s.call_id, '') COLLATE "C", s.start_time, s.caller, s.callee, s.dur, s.total, coalesce(s.currency, '')
                            ORDER BY s.cdr_id) > 1 AS dup,
         count(*) OVER (PARTITION BY coalesce(s.call_id, '') COLLATE "C")::int AS ids_n
  FROM (
    SELECT j.cdr_id, ${carrierRefSql('j')} AS ref, ${carrierRefKeySql('j')} AS ref_key,
           j.c_call_id AS call_id, j.c_tenant_id AS tenant_id, j.c_start AS start_time, j.c_dur AS dur, j.c_total AS total,
           j.c_currency AS currency, j.c_caller AS caller, j.c_callee AS callee
    FROM rc_j j JOIN carrier_files f ON f.id = j.file_id
    WHERE j.cdr_id IS NOT NULL AND NOT j.paired
  ) s`;

/**
 * Pairs found so far (round: the iteration that found it). `fails`: some classification rule may fail
 * for the pair (see pairFailsSql), so classification only joins those back to both sides.
 */
export const CREATE_PAIRS = `
  CREATE TEMP TABLE rc_pairs (mk int NOT NULL, cr bigint NOT NULL, method text NOT NULL, round int NOT NULL, fails boolean NOT NULL) ON COMMIT DROP;
  CREATE TEMP TABLE rc_cand (mk int NOT NULL, cr bigint NOT NULL, ds numeric NOT NULL, dd numeric NOT NULL, fails boolean NOT NULL,
                             m_id text NOT NULL, m_tenant text NOT NULL, m_start timestamptz NOT NULL, c_ref text NOT NULL, c_seq bigint NOT NULL) ON COMMIT DROP`;

/**
 * CURRENCY_MISMATCH (rules § Classification): both sides carry money and the currencies are not one
 * known currency. Arguments: Microsoft total and currency, carrier total and currency.
 */
export const currencyMismatchSql = (mTotal: string, mCur: string, cTotal: string, cCur: string) =>
  `(${mTotal} <> 0 AND ${cTotal} <> 0 AND (${mCur} IS NULL OR ${cCur} IS NULL OR ${mCur} <> ${cCur}))`;

/**
 * Whether any classification rule fails for a candidate pair (duration, currency or charge), worked
 * out while the candidate's two rows are at hand. It only preselects the pairs STAGE_FOUND classifies
 * (which checks every rule again), so a NULL counts as failing. $dur / $charge: the tolerances.
 */
const pairFailsSql = (m: { dur0: string; total: string; currency: string }, c: { dur: string; total: string; currency: string }, dur: string, charge: string) =>
  `coalesce(abs(${c.dur} - ${m.dur0}) > ${dur} OR ${currencyMismatchSql(m.total, m.currency, c.total, c.currency)} OR abs(${c.total} - ${m.total}) > ${charge}, true)`;

/**
 * Rule 2 candidates: same non-empty call id, |Δstart| ≤ callIdWindowSeconds ($1), tenants equal when
 * both are named. ds = |Δstart| in seconds (exact numeric), dd = |Δduration|. $2 duration tolerance,
 * $3 charge tolerance (for `fails`). `m` and `c` stand for the rows each statement joins.
 */
const callIdCandidates = (m: string, c: string) => `
  SELECT m.mk, c.cr, abs(extract(epoch FROM m.start_time - c.start_time)) AS ds, abs(m.dur0 - c.dur) AS dd,
         ${pairFailsSql({ dur0: 'm.dur0', total: 'm.total', currency: 'm.currency' }, { dur: 'c.dur', total: 'c.total', currency: 'c.currency' }, '$2', '$3')} AS fails,
         m.id AS m_id, m.tenant_id::text AS m_tenant, m.start_time AS m_start, c.ref AS c_ref, c.cdr_id AS c_seq
  FROM ${m} m JOIN ${c} c ON c.call_id = m.call_id
  WHERE NOT c.dup AND (c.tenant_id IS NULL OR c.tenant_id = m.tenant_id)
    AND c.start_time BETWEEN m.start_time - make_interval(secs => $1) AND m.start_time + make_interval(secs => $1)`;

/**
 * Rule 2, a call id on one staged row per side (ids_n = 1 on both): it gives the only candidate of
 * both its rows, which the greedy walk takes whatever its place in the order (nothing else can claim
 * either row), and which touches no other candidate: paired at once. The fast path has paired such
 * call ids already; these are the ones it refused (tenant or time), which this join refuses again,
 * and call ids that a hash collision sent here. $4 method, $5 round.
 */
export const PAIR_SINGLE_CALL_IDS = `
  INSERT INTO rc_pairs (mk, cr, method, round, fails)
  SELECT k.mk, k.cr, $4, $5, k.fails
  FROM (${callIdCandidates('(SELECT * FROM rc_m WHERE ids_n = 1)', '(SELECT * FROM rc_c WHERE ids_n = 1)')}) k`;

/**
 * Rule 2, the rest: candidates of call ids on several rows of either side, for the rounds. Each
 * branch joins the few such rows of one side to the other side.
 */
export const CONTESTED_CALL_ID_CANDIDATES = `
  INSERT INTO rc_cand (mk, cr, ds, dd, fails, m_id, m_tenant, m_start, c_ref, c_seq)
  ${callIdCandidates('(SELECT * FROM rc_m WHERE ids_n > 1)', 'rc_c')}
  UNION ALL
  ${callIdCandidates('(SELECT * FROM rc_m WHERE ids_n = 1)', '(SELECT * FROM rc_c WHERE ids_n > 1)')}`;

/**
 * The rows rule 2 left unpaired (duplicates aside), each side looked up in rc_pairs once: rule 3
 * pairs among them, and the window's unpaired rows (STAGE_UNPAIRED_*) are what it leaves of them.
 */
export const STAGE_LEFT_AFTER_CALL_ID_MICROSOFT = `
  CREATE TEMP TABLE rc_m_left ON COMMIT DROP AS
  SELECT m.* FROM rc_m m WHERE NOT EXISTS (SELECT 1 FROM rc_pairs p WHERE p.mk = m.mk)`;

export const STAGE_LEFT_AFTER_CALL_ID_CARRIER = `
  CREATE TEMP TABLE rc_c_left ON COMMIT DROP AS
  SELECT c.* FROM rc_c c WHERE NOT c.dup AND NOT EXISTS (SELECT 1 FROM rc_pairs p WHERE p.cr = c.cr)`;

/**
 * Rule 3 candidates among rows still unpaired (rc_m_left, rc_c_left): numbers equal after normalisation (a `*` in the
 * Microsoft number matching one digit: LIKE with `_`, equal lengths), |Δstart| ≤ matchWindowSeconds
 * ($1), tenants equal when both are named. An equi-join on the number keys, plus a join on time
 * alone for the rare Microsoft numbers masked beyond their last 4 digits. $2 duration tolerance, $3
 * charge tolerance (for `fails`).
 */
export const CANDIDATES_BY_NUMBERS = `
  WITH m AS (
    SELECT m.*, ${numberKeySql('m.caller')} AS caller_key, ${numberKeySql('m.callee')} AS callee_key
    FROM rc_m_left m WHERE m.caller IS NOT NULL AND m.callee IS NOT NULL
  ), c AS (
    SELECT c.*, ${numberKeySql('c.caller')} AS caller_key, ${numberKeySql('c.callee')} AS callee_key FROM rc_c_left c
  ), joined AS (
    SELECT m.*, c.cr, c.start_time AS c_start, c.dur AS c_dur, c.caller AS c_caller, c.callee AS c_callee, c.tenant_id AS c_tenant,
           c.total AS c_total, c.currency AS c_currency, c.ref AS c_ref, c.cdr_id AS c_seq
    FROM m JOIN c ON c.caller_key = m.caller_key AND c.callee_key = m.callee_key
    UNION ALL
    SELECT m.*, c.cr, c.start_time, c.dur, c.caller, c.callee, c.tenant_id, c.total, c.currency, c.ref, c.cdr_id
    FROM m JOIN c ON c.start_time BETWEEN m.start_time - make_interval(secs => $1) AND m.start_time + make_interval(secs => $1)
    WHERE m.caller_key LIKE '%*%' OR m.callee_key LIKE '%*%'
  )
  SELECT mk, cr, abs(extract(epoch FROM start_time - c_start)) AS ds, abs(dur0 - c_dur) AS dd,
         ${pairFailsSql({ dur0: 'dur0', total: 'total', currency: 'currency' }, { dur: 'c_dur', total: 'c_total', currency: 'c_currency' }, '$2', '$3')} AS fails,
         id AS m_id, tenant_id::text AS m_tenant, start_time AS m_start, c_ref, c_seq
  FROM joined
  WHERE c_start BETWEEN start_time - make_interval(secs => $1) AND start_time + make_interval(secs => $1)
    AND (c_tenant IS NULL OR c_tenant = tenant_id)
    AND length(c_caller) = length(caller) AND c_caller LIKE replace(caller, '*', '_')
    AND length(c_callee) = length(callee) AND c_callee LIKE replace(callee, '*', '_')`;

/**
 * The candidates of one pass (parameters $1-$3), with the common case settled at once: a candidate
 * that is the only one of its Microsoft row and the only one of its carrier row (`single`) is taken by
 * the greedy walk whatever its place in the order (nothing else can claim either row), and touches no
 * other candidate. Those go straight to rc_pairs ($4 method, $5 round); only the others are written
 * to rc_cand for the rounds. Returns both counts.
 */
const settle = (candidates: string) => `
  WITH k AS MATERIALIZED (${candidates}), singles AS (
    INSERT INTO rc_pairs (mk, cr, method, round, fails)
    SELECT mk, cr, $4, $5, fails FROM k WHERE single
    RETURNING 1
  ), contested AS (
    INSERT INTO rc_cand (mk, cr, ds, dd, fails, m_id, m_tenant, m_start, c_ref, c_seq)
    SELECT mk, cr, ds, dd, fails, m_id, m_tenant, m_start, c_ref, c_seq FROM k WHERE NOT single
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM singles)::int AS paired, (SELECT count(*) FROM contested)::int AS contested`;

/** Rule 3: few rows are left, so the candidates are counted per row to find the singles. */
export const SETTLE_BY_NUMBERS = settle(`
  SELECT x.*, count(*) OVER (PARTITION BY x.mk) = 1 AND count(*) OVER (PARTITION BY x.cr) = 1 AS single
  FROM (${CANDIDATES_BY_NUMBERS}) x`);

/**
 * One round of the greedy one-to-one pairing (rules 2 and 3: candidates sorted by |Δstart|, then
 * |Δduration|, then Microsoft row id and tenant, then carrier record ref and ingest order; within one
 * Microsoft row only the carrier side's tie-breaks can differ, and the other way round). A candidate that is the
 * first of this order for its Microsoft row AND for its carrier row would be taken by the greedy
 * walk (nothing earlier can claim either row), so every round takes all such "mutual best"
 * candidates at once; removing the candidates touching them and repeating gives exactly the greedy
 * result. $1 method, $2 round.
 */
export const PAIR_ROUND = `
  WITH best_m AS (SELECT DISTINCT ON (mk) mk, cr, fails FROM rc_cand ORDER BY mk, ds, dd, c_ref COLLATE "C", c_seq),
       best_c AS (SELECT DISTINCT ON (cr) mk, cr FROM rc_cand ORDER BY cr, ds, dd, m_id COLLATE "C", m_tenant COLLATE "C", m_start)
  INSERT INTO rc_pairs (mk, cr, method, round, fails)
  SELECT b.mk, b.cr, $1, $2, b.fails FROM best_m b JOIN best_c USING (mk, cr)`;

export const DROP_TAKEN_CANDIDATES = `
  DELETE FROM rc_cand k
  WHERE k.mk IN (SELECT mk FROM rc_pairs WHERE round = $1) OR k.cr IN (SELECT cr FROM rc_pairs WHERE round = $1)`;

/** UTC days overlapping the window on which the carrier has no CDR at all. $1 carrier, $2 from, $3 to. */
export const STAGE_DAYS_WITHOUT_CARRIER_DATA = `
  CREATE TEMP TABLE rc_silent_days ON COMMIT DROP AS
  SELECT d::date AS day
  FROM generate_series(date_trunc('day', $2::timestamptz AT TIME ZONE 'UTC'), ($3::timestamptz AT TIME ZONE 'UTC') - interval '1 microsecond', interval '1 day') d
  WHERE NOT EXISTS (
    SELECT 1 FROM carrier_cdrs c
    WHERE c.carrier_id = $1 AND c.start_time >= d AT TIME ZONE 'UTC' AND c.start_time < (d + interval '1 day') AT TIME ZONE 'UTC')`;

const DISCREPANCY_COLUMNS = `kind, tenant_id, call_id, microsoft_tenant_id, microsoft_row_id, carrier_cdr_id, carrier_record_ref, carrier_ref_key,
  start_time, microsoft_duration, carrier_duration, duration_delta, microsoft_total, microsoft_currency, carrier_total, carrier_currency,
  money_delta, match_method`;

/**
 * The window's rows left without a pair (classification and the controls both use them): unpaired
 * Microsoft rows, and unpaired or duplicate carrier rows, starting in [$1, $2). The rows rule 2 left
 * (rc_m_left, rc_c_left) minus those rule 3 paired ($3: its method), so the big rc_pairs is not
 * looked up again.
 */
export const STAGE_UNPAIRED_MICROSOFT = `
  CREATE TEMP TABLE rc_um ON COMMIT DROP AS
  SELECT m.* FROM rc_m_left m
  WHERE m.start_time >= $1 AND m.start_time < $2 AND NOT EXISTS (SELECT 1 FROM rc_pairs p WHERE p.method = $3 AND p.mk = m.mk)`;

export const STAGE_UNPAIRED_CARRIER = `
  CREATE TEMP TABLE rc_uc ON COMMIT DROP AS
  SELECT c.* FROM rc_c_left c
  WHERE c.start_time >= $1 AND c.start_time < $2 AND NOT EXISTS (SELECT 1 FROM rc_pairs p WHERE p.method = $3 AND p.cr = c.cr)
  UNION ALL
  SELECT c.* FROM rc_c c WHERE c.start_time >= $1 AND c.start_time < $2 AND c.dup`;

/**
 * Classification (rules § Classification) of everything that belongs to the window [$1, $2): pairs by
 * their Microsoft row's start, unpaired rows and duplicates by their own. $3 duration tolerance,
 * $4 charge tolerance.
 */
export const STAGE_FOUND = `
  CREATE TEMP TABLE rc_found ON COMMIT DROP AS
  WITH both_sides AS (
    SELECT m.tenant_id AS m_tenant, m.id AS m_id, m.call_id AS m_call, m.start_time AS m_start, m.dur AS m_dur, m.dur0, m.total AS m_total,
           m.currency AS m_cur, c.call_id, c.cdr_id, c.ref, c.ref_key, c.dur, c.total, c.currency, p.method
    FROM rc_pairs p JOIN rc_m m USING (mk) JOIN rc_c c USING (cr)
    -- Only pairs for which some rule may fail (rc_pairs.fails, from the candidate step): the few percent
    -- that give discrepancies, instead of every pair of the window.
    WHERE p.fails AND m.start_time >= $1 AND m.start_time < $2
    UNION ALL
    -- The fast path's pairs (rc_j: rule 2, a call id on one row of each side), likewise only those that may fail.
    SELECT j.tenant_id, j.id, j.call_id, j.start_time, j.dur, j.dur0, j.total, j.currency, j.c_call_id, j.cdr_id,
           ${carrierRefSql('j')}, ${carrierRefKeySql('j')}, j.c_dur, j.c_total, j.c_currency, 'CALL_ID'
    FROM rc_j j JOIN carrier_files f ON f.id = j.file_id
    WHERE j.paired AND j.fails AND j.start_time >= $1 AND j.start_time < $2
  ), pairs AS (
    -- CURRENCY_MISMATCH: both sides carry money and the currencies are not one known currency.
    SELECT b.*, ${currencyMismatchSql('b.m_total', 'b.m_cur', 'b.total', 'b.currency')} AS cur_mismatch FROM both_sides b
  )
  SELECT k.kind, p.m_tenant AS tenant_id, coalesce(p.m_call, p.call_id) AS call_id, p.m_tenant AS microsoft_tenant_id, p.m_id AS microsoft_row_id,
         p.cdr_id AS carrier_cdr_id, p.ref AS carrier_record_ref, p.ref_key AS carrier_ref_key, p.m_start AS start_time,
         p.m_dur AS microsoft_duration, p.dur AS carrier_duration, p.dur - p.dur0 AS duration_delta,
         p.m_total AS microsoft_total, p.m_cur AS microsoft_currency, p.total AS carrier_total, p.currency AS carrier_currency,
         CASE WHEN p.cur_mismatch THEN NULL ELSE p.total - p.m_total END AS money_delta, p.method AS match_method
  FROM pairs p
  CROSS JOIN LATERAL (VALUES
    -- DURATION_MISMATCH: |Δduration| > durationToleranceSeconds (a missing Microsoft duration counts as 0)
    ('DURATION_MISMATCH', abs(p.dur - p.dur0) > $3),
    ('CURRENCY_MISMATCH', p.cur_mismatch),
    -- CHARGE_MISMATCH: |Δ(charge + connection charge)| > chargeTolerance, unless the currencies differ
    ('CHARGE_MISMATCH', NOT p.cur_mismatch AND abs(p.total - p.m_total) > $4)
  ) k(kind, hit)
  WHERE k.hit
  UNION ALL
  -- MISSING_AT_CARRIER: an unpaired Microsoft row (rc_um: in the window), unless its day has no carrier data at all.
  -- One per Graph id, the latest start: rows are stored by (tenant, start day, id), so an id Microsoft gave
  -- on two days (its start moved; Graph's ids are unique) is two rows, and one discrepancy (its natural key).
  (SELECT DISTINCT ON (m.tenant_id, m.id) 'MISSING_AT_CARRIER', m.tenant_id, m.call_id, m.tenant_id, m.id, NULL, NULL, NULL, m.start_time,
         m.dur, NULL, -m.dur0, m.total, m.currency, NULL, NULL, -m.total, NULL
  FROM rc_um m
  WHERE (m.start_time AT TIME ZONE 'UTC')::date NOT IN (SELECT day FROM rc_silent_days)
  ORDER BY m.tenant_id, m.id, m.start_time DESC)
  UNION ALL
  -- MISSING_AT_MICROSOFT (unpaired) and DUPLICATE_AT_CARRIER (rule 1); rc_uc: in the window.
  SELECT CASE WHEN c.dup THEN 'DUPLICATE_AT_CARRIER' ELSE 'MISSING_AT_MICROSOFT' END, c.tenant_id, c.call_id, NULL, NULL,
         c.cdr_id, c.ref, c.ref_key, c.start_time, NULL, c.dur, c.dur, NULL, NULL, c.total, c.currency, c.total, NULL
  FROM rc_uc c`;

/** The natural key (classify.ts naturalKey). */
const NATURAL_KEY = `f.kind || '|' || coalesce(f.microsoft_tenant_id::text, '') || '/' || coalesce(f.microsoft_row_id, '') || '|' || coalesce(f.carrier_ref_key, '')`;

/** Re-running a window: discrepancies of the window that are no longer found go. $1 carrier, $2 from, $3 to. */
export const DELETE_VANISHED = `
  DELETE FROM discrepancies d
  WHERE d.carrier_id = $1 AND d.start_time >= $2 AND d.start_time < $3
    AND NOT EXISTS (SELECT 1 FROM rc_found f WHERE ${NATURAL_KEY} = d.natural_key)`;

/**
 * New discrepancies are inserted (OPEN, with a DETECTED event); surviving ones get this run's values
 * and keep their status and history. $1 carrier, $2 run id.
 */
export const UPSERT_FOUND = `
  WITH up AS (
    INSERT INTO discrepancies (carrier_id, natural_key, run_id, ${DISCREPANCY_COLUMNS.replace('carrier_ref_key,', '')})
    SELECT $1, ${NATURAL_KEY}, $2, ${DISCREPANCY_COLUMNS.replace('carrier_ref_key,', '')} FROM rc_found f
    ON CONFLICT ON CONSTRAINT uq_discrepancies_carrier_natural_key DO UPDATE SET
      tenant_id = EXCLUDED.tenant_id, call_id = EXCLUDED.call_id, carrier_cdr_id = EXCLUDED.carrier_cdr_id,
      carrier_record_ref = EXCLUDED.carrier_record_ref, start_time = EXCLUDED.start_time,
      microsoft_duration = EXCLUDED.microsoft_duration, carrier_duration = EXCLUDED.carrier_duration, duration_delta = EXCLUDED.duration_delta,
      microsoft_total = EXCLUDED.microsoft_total, microsoft_currency = EXCLUDED.microsoft_currency, carrier_total = EXCLUDED.carrier_total,
      carrier_currency = EXCLUDED.carrier_currency, money_delta = EXCLUDED.money_delta, match_method = EXCLUDED.match_method,
      run_id = EXCLUDED.run_id, updated_at = now()
    RETURNING id, (xmax = 0) AS created
  ), events AS (
    INSERT INTO discrepancy_events (discrepancy_id, event, to_status, run_id)
    SELECT id, 'DETECTED', 'OPEN', $2 FROM up WHERE created
    RETURNING 1
  )
  SELECT count(*) FILTER (WHERE created)::int AS created, count(*) FILTER (WHERE NOT created)::int AS kept FROM up`;

/** Counts per kind of what the run found. */
export const COUNT_FOUND = `SELECT kind, count(*)::int AS n FROM rc_found GROUP BY kind ORDER BY kind`;

/**
 * Calls, seconds and money of each side's rows starting in the window [$1, $2), per side, UTC day,
 * tenant and currency of money: what WINDOW_TOTALS and INSERT_CONTROLS report. From the aggregate scan
 * of each side (rc_scan), except carrier rows naming no tenant: those are counted under their Microsoft
 * partner's tenant (a fast-path pair in rc_j, or a pair of the staged pipeline), or under none when
 * unpaired. `unpaired` counts the Microsoft rows without a pair (rc_um), so matched calls = calls −
 * unpaired. Rows whose total is 0 carry no money and no currency (has_money false).
 */
export const STAGE_WINDOW_SUMS = `
  CREATE TEMP TABLE rc_sums ON COMMIT DROP AS
  SELECT side, day, tenant_id, has_money, currency, sum(calls)::int AS calls, sum(unpaired)::int AS unpaired,
         coalesce(sum(seconds), 0) AS seconds, coalesce(sum(money), 0) AS money
  FROM (
    SELECT side, day, tenant_id, has_money, currency, n AS calls, 0 AS unpaired, seconds, money
    FROM rc_scan WHERE w AND (side = 'microsoft' OR tenant_id IS NOT NULL)
    UNION ALL
    SELECT 'microsoft', (start_time AT TIME ZONE 'UTC')::date, tenant_id, total <> 0, CASE WHEN total <> 0 THEN currency END, 0, 1, 0, 0 FROM rc_um
    UNION ALL
    SELECT 'carrier', (c.start_time AT TIME ZONE 'UTC')::date, m.tenant_id, c.total <> 0, CASE WHEN c.total <> 0 THEN c.currency END, 1, 0, c.dur, c.total
    FROM rc_c c LEFT JOIN rc_pairs p ON p.cr = c.cr LEFT JOIN rc_m m ON m.mk = p.mk
    WHERE c.start_time >= $1 AND c.start_time < $2 AND c.tenant_id IS NULL
    UNION ALL
    SELECT 'carrier', (j.c_start AT TIME ZONE 'UTC')::date, j.tenant_id, j.c_total <> 0, CASE WHEN j.c_total <> 0 THEN j.c_currency END, 1, 0, j.c_dur, j.c_total
    FROM rc_j j WHERE j.paired AND j.c_tenant_id IS NULL AND j.c_start >= $1 AND j.c_start < $2
  ) x
  GROUP BY 1, 2, 3, 4, 5`;

/**
 * Money per side over each side's rows starting in the window, per currency (rows whose total is 0
 * carry no money and no currency). The carrier side includes duplicates: they were billed.
 */
export const WINDOW_TOTALS = `
  SELECT currency, coalesce(sum(money) FILTER (WHERE side = 'microsoft'), 0)::text AS microsoft_total,
         coalesce(sum(money) FILTER (WHERE side = 'carrier'), 0)::text AS carrier_total
  FROM rc_sums WHERE has_money GROUP BY currency ORDER BY currency NULLS FIRST`;

/** What the run saw: rows looked at and the input checksum per side (from rc_scan, fast-path.sql.ts STAGE_SCAN_SUMS). */
export const INPUT_CHECKSUMS = `
  SELECT s.side, coalesce(sum(r.n), 0)::int AS rows, coalesce(sum(r.checksum), 0)::text AS checksum
  FROM (VALUES ('microsoft'), ('carrier')) s(side) LEFT JOIN rc_scan r ON r.side = s.side
  GROUP BY s.side`;

/**
 * Summary controls per tenant and UTC day of the window (from rc_sums): calls, seconds and money on
 * each side, Microsoft calls matched. $1 run id, $2 carrier id.
 */
export const INSERT_CONTROLS = `
  WITH sides AS (
    SELECT side, day, tenant_id, sum(calls)::int AS calls, sum(seconds) AS seconds, sum(money) AS money, (sum(calls) - sum(unpaired))::int AS matched,
           min(currency) FILTER (WHERE has_money) AS cur_min, max(currency) FILTER (WHERE has_money) AS cur_max,
           bool_or(has_money AND currency IS NULL) AS no_currency
    FROM rc_sums GROUP BY side, day, tenant_id
  ), ms AS (
    SELECT * FROM sides WHERE side = 'microsoft'
  ), cs AS (
    SELECT * FROM sides WHERE side = 'carrier'
  ), both_sides AS (
    SELECT coalesce(ms.day, cs.day) AS day, coalesce(ms.tenant_id, cs.tenant_id) AS tenant_id, ms.calls AS m_calls, ms.seconds AS m_seconds,
           ms.money AS m_money, ms.matched, cs.calls AS c_calls, cs.seconds AS c_seconds, cs.money AS c_money,
           ARRAY(SELECT DISTINCT x FROM unnest(ARRAY[ms.cur_min, ms.cur_max, cs.cur_min, cs.cur_max]) x WHERE x IS NOT NULL) AS currencies,
           coalesce(ms.no_currency, false) OR coalesce(cs.no_currency, false) AS no_currency
    FROM ms FULL JOIN cs ON cs.day = ms.day AND cs.tenant_id IS NOT DISTINCT FROM ms.tenant_id
  )
  INSERT INTO reconciliation_daily_controls (run_id, carrier_id, day, tenant_id, carrier_has_data, microsoft_calls, microsoft_seconds,
    microsoft_money, carrier_calls, carrier_seconds, carrier_money, currency, matched_calls)
  SELECT $1, $2, b.day, b.tenant_id, b.day NOT IN (SELECT day FROM rc_silent_days),
         coalesce(b.m_calls, 0), coalesce(b.m_seconds, 0),
         CASE WHEN cardinality(b.currencies) + b.no_currency::int <= 1 THEN coalesce(b.m_money, 0) END,
         coalesce(b.c_calls, 0), coalesce(b.c_seconds, 0),
         CASE WHEN cardinality(b.currencies) + b.no_currency::int <= 1 THEN coalesce(b.c_money, 0) END,
         CASE WHEN cardinality(b.currencies) + b.no_currency::int > 1 THEN 'MIXED' ELSE b.currencies[1] END,
         coalesce(b.matched, 0)
  FROM both_sides b`;
