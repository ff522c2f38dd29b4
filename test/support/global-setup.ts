import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { runMigrations, withDatabase } from '../../src/database/runtime';

/**
 * One PostgreSQL for the whole run: DATABASE_URL's server when set (CI points it at the local one),
 * otherwise an embedded server started here. Migrations are applied once into a template database
 * named after the migrations' content; every spec file then gets a fresh copy of it (test-db.ts).
 */
export default async function globalSetup(): Promise<void> {
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const server = await startEmbeddedPostgres(join(tmpdir(), 'ocrecon-test-pg'), 0, { durable: false });
    (globalThis as { __OCRECON_PG__?: unknown }).__OCRECON_PG__ = server;
    serverUrl = server.url;
  }
  const migrationsDir = join(__dirname, '..', '..', 'migrations');
  const hash = createHash('sha256');
  for (const f of readdirSync(migrationsDir).filter((f) => f.endsWith('.ts')).sort()) hash.update(f).update(readFileSync(join(migrationsDir, f)));
  const template = `ocrecon_tpl_${hash.digest('hex').slice(0, 16)}`;

  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    // Several suites may start at once on one server: one of them builds the template.
    await admin.query(`SELECT pg_advisory_lock(hashtext('ocrecon.test-template'))`);
    const { rowCount } = await admin.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [template]);
    if (!rowCount) {
      const building = `${template}_build`;
      await admin.query(`DROP DATABASE IF EXISTS ${building}`);
      await admin.query(`CREATE DATABASE ${building}`);
      await runMigrations(withDatabase(serverUrl, building));
      await admin.query(`ALTER DATABASE ${building} RENAME TO ${template}`);
    }
    await admin.query(`SELECT pg_advisory_unlock(hashtext('ocrecon.test-template'))`);
  } finally {
    await admin.end();
  }
  process.env.OCRECON_TEST_SERVER_URL = serverUrl;
  process.env.OCRECON_TEST_TEMPLATE = template;
}

export { withDatabase };
