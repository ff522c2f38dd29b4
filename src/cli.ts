import 'reflect-metadata';
import { join } from 'node:path';
import { CommandFactory } from 'nest-commander';
import { CliModule } from './cli/cli.module';
import { ConfigError, loadConfig } from './config/app-config';
import { EmbeddedPostgresError } from './database/embedded-postgres';
import { hasPendingMigrations, openDatabase } from './database/runtime';
import { ErrorCode, OcreconError } from './common/ocrecon-error';
import { shutdownSignal } from './common/shutdown';

const NO_DATABASE = new Set(['help', '--help', '-h', '--version', '-V']);

/** One line on stderr and a non-zero exit: what every failing command does. */
function fail(error: unknown): void {
  const message = error instanceof OcreconError || error instanceof ConfigError || error instanceof EmbeddedPostgresError
    ? (error as Error).message
    : `unexpected error: ${(error as Error)?.stack ?? error}`;
  process.stderr.write(`ocrecon: ${message.split('\n')[0]}\n`);
  if (!(error instanceof OcreconError) && process.env.OCRECON_DEBUG) process.stderr.write(`${(error as Error)?.stack}\n`);
  process.exitCode = 1;
}

/** This build's version, from package.json (two levels up from dist/src, one from src). */
function packageVersion(): string {
  return (require(join(__dirname, __filename.endsWith('.ts') ? '..' : join('..', '..'), 'package.json')) as { version: string }).version;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  const command = argv[2];
  // `ocrecon discrepancies … | head`: a reader that stops early is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  let db: Awaited<ReturnType<typeof openDatabase>> | undefined;
  try {
    const config = loadConfig(process.env);
    // Help and version list the commands, which takes the modules but no database (none may be reachable).
    const offline = command === undefined || NO_DATABASE.has(command);
    const databaseUrl = offline ? 'postgres://unused/none' : (db = await openDatabase(config)).url;
    // SIGINT/SIGTERM from here on: long work stops cleanly, and the finally below stops the database.
    const opened = db;
    shutdownSignal.install(async () => opened?.stop());
    // serve starts on a schema that is behind: its /health says so (503) until `ocrecon migrate`.
    // Also the check that the database can be reached: one line saying so, not the modules' connection retries.
    if (db && !db.embedded && command !== 'serve' && (await hasPendingMigrations(databaseUrl)) && command !== 'migrate') {
      throw new OcreconError(ErrorCode.Unavailable, 'the database schema is not current: run `ocrecon migrate` first');
    }
    await CommandFactory.run(CliModule.register({ config, databaseUrl, offline }), {
      cliName: 'ocrecon',
      version: packageVersion(),
      logger: ['error'],
      serviceErrorHandler: fail,
      errorHandler: (err) => {
        // commander's own errors (unknown option, missing argument) were already printed by it.
        if ((err as { exitCode?: number }).exitCode) process.exitCode = (err as { exitCode?: number }).exitCode;
      },
    });
  } catch (error) {
    fail(error);
  } finally {
    await db?.stop().catch(() => undefined);
  }
}

if (require.main === module) void main().then(() => process.exit(process.exitCode ?? 0));
