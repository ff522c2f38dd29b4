import { Inject, Injectable } from '@nestjs/common';
import { storage } from 'nestjs-pino/storage';
import { Logger } from 'pino';
import { maskValue } from './mask';

/** The process's root pino logger (see createLogger). */
export const ROOT_LOGGER = Symbol('RootLogger');

/**
 * The application's logger. Inside an HTTP request it is the request's logger (every line carries
 * its `reqId`); elsewhere the root. Lines are JSON, with secrets redacted and numbers/UPNs masked.
 *
 *   private readonly log = this.logger.for('PullService');
 *   this.log.info({ tenantId, rows }, 'page stored');
 *   const runLog = this.logger.forRun(runId, 'NightlyService'); // every line carries runId
 */
@Injectable()
export class AppLogger {
  constructor(@Inject(ROOT_LOGGER) readonly root: Logger) {}

  /** The current request's logger inside an HTTP request, the root logger otherwise. */
  get current(): Logger {
    return storage.getStore()?.logger ?? this.root;
  }

  /** A child logger whose lines carry `context` (and the bindings, masked). */
  for(context: string, bindings: Record<string, unknown> = {}): Logger {
    return this.current.child({ context, ...(maskValue(bindings) as Record<string, unknown>) });
  }

  /** A child logger for one batch (or pull, reconcile…) run: every line carries `runId`. */
  forRun(runId: string, context: string, bindings: Record<string, unknown> = {}): Logger {
    return this.for(context, { runId, ...bindings });
  }
}
