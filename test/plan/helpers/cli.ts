/**
 * Runs the resolve commands the way `main` does (one Command, errors → one line and exit 2) without
 * going through src/cli/main.ts, so these tests do not depend on when the commands are wired in there.
 */
import { PassThrough } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { registerResolveCommands } from '../../../src/cli/commands/resolve.js';
import type { Io } from '../../../src/cli/main.js';
import { isStagefixError } from '../../../src/errors.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runResolve(argv: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  err.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const io = { stdout: out, stderr: err, env: opts.env ?? process.env, cwd: opts.cwd ?? process.cwd() } as unknown as Io;
  const result = { code: 0 };
  const program = new Command('stagefix')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) });
  registerResolveCommands(program, io, result);
  let code: number;
  try {
    await program.parseAsync(argv, { from: 'user' });
    code = result.code;
  } catch (e) {
    if (e instanceof CommanderError) code = e.exitCode === 0 ? 0 : 2;
    else if (isStagefixError(e)) {
      err.write(`stagefix: ${e.message}\n`);
      code = 2;
    } else throw e;
  }
  await new Promise((r) => setImmediate(r));
  return { code, stdout, stderr };
}
