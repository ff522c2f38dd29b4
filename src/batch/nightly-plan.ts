/** Pure helpers of the nightly batch: which days, how long to wait before a retry. */

const DAY_MS = 86400000;

/** `YYYY-MM-DD` of a UTC instant. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The default night's day: yesterday, UTC. */
export function yesterday(nowMs: number): string {
  return utcDay(nowMs - DAY_MS);
}

export function parseDay(text: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m || utcDay(Date.UTC(+m[1], +m[2] - 1, +m[3])) !== text) throw new Error(`${JSON.stringify(text)} is not a day YYYY-MM-DD`);
  return text;
}

export function nextDay(day: string): string {
  return addDays(day, 1);
}

/** The day `n` days after (before, when negative). */
export function addDays(day: string, n: number): string {
  return utcDay(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS);
}

/**
 * The days a night works on, oldest first: the day itself and the `trailing` days before it, which
 * Microsoft may still be filling in (rows appear up to 48 h after the call).
 */
export function nightDays(day: string, trailing: number): string[] {
  const base = Date.parse(`${day}T00:00:00Z`);
  const days: string[] = [];
  for (let i = trailing; i >= 0; i--) days.push(utcDay(base - i * DAY_MS));
  return days;
}

/** Exponential backoff with full jitter: attempt 1 waits up to base, attempt 2 up to 2·base, … */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(cap / 2 + random() * (cap / 2));
}
