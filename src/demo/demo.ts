import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AppModule } from '../app.module';
import { CarriersService } from '../carriers/carriers.service';
import { CarrierFilesRepository } from '../carrier-files/carrier-files.repository';
import { IngestService } from '../carrier-files/ingest.service';
import { loadConfig } from '../config/app-config';
import { openDatabase } from '../database/runtime';
import { canonicalRow, SampleCall, sampleCalls, writeCanonicalFile } from './sample-carrier-file';

const CARRIER = 'fabrikam';
const TENANTS = ['4a5e8f0c-2b7d-4c1e-9f3a-6d8b0e2c4a71', 'b3c9d1e7-5f2a-4e8b-a6c0-9d4f7e1b3a25'];

/**
 * `npm run demo`: the main job on sample data. Starts the embedded PostgreSQL (or uses
 * DATABASE_URL), registers a carrier with two customer tenants, generates a day of realistic carrier
 * CDRs (with a few bad rows, as real files have) and ingests them, then says where to look next.
 */
async function demo(): Promise<void> {
  const started = Date.now();
  const config = loadConfig(process.env);
  const say = (line: string) => process.stdout.write(line + '\n');
  say(config.DATABASE_URL ? 'ocrecon demo: using DATABASE_URL' : `ocrecon demo: starting the embedded PostgreSQL in ${resolve(config.OCRECON_DATA_DIR)}`);
  const db = await openDatabase(config);
  const app = await NestFactory.createApplicationContext(AppModule.register({ config, databaseUrl: db.url }), { logger: ['error'] });
  try {
    const carriers = app.get(CarriersService);
    await carriers.addCarrier({ id: CARRIER, name: 'Fabrikam Telecom', operatorNames: ['Fabrikam Telecom', 'Fabrikam'] });
    for (const [i, tenantId] of TENANTS.entries()) await carriers.addTenant({ tenantId, carrierId: CARRIER, name: ['Contoso', 'Northwind'][i], cloud: 'global' });
    say(`registered carrier ${CARRIER} with tenants ${TENANTS.join(', ')}`);

    const dir = join(config.OCRECON_DATA_DIR, 'demo');
    mkdirSync(dir, { recursive: true });
    const day = Date.UTC(2026, 10, 1);
    const file = join(dir, `fabrikam-cdrs-2026-11-01-${Date.now()}.csv`);
    const rows = await writeCanonicalFile(file, withBadRows(sampleCalls({ rows: 50000, dayStartMs: day, tenants: TENANTS, seed: 7, recordPrefix: `FAB-${Date.now()}` })));
    say(`generated ${file} (${rows} CDRs, a few of them malformed)`);

    const result = await app.get(IngestService).ingestFile(file, CARRIER);
    say(`ingested: ${result.rowsRead} rows read, ${result.accepted} accepted, ${result.rejected} rejected, ${result.skipped} skipped (file ${result.fileId})`);
    let shown = 0;
    for await (const page of app.get(CarrierFilesRepository).streamErrors(result.fileId, 5)) {
      for (const e of page) say(`  rejected line ${e.line}${e.column ? `, ${e.column}` : ''}: ${e.reason}`);
      if (++shown >= 1) break;
    }
    say(`done in ${((Date.now() - started) / 1000).toFixed(1)} s. Look further:`);
    say(`  npx ocrecon ingest-errors ${result.fileId}`);
    say(`  npx ocrecon carriers list`);
  } finally {
    await app.close();
    await db.stop();
  }
}

/** Real files are not perfect: a bad date, a negative duration and a missing currency among the good rows. */
function* withBadRows(calls: Iterable<SampleCall>): Generator<SampleCall | string> {
  let i = 0;
  let currencyDropped = false;
  for (const call of calls) {
    i++;
    const line = canonicalRow(call).trimEnd();
    if (i === 1001) yield line.replace(/,2026-11-01T/, ',2026-11-31T');
    else if (i === 7777) yield line.replace(/,(\d+(\.\d+)?),\+/, ',-$1,+');
    else if (i > 20000 && !currencyDropped && call.chargeMicros > 0) {
      currencyDropped = true;
      yield line.replace(/,USD$/, ',');
    }
    else yield call;
  }
}

demo().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`ocrecon demo failed: ${error?.message ?? error}\n`);
    process.exit(1);
  },
);
