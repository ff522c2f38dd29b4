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

/** Builds and starts the HTTP server on config PORT (0: any free port). */
export async function startServer(options: RuntimeOptions): Promise<{ app: INestApplication; url: string }> {
  const app = await NestFactory.create(ServerModule.register(options), { bufferLogs: true, forceCloseConnections: true });
  app.useLogger(app.get(Logger));
  app.flushLogs();
  await app.listen(options.config.PORT);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : options.config.PORT;
  return { app, url: `http://127.0.0.1:${port}` };
}
