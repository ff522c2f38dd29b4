import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { AppModule } from '../../src/app.module';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { withDatabase } from './global-setup';

export interface TestDatabase {
  url: string;
  /** A client for assertions in SQL. */
  sql: Client;
  drop(): Promise<void>;
}

/** A fresh, migrated database for one spec file (a copy of the run's template). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.OCRECON_TEST_SERVER_URL!;
  const template = process.env.OCRECON_TEST_TEMPLATE!;
  const name = `ocrecon_t_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
      break;
    } catch (error) {
      // Another spec may be creating its copy of the template at this very moment.
      if (attempt > 20 || !/being accessed by other users/.test(String(error))) throw error;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  await admin.end();
  const url = withDatabase(serverUrl, name);
  const sql = new Client({ connectionString: url });
  await sql.connect();
  return {
    url,
    sql,
    drop: async () => {
      await sql.end();
      const a = new Client({ connectionString: serverUrl });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

/** The application's services over a test database, as the CLI and HTTP server build them. */
export async function createTestApp(url: string, env: Record<string, string> = {}): Promise<INestApplicationContext> {
  const config: AppConfig = loadConfig({ ...env, DATABASE_URL: url });
  return NestFactory.createApplicationContext(AppModule.register({ config, databaseUrl: url }), { logger: false });
}
