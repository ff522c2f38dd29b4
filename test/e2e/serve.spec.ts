import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { CLI, runCli } from '../support/cli';
import { withDatabase } from '../support/global-setup';
import { createTestDatabase, TestDatabase } from '../support/test-db';

interface Server {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  stop(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

/** `ocrecon serve` as a child process on a free port; resolves once it printed its URL. */
function serve(env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, [CLI, 'serve'], { env: { ...process.env, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let signalledAt = 0;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, ms: Date.now() - signalledAt })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out} ${err}`)), 30000);
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /^ocrecon: listening on (http:\/\/\S+:\d+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          child, url: m[1], stdout: () => out, stderr: () => err, exited,
          stop: (signal) => {
            signalledAt = Date.now();
            child.kill(signal);
            return exited;
          },
        });
      }
    });
    void exited.then(() => reject(new Error(`serve exited: ${out} ${err}`)));
  });
}

const metricValue = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('ocrecon serve', () => {
  let db: TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), 'ocrecon-serve-'));

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports health and the database\'s ingest figures, logs JSON with request ids, and stops cleanly on SIGTERM', async () => {
    const env = { DATABASE_URL: db.url };
    expect((await runCli(['carriers', 'add', 'acme', '--name', 'Acme'], env)).code).toBe(0);
    expect((await runCli(['carriers', 'add', 'zeta', '--name', 'Zeta'], env)).code).toBe(0);
    const header = 'start_time,duration_seconds,caller_number,callee_number\n';
    writeFileSync(join(dir, 'a.csv'), `${header}2026-11-01T10:00:00Z,60,+14255550100,+14255550101\n2026-11-01T10:01:00Z,61,+14255550100,+14255550102\n2026-11-01T10:02:00Z,x,+14255550100,+14255550103\n`);
    writeFileSync(join(dir, 'z.csv'), `${header}2026-11-01T11:00:00Z,5,+14255550100,+14255550101\n`);
    const ingest = await runCli(['ingest', join(dir, 'a.csv'), '--carrier', 'acme', '--json'], env);
    // Not a terminal: no progress bar, nothing on stderr.
    expect(ingest).toMatchObject({ code: 0, stderr: '' });
    expect((await runCli(['ingest', join(dir, 'z.csv'), '--carrier', 'zeta'], env)).code).toBe(0);

    const server = await serve({ ...env, LOG_LEVEL: 'debug' });
    try {
      // HOST unset: loopback only.
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await fetch(`${server.url}/health`, { headers: { 'x-request-id': 'probe-42' } });
      expect(health.status).toBe(200);
      expect(health.headers.get('x-request-id')).toBe('probe-42');
      expect(await health.json()).toEqual({
        status: 'ok',
        info: { database: { status: 'up' }, migrations: { status: 'up' } },
        error: {},
        details: { database: { status: 'up' }, migrations: { status: 'up' } },
      });

      const metrics = await fetch(`${server.url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
      expect(metrics.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const text = await metrics.text();
      expect(metricValue(text, 'ocrecon_carrier_rows_ingested_total{carrier="acme"}')).toBe(2);
      expect(metricValue(text, 'ocrecon_carrier_rows_ingested_total{carrier="zeta"}')).toBe(1);
      expect(metricValue(text, 'ocrecon_carrier_rows_rejected_total{carrier="acme"}')).toBe(1);
      expect(metricValue(text, 'ocrecon_carrier_files_total{carrier="acme",status="loaded"}')).toBe(1);
      expect(text).toMatch(/^# TYPE ocrecon_carrier_rows_ingested_total counter$/m);
      expect(text).toMatch(/^process_cpu_user_seconds_total /m);

      // Work done by another process after the server started shows up at the next scrape.
      writeFileSync(join(dir, 'a2.csv'), `${header}2026-11-02T10:00:00Z,60,+14255550100,+14255550101\n`);
      expect((await runCli(['ingest', join(dir, 'a2.csv'), '--carrier', 'acme'], env)).code).toBe(0);
      const again = await (await fetch(`${server.url}/metrics`)).text();
      expect(metricValue(again, 'ocrecon_carrier_rows_ingested_total{carrier="acme"}')).toBe(3);
      expect(metricValue(again, 'ocrecon_carrier_files_total{carrier="acme",status="loaded"}')).toBe(2);
    } finally {
      const exit = await server.stop('SIGTERM');
      expect(exit).toMatchObject({ code: 0, signal: null });
      expect(exit.ms).toBeLessThan(5000);
    }
    const lines = server.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.find((l) => l.reqId === 'probe-42')).toMatchObject({ req: { method: 'GET', url: '/health' }, res: { statusCode: 200 } });
    expect(server.stderr()).toBe('');
  });

  it('answers 503 on a database whose migrations are not applied, then stops on SIGINT', async () => {
    const admin = new Client({ connectionString: process.env.OCRECON_TEST_SERVER_URL });
    await admin.connect();
    const name = `ocrecon_t_serve_empty_${process.pid}`;
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
    try {
      const server = await serve({ DATABASE_URL: withDatabase(process.env.OCRECON_TEST_SERVER_URL!, name), HOST: '0.0.0.0' });
      try {
        // HOST=0.0.0.0: every interface, which the printed URL says; loopback is one of them.
        expect(server.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
        const url = server.url.replace('0.0.0.0', '127.0.0.1');
        const health = await fetch(`${url}/health`);
        expect(health.status).toBe(503);
        expect(await health.json()).toMatchObject({
          status: 'error',
          info: { database: { status: 'up' } },
          error: { migrations: { status: 'down', message: expect.stringContaining('ocrecon migrate') } },
        });
        // The tables do not exist: the metrics are empty, the scrape still answers.
        const metrics = await fetch(`${url}/metrics`);
        expect(metrics.status).toBe(200);
        expect(await metrics.text()).not.toMatch(/^ocrecon_carrier_rows_ingested_total\{/m);
      } finally {
        expect(await server.stop('SIGINT')).toMatchObject({ code: 0 });
      }
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});
