import { Module, OnModuleInit } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Logger } from 'pino';
import { ROOT_LOGGER } from './app-logger';
import { HealthController, MigrationsHealthIndicator } from './health.controller';
import { maskText } from './mask';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's `x-request-id` when it is a sane token, a new UUID otherwise; echoed in the response. */
export function requestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('x-request-id', id);
  return id;
}

const QUIET_PATHS = /^\/(health|metrics)(\/|\?|$)/;

/**
 * The HTTP side of observability: request logging with request ids (nestjs-pino over the
 * application's root logger), /health and /metrics, and Node's process metrics.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [ROOT_LOGGER],
      useFactory: (logger: Logger) => ({
        pinoHttp: {
          logger,
          genReqId: requestId,
          // Lines logged while handling a request carry just `reqId`; the completion line also has req and res.
          quietReqLogger: true,
          // Probes and scrapes every few seconds would drown the log: at debug only.
          customLogLevel: (req, res, error) =>
            error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : QUIET_PATHS.test(req.url ?? '') ? 'debug' : 'info',
          serializers: {
            // No headers at all (authorization, cookies); the path with numbers and UPNs masked.
            req: (req: { id?: unknown; method?: string; url?: string }) => ({ id: req.id, method: req.method, url: maskText(req.url ?? '') }),
            res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
          },
        },
      }),
    }),
    TerminusModule.forRoot({ errorLogStyle: 'json' }),
  ],
  controllers: [HealthController, MetricsController],
  providers: [MigrationsHealthIndicator],
})
export class ObservabilityHttpModule implements OnModuleInit {
  constructor(private readonly metrics: MetricsService) {}

  onModuleInit(): void {
    this.metrics.enableProcessMetrics();
  }
}
