import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/** A small deterministic PRNG (mulberry32), so sample files are the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SampleCall {
  recordId: string;
  callId: string;
  tenantId: string;
  direction: 'inbound' | 'outbound';
  startMs: number;
  /** Duration in milliseconds (the file carries seconds with 3 decimals at most). */
  durationMs: number;
  caller: string;
  callee: string;
  /** Money in millionths of the currency unit (exact integers, written as decimals). */
  chargeMicros: number;
  connectionMicros: number;
  currency: string;
}

export const CANONICAL_HEADER = 'record_id,call_id,tenant_id,direction,start_time,end_time,duration_seconds,caller_number,callee_number,charge,connection_charge,currency';

export function decimalFromMicros(micros: number): string {
  if (!Number.isSafeInteger(micros) || micros < 0) throw new Error(`decimalFromMicros takes whole non-negative millionths, got ${micros}`);
  const whole = Math.floor(micros / 1e6);
  const frac = String(micros % 1e6).padStart(6, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : String(whole);
}

export function secondsFromMillis(ms: number): string {
  const whole = Math.floor(ms / 1000);
  const frac = String(ms % 1000).padStart(3, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : String(whole);
}

/** One canonical CSV row for a call. */
export function canonicalRow(c: SampleCall): string {
  const start = new Date(c.startMs).toISOString();
  const end = new Date(c.startMs + c.durationMs).toISOString();
  return `${c.recordId},${c.callId},${c.tenantId},${c.direction},${start},${end},${secondsFromMillis(c.durationMs)},${c.caller},${c.callee},${decimalFromMicros(c.chargeMicros)},${decimalFromMicros(c.connectionMicros)},${c.currency}\n`;
}

/**
 * Realistic Operator Connect traffic for a day: a few tenants, users with +1 425 numbers calling out
 * to national and international numbers and receiving calls, durations skewed short, per-minute
 * rating with a connection fee on international calls.
 */
export function* sampleCalls(options: { rows: number; dayStartMs: number; tenants: string[]; seed?: number; recordPrefix?: string }): Generator<SampleCall> {
  const rnd = prng(options.seed ?? 42);
  const prefix = options.recordPrefix ?? 'CDR';
  const spacing = 86400000 / Math.max(options.rows, 1);
  for (let i = 0; i < options.rows; i++) {
    const tenantId = options.tenants[i % options.tenants.length];
    const user = `+1425555${String(Math.floor(rnd() * 10000)).padStart(4, '0')}`;
    const international = rnd() < 0.2;
    const other = international ? `+4420794${String(Math.floor(rnd() * 100000)).padStart(5, '0')}` : `+1206${String(Math.floor(rnd() * 10000000)).padStart(7, '0')}`;
    const outbound = rnd() < 0.6;
    const durationMs = rnd() < 0.08 ? 0 : Math.floor(-Math.log(1 - rnd()) * 180000);
    const minutes = Math.ceil(durationMs / 60000);
    const rateMicros = outbound ? (international ? 12000 : 9000) : 0;
    yield {
      recordId: `${prefix}-${String(i).padStart(9, '0')}`,
      callId: `${(i * 2654435761 >>> 0).toString(16)}-${Math.floor(rnd() * 1e9).toString(16)}@sbc1.carrier.example`,
      tenantId,
      direction: outbound ? 'outbound' : 'inbound',
      startMs: options.dayStartMs + Math.floor(i * spacing + rnd() * spacing * 0.5),
      durationMs,
      caller: outbound ? user : other,
      callee: outbound ? other : user,
      chargeMicros: minutes * rateMicros,
      connectionMicros: outbound && international && durationMs > 0 ? 50000 : 0,
      currency: 'USD',
    };
  }
}

/** Writes calls (or raw lines, for malformed rows) as a canonical carrier file, streaming (flat memory). */
export async function writeCanonicalFile(path: string, calls: Iterable<SampleCall | string>): Promise<number> {
  const out = createWriteStream(path);
  let count = 0;
  let chunk = CANONICAL_HEADER + '\n';
  for (const call of calls) {
    chunk += typeof call === 'string' ? call + '\n' : canonicalRow(call);
    count++;
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  return count;
}
