import { SingleBar } from 'cli-progress';

/**
 * Progress of long CLI work, on stderr and only when stderr is a terminal (otherwise nothing is
 * printed: pipes, logs and tests see only the command's result). Services take a plain callback
 * (e.g. IngestRequest.onProgress) and the command wires it to one of these.
 *
 *   const progress = createProgress({ label: 'ingest', total: size, unit: 'bytes' });
 *   try { await service.work({ onProgress: (p) => progress.update(p.bytesRead, p.rowsRead) }); } finally { progress.stop(); }
 */
export interface Progress {
  /** done: bytes or items so far (of total); rows: rows handled so far, for the rows/s figure. */
  update(done: number, rows?: number): void;
  /** Removes the bar (always call it, also on failure). */
  stop(): void;
}

export interface ProgressOptions {
  label: string;
  total: number;
  unit?: 'bytes' | 'items';
  /** Defaults to process.stderr. */
  stream?: NodeJS.WriteStream;
}

const NO_PROGRESS: Progress = { update: () => undefined, stop: () => undefined };

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  if (!stream.isTTY) return NO_PROGRESS;
  const show = options.unit === 'bytes' ? formatBytes : (n: number) => String(n);
  const started = Date.now();
  const bar = new SingleBar({
    stream,
    hideCursor: true,
    clearOnComplete: true,
    etaBuffer: 50,
    format: (opts, params, payload: { rows?: number }) => {
      const width = opts.barsize ?? 30;
      const filled = Math.round(params.progress * width);
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      const rows = payload.rows ?? 0;
      return `${options.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor(params.progress * 100)}% ` +
        `${show(params.value)}/${show(params.total)} | ${rows} rows, ${Math.round(rows / seconds)} rows/s | ETA ${params.eta}s`;
    },
  });
  bar.start(Math.max(options.total, 1), 0, { rows: 0 });
  let stopped = false;
  return {
    update: (done, rows) => {
      if (!stopped) bar.update(Math.min(done, Math.max(options.total, 1)), rows === undefined ? {} : { rows });
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
