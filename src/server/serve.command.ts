import { Inject } from '@nestjs/common';
import { Command, CommandRunner } from 'nest-commander';
import { DatabaseUrl } from '../cli/tokens';
import { ShutdownSignal } from '../common/shutdown';
import { AppConfig } from '../config/app-config';

/**
 * `ocrecon serve`: the HTTP server until SIGTERM or SIGINT, then a clean stop (the server closes
 * and the command returns, so cli.ts stops the embedded database). A second signal exits at once.
 */
@Command({ name: 'serve', description: 'run the HTTP server (/health, /metrics) until SIGTERM or SIGINT' })
export class ServeCommand extends CommandRunner {
  constructor(
    private readonly config: AppConfig,
    @Inject(DatabaseUrl) private readonly databaseUrl: string,
    private readonly shutdown: ShutdownSignal,
  ) {
    super();
  }

  async run(): Promise<void> {
    const stopped = this.shutdown.whenRequested();
    // The HTTP server's modules (terminus, the schedule, …) are loaded by serve alone, not by every command.
    const { startServer } = require('./server.module') as typeof import('./server.module');
    const { app, url } = await startServer({ config: this.config, databaseUrl: this.databaseUrl });
    process.stdout.write(`ocrecon: listening on ${url}\n`);
    await stopped;
    await app.close();
  }
}
