import { Client } from 'pg';
import { ErrorCode, OcreconError } from '../common/ocrecon-error';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';
import { startEmbeddedPostgres } from './embedded-postgres';

export interface DatabaseHandle {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

const EMBEDDED_DATABASE = 'ocrecon';

/** The same server's URL for another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * The database a process works on: DATABASE_URL when set, otherwise the embedded PostgreSQL under
 * OCRECON_DATA_DIR, started now (its `ocrecon` database created and migrated on first use) and
 * stopped by stop().
 */
export async function openDatabase(config: AppConfig): Promise<DatabaseHandle> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, embedded: false, stop: async () => undefined };
  const server = await startEmbeddedPostgres(config.OCRECON_DATA_DIR, config.OCRECON_EMBEDDED_PG_PORT);
  try {
    const admin = new Client({ connectionString: server.url });
    await admin.connect();
    try {
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [EMBEDDED_DATABASE]);
      if (!rowCount) await admin.query(`CREATE DATABASE ${EMBEDDED_DATABASE}`);
    } finally {
      await admin.end();
    }
    const url = withDatabase(server.url, EMBEDDED_DATABASE);
    await runMigrations(url);
    return { url, embedded: true, stop: () => server.stop() };
  } catch (error) {
    await server.stop().catch(() => undefined);
    throw error;
  }
}

/** Applies pending migrations; returns the names applied. */
export async function runMigrations(url: string): Promise<string[]> {
  const ds = new DataSource(dataSourceOptions(url, { extra: { max: 1, application_name: 'ocrecon-migrate' } }));
  await connect(ds, url);
  try {
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}

/** True when the database's schema lacks a migration of this build. */
export async function hasPendingMigrations(url: string): Promise<boolean> {
  const ds = new DataSource(dataSourceOptions(url, { extra: { max: 1 } }));
  await connect(ds, url);
  try {
    return await ds.showMigrations();
  } finally {
    await ds.destroy();
  }
}

/** Network errors and the server's refusals (authentication, no such database, starting up) on connecting. */
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', '3D000', '57P03']);

/**
 * Connects a DataSource; a database that cannot be reached is an OcreconError naming the server and
 * database (never the password) and what went wrong, not an unexpected error.
 */
async function connect(ds: DataSource, url: string): Promise<void> {
  try {
    await ds.initialize();
  } catch (error) {
    const code = String((error as { code?: unknown }).code ?? '');
    if (!CONNECT_ERRORS.has(code) && !code.startsWith('28')) throw error;
    const u = new URL(url);
    throw new OcreconError(ErrorCode.Unavailable, `cannot connect to the database ${u.hostname}:${u.port || 5432}${u.pathname} (${(error as Error).message})`);
  }
}
