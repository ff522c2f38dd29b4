/**
 * How long to wait before the next request so that no `windowMs` span holds more than `limit`
 * requests (a sliding log). `sent` holds the send times of recent requests, oldest first. Pure.
 */
export function nextSlotDelay(sent: readonly number[], nowMs: number, limit: number, windowMs: number): number {
  const recent = sent.filter((t) => t > nowMs - windowMs);
  if (recent.length < limit) return 0;
  return recent[recent.length - limit] + windowMs - nowMs;
}

/**
 * One tenant's limiter: Graph allows 200 requests per 60 s per app per tenant for the call-record
 * functions; the default limit (190) leaves room for clock skew. Retries count as requests.
 */
export class SlidingWindowLimiter {
  private sent: number[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** Resolves when a request may be sent, and counts it. Callers are served in order. */
  acquire(): Promise<void> {
    const turn = this.queue.then(async () => {
      for (;;) {
        const now = this.now();
        this.sent = this.sent.filter((t) => t > now - this.windowMs);
        const delay = nextSlotDelay(this.sent, now, this.limit, this.windowMs);
        if (delay <= 0) break;
        await this.sleep(delay);
      }
      this.sent.push(this.now());
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }
}
