import { join } from 'node:path';
import { ChildRun, runNodeMeasured } from '../../bench/child-process';

export type CliResult = ChildRun;

export const CLI = join(__dirname, '..', '..', 'bin', 'ocrecon.js');

/** Runs the built `ocrecon` command as a user would (a child process), measuring its time and peak memory. */
export function runCli(args: string[], env: Record<string, string | undefined> = {}, options: { cwd?: string } = {}): Promise<CliResult> {
  return runNodeMeasured(CLI, args, env, options);
}
