/** How a command prints its result: one JSON document with --json, a short human line otherwise. */
export function printResult(result: unknown, json: boolean | undefined, human: () => string): void {
  if (json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  else process.stdout.write(human() + '\n');
}

/** Commander option parser for repeatable options (`--operator-name A --operator-name B`). */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** One CSV cell (RFC 4180): quoted when it holds a quote, a comma or a line end; null is empty. */
export const csvCell = (s: string | null): string => (s === null ? '' : /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** Writes to stdout, waiting when the reader is slower (exports of millions of rows stay flat in memory). */
export async function writeOut(text: string): Promise<void> {
  if (!process.stdout.write(text)) await new Promise((r) => process.stdout.once('drain', r));
}
