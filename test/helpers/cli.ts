/** Runs the CLI's `main` in-process with captured stdout/stderr, as a user's shell would see them. */
import { Writable } from 'node:stream';
import { main, type Io } from '../../src/cli/main.js';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export async function runCli(args: string[], cwd = process.cwd(), env: NodeJS.ProcessEnv = { NO_COLOR: '1' }): Promise<CliRun> {
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void): NodeJS.WriteStream =>
    new Writable({
      write(chunk, _enc, cb) {
        f(String(chunk));
        cb();
      },
    }) as unknown as NodeJS.WriteStream;
  const io: Io = { stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)), env, cwd };
  const code = await main(args, io);
  return { code, out, err };
}
