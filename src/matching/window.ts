import { invalidInput } from '../common/ocrecon-error';
import { formatMicros, MICROS_PER_SECOND, Micros, parseMicros } from './rules';

/** The longest window one reconcile may take (Graph's own limit is 90 days). */
export const MAX_WINDOW_DAYS = 92;

/** `<ts>` of the command line: ISO 8601 or a date (00:00 UTC); half-open [from, to). */
export function parseWindow(fromText: string | undefined, toText: string | undefined): { from: Micros; to: Micros; fromIso: string; toIso: string } {
  if (!fromText || !toText) throw invalidInput('--from and --to are required (ISO 8601 or a date, e.g. 2026-11-01)');
  const parse = (name: string, text: string) => {
    try {
      return parseMicros(text);
    } catch {
      throw invalidInput(`--${name} ${JSON.stringify(text)} is not an ISO 8601 instant or a date (e.g. 2026-11-01T00:00:00Z, 2026-11-01)`);
    }
  };
  const from = parse('from', fromText);
  const to = parse('to', toText);
  if (to <= from) throw invalidInput(`the window is empty: --to ${toText} is not after --from ${fromText}`);
  if (to - from > BigInt(MAX_WINDOW_DAYS) * 86_400n * MICROS_PER_SECOND) throw invalidInput(`the window is longer than ${MAX_WINDOW_DAYS} days; reconcile it in parts`);
  return { from, to, fromIso: formatMicros(from), toIso: formatMicros(to) };
}
