import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { once } from 'node:events';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AppModule } from '../app.module';
import { NightlyService } from '../batch/nightly.service';
import { CarriersService } from '../carriers/carriers.service';
import { IngestService } from '../carrier-files/ingest.service';
import { describeNight } from '../cli/batch.commands';
import { loadConfig } from '../config/app-config';
import { openDatabase } from '../database/runtime';
import { ImportMicrosoftService } from '../microsoft-logs/import.service';
import { canonicalRow, SampleCall, writeCanonicalFile } from './sample-carrier-file';
import { sampleDay, SampleGraphRow } from './sample-day';

const CARRIER = 'fabrikam';
const OPERATOR = 'Fabrikam Telecom';
const TENANTS = ['4a5e8f0c-2b7d-4c1e-9f3a-6d8b0e2c4a71', 'b3c9d1e7-5f2a-4e8b-a6c0-9d4f7e1b3a25'];
const DAY = '2026-11-01';
const CALLS = 40000;

/**
 * `npm run demo`: the main job on sample data, on the embedded PostgreSQL (or DATABASE_URL).
 * A carrier with two customer tenants; a day of their traffic as the carrier's CDR file and as
 * Microsoft's PSTN log (saved Graph rows, NDJSON), with about 1% of the calls carrying each kind
 * of difference; then one nightly run, whose summary is printed. The sample is the same on every
 * run, so running the demo again changes nothing and says so.
 */
async function demo(): Promise<void> {
  const started = Date.now();
  const config = loadConfig(process.env);
  const say = (line: string) => process.stdout.write(line + '\n');
  say(config.DATABASE_URL ? 'ocrecon demo: on DATABASE_URL' : `ocrecon demo: embedded PostgreSQL in ${resolve(config.OCRECON_DATA_DIR)}`);
  const db = await openDatabase(config);
  // The demo has no Microsoft app: the nightly run uses the Microsoft rows imported below.
  const app = await NestFactory.createApplicationContext(
    AppModule.register({ config: Object.assign(config, { AZURE_CLIENT_ID: undefined }), databaseUrl: db.url }),
    { logger: ['error'] },
  );
  try {
    const carriers = app.get(CarriersService);
    await carriers.addCarrier({ id: CARRIER, name: 'Fabrikam Telecom', operatorNames: [OPERATOR] });
    for (const [i, tenantId] of TENANTS.entries()) await carriers.addTenant({ tenantId, carrierId: CARRIER, name: ['Contoso', 'Northwind Traders'][i], cloud: 'global' });
    say(`1. registered carrier ${CARRIER} ("${OPERATOR}" in Graph) with customer tenants Contoso and Northwind Traders`);

    const dir = join(config.OCRECON_DATA_DIR, 'demo');
    mkdirSync(dir, { recursive: true });
    const day = sampleDay({ rows: CALLS, dayStartMs: Date.parse(`${DAY}T00:00:00Z`), tenants: TENANTS, operator: OPERATOR, seed: 11, recordPrefix: 'FAB' });
    const carrierFile = join(dir, `fabrikam-cdrs-${DAY}.csv`);
    await writeCanonicalFile(carrierFile, withBadRows(day.carrierRows));
    const microsoftFiles = await Promise.all(TENANTS.map((t) => writeNdjson(join(dir, `graph-pstn-${t}-${DAY}.ndjson`), day.microsoftRows.filter((r) => r.tenantId === t))));
    say(`2. generated a day of traffic: ${carrierFile} (${day.carrierRows.length} CDRs, 2 of them malformed)`);
    say(`   and Microsoft's PSTN log of each tenant (${day.microsoftRows.length} rows) in ${dir}`);

    const ingest = await app.get(IngestService).ingestFile(carrierFile, CARRIER);
    say(ingest.alreadyIngested
      ? `3. carrier file already ingested (file ${ingest.fileId}): nothing changed`
      : `3. ingested the carrier file: ${ingest.accepted} rows accepted, ${ingest.rejected} rejected (see: npx ocrecon ingest-errors ${ingest.fileId})`);
    for (const [i, file] of microsoftFiles.entries()) {
      const r = await app.get(ImportMicrosoftService).importFile(file, TENANTS[i]);
      say(`   imported Microsoft's log of tenant ${TENANTS[i]}: ${JSON.stringify(countsOf(r))}`);
    }

    const summary = await app.get(NightlyService).run({ date: DAY, carrierId: CARRIER, trigger: 'manual' });
    say('4. ran the nightly batch for ' + DAY + ' (and the trailing days, which have no carrier data: waiting):');
    say(describeNight(summary).split('\n').map((l) => '   ' + l).join('\n'));
    say(`   planted in the sample: ${Object.entries(day.planted).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    say('   (the 2 malformed carrier rows were rejected at ingest, so their calls show as MISSING_AT_CARRIER too)');
    say(`done in ${((Date.now() - started) / 1000).toFixed(1)} s. Look further (same embedded database):`);
    say(`  npx ocrecon discrepancies --carrier ${CARRIER} --from ${DAY} --to 2026-11-02 --format csv`);
    say(`  npx ocrecon discrepancies --carrier ${CARRIER} --from ${DAY} --to 2026-11-02 --kind CHARGE_MISMATCH --format json`);
    say(`  npx ocrecon reconcile --carrier ${CARRIER} --from ${DAY} --to 2026-11-02 --json   # per-tenant daily controls`);
    say(`  npx ocrecon runs --id ${summary.runId}`);
  } finally {
    await app.close();
    await db.stop();
  }
}

function countsOf(r: object): Record<string, unknown> {
  const keep = ['rowsRead', 'received', 'inserted', 'updated', 'unchanged', 'rejected'];
  return Object.fromEntries(Object.entries(r).filter(([k, v]) => keep.includes(k) && typeof v === 'number'));
}

async function writeNdjson(path: string, rows: SampleGraphRow[]): Promise<string> {
  const out = createWriteStream(path);
  for (const r of rows) if (!out.write(r.json + '\n')) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
  return path;
}

/** Real files are not perfect: a day that does not exist and a negative duration among the good rows. */
function* withBadRows(rows: Iterable<SampleCall | string>): Generator<SampleCall | string> {
  let i = 0;
  for (const row of rows) {
    i++;
    if (typeof row === 'string') yield row;
    else if (i === 1001) yield canonicalRow(row).trimEnd().replace(/,2026-11-01T/, ',2026-11-31T');
    else if (i === 7777) yield canonicalRow(row).trimEnd().replace(/,(\d+(\.\d+)?),\+/, ',-$1,+');
    else yield row;
  }
}

demo().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`ocrecon demo failed: ${error?.message ?? error}\n`);
    process.exit(1);
  },
);
