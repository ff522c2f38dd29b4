import { Dec } from '../common/decimal';

/** The version of reconciliation-rules.md these functions and the SQL passes implement. */
export const RULE_SET_VERSION = 1;

export const DISCREPANCY_KINDS = [
  'MISSING_AT_CARRIER',
  'MISSING_AT_MICROSOFT',
  'DUPLICATE_AT_CARRIER',
  'DURATION_MISMATCH',
  'CURRENCY_MISMATCH',
  'CHARGE_MISMATCH',
] as const;
export type DiscrepancyKind = (typeof DISCREPANCY_KINDS)[number];

export const MATCH_METHODS = ['CALL_ID', 'NUMBERS_AND_TIME'] as const;
export type MatchMethod = (typeof MATCH_METHODS)[number];

/** A carrier's settings, as the rules name them (rules § Settings per carrier). */
export interface MatchSettings {
  durationToleranceSeconds: Dec;
  chargeTolerance: Dec;
  matchWindowSeconds: number;
  callIdWindowSeconds: number;
}

/**
 * Instants are microseconds since the epoch (bigint): the rules keep timestamps to the microsecond
 * and a JS Date would drop them.
 */
export type Micros = bigint;

/** A Microsoft PSTN row in scope (rules § In scope), numbers already normalised. */
export interface MicrosoftRecord {
  tenantId: string;
  id: string;
  /** Trimmed; null when empty. */
  callId: string | null;
  start: Micros;
  /** Graph's integer seconds; null when Graph left it out (compared as 0). */
  durationSeconds: Dec | null;
  charge: Dec | null;
  connectionCharge: Dec | null;
  currency: string | null;
  /** E.164, possibly masked with `*`; null when not a number (never pairs by numbers). */
  caller: string | null;
  callee: string | null;
}

/** A stored carrier CDR. */
export interface CarrierRecord {
  /** carrier_cdrs.id: ingest order (earliest file, then lowest line) and the last tie-breaker. */
  seq: bigint;
  /** `record_id`, or `<file base name>:<line>`. */
  ref: string;
  /** Stable key of the row for discrepancy identity: `record_id`, or `<file uuid>:<line>`. */
  refKey: string;
  callId: string | null;
  tenantId: string | null;
  start: Micros;
  durationSeconds: Dec;
  charge: Dec | null;
  connectionCharge: Dec | null;
  currency: string | null;
  caller: string;
  callee: string;
}

export const MICROS_PER_SECOND = 1_000_000n;

/** ISO 4217 as compared: trimmed, upper case, empty = missing. */
export const normalizeCurrency = (c: string | null | undefined): string | null => {
  const t = (c ?? '').trim().toUpperCase();
  return t === '' ? null : t;
};

export const absMicros = (a: Micros, b: Micros): Micros => (a > b ? a - b : b - a);

/** charge + connection charge, a missing amount counting as 0 (rules § Classification). */
export const moneyTotal = (r: { charge: Dec | null; connectionCharge: Dec | null }): Dec =>
  (r.charge ?? new Dec(0)).plus(r.connectionCharge ?? new Dec(0));

/** ISO 8601 UTC with microseconds trimmed of trailing zeros (`2026-11-01T10:00:05.25Z`). */
export function formatMicros(us: Micros): string {
  const ms = us / 1000n;
  const rest = Number(((us % 1000n) + 1000n) % 1000n);
  const floorMs = us < 0n && rest !== 0 ? ms - 1n : ms;
  const iso = new Date(Number(floorMs)).toISOString(); // …T10:00:05.250Z
  const frac = (iso.slice(20, 23) + String(rest).padStart(3, '0')).replace(/0+$/, '');
  return `${iso.slice(0, 19)}${frac ? '.' + frac : ''}Z`;
}

/** Parses ISO 8601 (with Z or an offset, up to 9 fractional digits, extra digits truncated) to microseconds. */
export function parseMicros(text: string): Micros {
  const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(text.trim());
  if (!m) throw new Error(`not an ISO 8601 instant: ${text}`);
  const base = Date.parse(`${m[1]}T${m[2] ?? '00:00'}${m[2] && m[2].length === 5 ? ':00' : ''}${m[4] ? (m[4].length === 5 ? m[4].slice(0, 3) + ':' + m[4].slice(3) : m[4]) : 'Z'}`);
  if (Number.isNaN(base)) throw new Error(`not an ISO 8601 instant: ${text}`);
  const frac = BigInt((m[3] ?? '').padEnd(6, '0').slice(0, 6));
  return BigInt(base) * 1000n + frac;
}
