import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ChildRun {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
  /** Peak resident memory (VmHWM, the kernel's high-water mark), sampled until the process exits. */
  peakRssMb: number;
}

/** Runs `node <script> <args>` and measures it: wall time and peak RSS. Used by the benchmarks and the tests. */
export function runNodeMeasured(script: string, args: string[], env: Record<string, string | undefined> = {}, options: { cwd?: string } = {}): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [script, ...args], { cwd: options.cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let hwmKb = 0;
    const sample = () => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) hwmKb = Math.max(hwmKb, Number(m[1]));
      } catch {
        // exited, or no /proc on this system
      }
    };
    const timer = setInterval(sample, 20);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (error) => {
      clearInterval(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({ code: code ?? -1, stdout, stderr, seconds: Number(process.hrtime.bigint() - started) / 1e9, peakRssMb: Math.round(hwmKb / 1024) });
    });
  });
}
