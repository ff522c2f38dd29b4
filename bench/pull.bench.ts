import { GraphHttp } from '../src/microsoft-logs/graph-http';
import { FakeMicrosoft, pstnRows } from '../test/support/fake-microsoft';
import { BenchSection, runCliMeasured } from './bench-context';
import { round } from './ingest.bench';

const TENANT = '0d7d6f3a-1c2b-4f5e-9a8b-7c6d5e4f3a2b';
const DAY = Date.UTC(2026, 10, 1);

/**
 * `ocrecon pull` of one tenant's day holding `rows` PSTN rows (1000-row pages) from the loopback
 * Graph with no faults, as a child process with the real @azure/identity credential. The rate
 * limiter is set to 200 requests per second here so that it does not bind: with Graph's real limit
 * (190 per 60 s) a tenant is capped at ~3,170 rows/s whatever ocrecon does. The floor is the same
 * pages fetched by a bare HTTPS loop (no parsing, no database): what the server alone allows.
 */
export const pullBench: BenchSection = async (bench) => {
  // The issue's figure is for a 200,000-row window (200 pages); --rows smaller than that shrinks it.
  const ctx = { ...bench, rows: Math.min(bench.rows, 200_000) };
  const fake = await FakeMicrosoft.start();
  try {
    fake.setTenant(TENANT, { pstn: pstnRows(ctx.rows, DAY, 86_400_000, '0d7d6f3a') });
    const url = await ctx.createDatabase();
    const env = {
      DATABASE_URL: url, AZURE_CLIENT_ID: fake.clientId, AZURE_CLIENT_SECRET: fake.clientSecret, AZURE_AUTHORITY_HOST: fake.url,
      GRAPH_BASE_URL: fake.url, NODE_EXTRA_CA_CERTS: fake.certFile, OCRECON_GRAPH_RATE_LIMIT: '200', OCRECON_GRAPH_RATE_WINDOW_MS: '1000',
    };
    await runCliMeasured(['carriers', 'add', 'bench', '--name', 'Bench'], env);
    await runCliMeasured(['tenants', 'add', TENANT, '--carrier', 'bench'], env);
    const pull = await runCliMeasured(['pull', '--tenant', TENANT, '--from', '2026-11-01', '--to', '2026-11-02', '--source', 'pstn', '--json'], env);
    const counts = JSON.parse(pull.stdout).tenants[0].sources.pstn;
    if (counts.inserted !== ctx.rows) throw new Error(`pull stored ${counts.inserted} of ${ctx.rows} rows`);

    const http = new GraphHttp({ ca: fake.cert });
    const token = fake.issueToken(TENANT);
    const started = process.hrtime.bigint();
    let next: string | undefined = `${fake.url}/v1.0/communications/callRecords/getPstnCalls(fromDateTime=2026-11-01T00:00:00Z,toDateTime=2026-11-02T00:00:00Z)`;
    let pages = 0;
    while (next) {
      const page = await http.get(next, token);
      pages += 1;
      next = /"@odata\.nextLink":"([^"]+)"/.exec(page.body)?.[1];
    }
    const floorSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    http.close();

    return {
      pull_rows: ctx.rows,
      pull_pages: pages,
      pull_s: round(pull.seconds),
      pull_rows_per_s: Math.round(ctx.rows / pull.seconds),
      pull_server_floor_rows_per_s: Math.round(ctx.rows / floorSeconds),
      pull_peak_rss_mb: pull.peakRssMb,
    };
  } finally {
    await fake.close();
  }
};
