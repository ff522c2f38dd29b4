import { createHash } from 'node:crypto';
import { decimalFromMicros, prng, SampleCall, sampleCalls } from './sample-carrier-file';

/** A Microsoft PSTN log row for the stand-in: when it started, and the row as Graph's JSON text. */
export interface SampleGraphRow {
  tenantId: string;
  startMs: number;
  json: string;
}

/** What was planted, so a test (or the demo) can say what the reconciliation should find. */
export interface PlantedDifferences {
  DURATION_MISMATCH: number;
  CHARGE_MISMATCH: number;
  CURRENCY_MISMATCH: number;
  MISSING_AT_CARRIER: number;
  MISSING_AT_MICROSOFT: number;
  DUPLICATE_AT_CARRIER: number;
}

export interface SampleDay {
  carrierRows: (SampleCall | string)[];
  microsoftRows: SampleGraphRow[];
  planted: PlantedDifferences;
}

/** A GUID derived from a name, so the same sample gives the same Graph row ids on every run. */
function stableGuid(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Graph's timestamp text with 7 fraction digits, as pstnCallLogRow usually carries. */
const graphTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');

function graphRow(call: SampleCall, operator: string, o: { durationDelta?: number; chargeDeltaMicros?: number; currency?: string } = {}): string {
  const durationSeconds = Math.round(call.durationMs / 1000) + (o.durationDelta ?? 0);
  const outbound = call.direction === 'outbound';
  const international = (outbound ? call.callee : call.caller).startsWith('+44');
  return JSON.stringify({
    id: stableGuid(`row:${call.recordId}`),
    callId: call.callId,
    userId: stableGuid(`user:${call.caller}`),
    userPrincipalName: `user${call.caller.slice(-4)}@contoso.example`,
    userDisplayName: 'Sample User',
    startDateTime: graphTime(call.startMs),
    endDateTime: graphTime(call.startMs + durationSeconds * 1000),
    duration: durationSeconds,
    charge: '@@charge@@',
    connectionCharge: '@@connection@@',
    currency: o.currency ?? call.currency,
    callType: outbound ? 'user_out' : 'user_in',
    callerNumber: call.caller,
    calleeNumber: call.callee,
    destinationContext: outbound ? (international ? 'International' : 'Domestic') : null,
    destinationName: outbound ? (international ? 'United Kingdom' : 'United States') : null,
    conferenceId: null,
    licenseCapability: 'MCOPSTNEAU2',
    inventoryType: 'Subscriber',
    operator,
    callDurationSource: 'operator',
    tenantCountryCode: 'US',
    usageCountryCode: 'US',
  })
    // Money goes as JSON numbers, as Graph sends it (exact decimal text, no float on this side).
    .replace('"@@charge@@"', decimalFromMicros(call.chargeMicros + (o.chargeDeltaMicros ?? 0)))
    .replace('"@@connection@@"', decimalFromMicros(call.connectionMicros));
}

/** One call of a sample day: what the carrier's file has of it, and Microsoft's row, if any. */
export interface SampleDayCall {
  carrier: SampleCall[];
  microsoft: SampleGraphRow | null;
  planted: keyof PlantedDifferences | null;
}

/**
 * A day of one carrier's traffic seen from both sides, call by call (streaming, for any size), with
 * about `rate` of the calls carrying each kind of difference (rule set v1): durations and charges
 * that disagree, a currency mismatch, calls missing on either side, and duplicated carrier rows.
 */
export function* sampleDayCalls(options: { rows: number; dayStartMs: number; tenants: string[]; operator: string; seed?: number; recordPrefix?: string; rate?: number }): Generator<SampleDayCall> {
  const rnd = prng((options.seed ?? 1) * 7919);
  const rate = options.rate ?? 0.01;
  const ms = (call: SampleCall, o?: Parameters<typeof graphRow>[2]): SampleGraphRow => ({ tenantId: call.tenantId, startMs: call.startMs, json: graphRow(call, options.operator, o) });
  for (const call of sampleCalls(options)) {
    const kind = Math.floor(rnd() / rate);
    const hasMoney = call.chargeMicros + call.connectionMicros > 0;
    if (kind === 0) yield { carrier: [], microsoft: ms(call), planted: 'MISSING_AT_CARRIER' };
    else if (kind === 1) yield { carrier: [call], microsoft: null, planted: 'MISSING_AT_MICROSOFT' };
    else if (kind === 2) yield { carrier: [call], microsoft: ms(call, { durationDelta: 30 }), planted: 'DURATION_MISMATCH' };
    else if (kind === 3 && hasMoney) yield { carrier: [call], microsoft: ms(call, { chargeDeltaMicros: 10000 }), planted: 'CHARGE_MISMATCH' };
    else if (kind === 4 && hasMoney) yield { carrier: [call], microsoft: ms(call, { currency: 'EUR' }), planted: 'CURRENCY_MISMATCH' };
    else if (kind === 5) yield { carrier: [call, { ...call, recordId: `${call.recordId}-DUP` }], microsoft: ms(call), planted: 'DUPLICATE_AT_CARRIER' };
    else yield { carrier: [call], microsoft: ms(call), planted: null };
  }
}

/** The whole day in memory (small samples: tests and the demo). */
export function sampleDay(options: Parameters<typeof sampleDayCalls>[0]): SampleDay {
  const planted: PlantedDifferences = { DURATION_MISMATCH: 0, CHARGE_MISMATCH: 0, CURRENCY_MISMATCH: 0, MISSING_AT_CARRIER: 0, MISSING_AT_MICROSOFT: 0, DUPLICATE_AT_CARRIER: 0 };
  const carrierRows: (SampleCall | string)[] = [];
  const microsoftRows: SampleGraphRow[] = [];
  for (const c of sampleDayCalls(options)) {
    carrierRows.push(...c.carrier);
    if (c.microsoft) microsoftRows.push(c.microsoft);
    if (c.planted) planted[c.planted]++;
  }
  return { carrierRows, microsoftRows, planted };
}
