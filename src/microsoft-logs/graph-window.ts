import { MicrosoftSource } from './microsoft-call-row.entity';
import { formatInstant, parseInstant, ValueError } from './graph-values';

/** What a pull fetches: the two call logs (v1.0) and the beta dial-out report, stored as aggregates. */
export const PULL_SOURCES = ['pstn', 'direct-routing', 'dialout'] as const;
export type PullSource = MicrosoftSource | 'dialout';

export const MAX_WINDOW_DAYS = 90;
const DAY_MS = 86_400_000;

export interface Window {
  fromMs: number;
  toMs: number;
}

/** A `<ts>` argument: ISO 8601 with Z or an offset, or a date (00:00 UTC). Whole milliseconds only. */
export function parseWindowBound(text: string, name: string): number {
  try {
    const t = parseInstant(text);
    if (t.micros !== 0) throw new ValueError('has sub-millisecond digits');
    return t.ms;
  } catch (error) {
    throw new ValueError(`${name} ${JSON.stringify(text)}: ${(error as Error).message.replace(/^".*?" /, '')}`);
  }
}

/** Half-open [from, to) cut into consecutive chunks of at most 90 days, as Graph's functions require. */
export function splitWindow(w: Window, maxDays = MAX_WINDOW_DAYS): Window[] {
  if (!(w.toMs > w.fromMs)) return [];
  const chunks: Window[] = [];
  for (let from = w.fromMs; from < w.toMs; from += maxDays * DAY_MS) chunks.push({ fromMs: from, toMs: Math.min(w.toMs, from + maxDays * DAY_MS) });
  return chunks;
}

/** UTC with `Z` (`2024-05-01T00:00:00Z`): never an offset, which Graph would misread unencoded. */
export const zText = (ms: number) => formatInstant({ ms, micros: 0 });

const FUNCTIONS: Record<PullSource, { version: string; name: string }> = {
  pstn: { version: 'v1.0', name: 'getPstnCalls' },
  'direct-routing': { version: 'v1.0', name: 'getDirectRoutingCalls' },
  dialout: { version: 'beta', name: 'getPstnOnlineMeetingDialoutReport' },
};

/** The first page's URL; later pages come from @odata.nextLink, followed verbatim. */
export function functionUrl(graphRoot: string, source: PullSource, w: Window): string {
  const f = FUNCTIONS[source];
  return `${graphRoot.replace(/\/+$/, '')}/${f.version}/communications/callRecords/${f.name}(fromDateTime=${zText(w.fromMs)},toDateTime=${zText(w.toMs)})`;
}
