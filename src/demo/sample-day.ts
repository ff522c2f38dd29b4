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

/**
 * A day of one carrier's traffic seen from both sides, with about `rate` of the calls carrying each
 * kind of difference (rule set v1): durations and charges that disagree, a currency mismatch, calls
 * missing on either side, and duplicated carrier rows.
 */
export function sampleDay(options: { rows: number; dayStartMs: number; tenants: string[]; operator: string; seed?: number; recordPrefix?: string; rate?: number }): SampleDay {
  const rnd = prng((options.seed ?? 1) * 7919);
  const rate = options.rate ?? 0.01;
  const planted: PlantedDifferences = { DURATION_MISMATCH: 0, CHARGE_MISMATCH: 0, CURRENCY_MISMATCH: 0, MISSING_AT_CARRIER: 0, MISSING_AT_MICROSOFT: 0, DUPLICATE_AT_CARRIER: 0 };
  const carrierRows: (SampleCall | string)[] = [];
  const microsoftRows: SampleGraphRow[] = [];
  for (const call of sampleCalls(options)) {
    const r = rnd();
    const kind = Math.floor(r / rate);
    const hasMoney = call.chargeMicros + call.connectionMicros > 0;
    if (kind === 0) {
      planted.MISSING_AT_CARRIER++;
      microsoftRows.push({ tenantId: call.tenantId, startMs: call.startMs, json: graphRow(call, options.operator) });
    } else if (kind === 1) {
      planted.MISSING_AT_MICROSOFT++;
      carrierRows.push(call);
    } else if (kind === 2) {
      planted.DURATION_MISMATCH++;
      carrierRows.push(call);
      microsoftRows.push({ tenantId: call.tenantId, startMs: call.startMs, json: graphRow(call, options.operator, { durationDelta: 30 }) });
    } else if (kind === 3 && hasMoney) {
      planted.CHARGE_MISMATCH++;
      carrierRows.push(call);
      microsoftRows.push({ tenantId: call.tenantId, startMs: call.startMs, json: graphRow(call, options.operator, { chargeDeltaMicros: 10000 }) });
    } else if (kind === 4 && hasMoney) {
      planted.CURRENCY_MISMATCH++;
      carrierRows.push(call);
      microsoftRows.push({ tenantId: call.tenantId, startMs: call.startMs, json: graphRow(call, options.operator, { currency: 'EUR' }) });
    } else if (kind === 5) {
      planted.DUPLICATE_AT_CARRIER++;
      carrierRows.push(call, { ...call, recordId: `${call.recordId}-DUP` });
      microsoftRows.push({ tenantId: call.tenantId, startMs: call.startMs, json: graphRow(call, options.operator) });
    } else {
      carrierRows.push(call);
      microsoftRows.push({ tenantId: call.tenantId, startMs: call.startMs, json: graphRow(call, options.operator) });
    }
  }
  return { carrierRows, microsoftRows, planted };
}
