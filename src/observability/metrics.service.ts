import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { AppLogger } from './app-logger';

export interface MetricSample {
  labels?: Record<string, string>;
  value: number;
}

export interface DatabaseMetric {
  /** `ocrecon_…`; counters end in `_total`. */
  name: string;
  help: string;
  labelNames?: string[];
  /** counter: only ever grows (rows ingested); gauge: can go down (open discrepancies, last duration). */
  type?: 'counter' | 'gauge';
  /** Reads the values at scrape time (from a repository: every process sees the same numbers). */
  collect: () => Promise<MetricSample[]>;
}

/**
 * The Prometheus registry of one application. Values are computed when /metrics is scraped, from
 * the database, so they are right whichever process (CLI or server) did the work. A feature module
 * adds its own metrics once, e.g. in its service's onModuleInit:
 *
 *   this.metrics.register({ name: 'ocrecon_batch_runs_total', help: '…', labelNames: ['status'], type: 'counter',
 *     collect: () => this.batchRepository.countRunsByStatus() });
 */
@Injectable()
export class MetricsService implements OnModuleDestroy {
  readonly registry = new Registry();
  private processMetrics = false;

  constructor(private readonly logger: AppLogger) {}

  register(metric: DatabaseMetric): void {
    const { name, help, labelNames = [], collect } = metric;
    const log = () => this.logger.for('MetricsService');
    const fill = (set: (labels: Record<string, string>, value: number) => void) => async () => {
      try {
        for (const s of await collect()) set(s.labels ?? {}, s.value);
      } catch (error) {
        // One failing query (a table not migrated yet, the database down) leaves its metric empty.
        log().warn({ err: error, metric: name }, 'metric collection failed');
      }
    };
    if (metric.type === 'counter') {
      new Counter({
        name, help, labelNames, registers: [this.registry],
        async collect() {
          this.reset();
          await fill((labels, value) => this.inc(labels, value))();
        },
      });
    } else {
      new Gauge({
        name, help, labelNames, registers: [this.registry],
        async collect() {
          this.reset();
          await fill((labels, value) => this.set(labels, value))();
        },
      });
    }
  }

  /** Shorthand for a gauge. */
  registerGauge(name: string, help: string, labelNames: string[], collect: () => Promise<MetricSample[]>): void {
    this.register({ name, help, labelNames, type: 'gauge', collect });
  }

  /** Shorthand for a counter (a total that only grows). */
  registerCounter(name: string, help: string, labelNames: string[], collect: () => Promise<MetricSample[]>): void {
    this.register({ name, help, labelNames, type: 'counter', collect });
  }

  /** Node's process metrics (CPU, memory, event loop, GC): in the server only. */
  enableProcessMetrics(): void {
    if (this.processMetrics) return;
    this.processMetrics = true;
    collectDefaultMetrics({ register: this.registry });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  onModuleDestroy(): void {
    this.registry.clear();
  }
}
