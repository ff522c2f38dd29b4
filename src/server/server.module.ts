import { DynamicModule, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from '../app.module';
import { BatchScheduleModule } from '../batch/batch-schedule.module';
import { RuntimeOptions } from '../database/database.module';
import { SERVER_LOGGING } from '../observability/logger';
import { ObservabilityHttpModule } from '../observability/observability-http.module';

/**
 * What `ocrecon serve` runs: the application plus its HTTP parts. To add to the server (the
 * nightly schedule, the REST API), append a module to `imports` below.
 */
@Module({})
export class ServerModule {
  static register(options: RuntimeOptions): DynamicModule {
    return {
      module: ServerModule,
      imports: [
        AppModule.register({ ...options, logging: SERVER_LOGGING }),
        ObservabilityHttpModule,
        BatchScheduleModule,
      ],
    };
  }
}

/** Builds and starts the HTTP server on config HOST and PORT (0: any free port); the URL names the address bound. */
export async function startServer(options: RuntimeOptions): Promise<{ app: INestApplication; url: string }> {
  const app = await NestFactory.create(ServerModule.register(options), { bufferLogs: true, forceCloseConnections: true });
  app.useLogger(app.get(Logger));
  app.flushLogs();
  await app.listen(options.config.PORT, options.config.HOST);
  const address = app.getHttpServer().address();
  if (typeof address !== 'object' || !address) return { app, url: `http://${options.config.HOST}:${options.config.PORT}` };
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { app, url: `http://${host}:${address.port}` };
}
