/**
 * Builds real venvs for the python/dist and python/env integration tests, the way craft-parts' python
 * plugin does (`pythonX.Y -m venv <install>`, then `<install>/bin/pip install`), in a build host's
 * environment (bytecode on). Always against the local index: the default one is unreachable.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { buildHostEnv, localIndexUrl, type Interpreter } from '../../helpers/python.js';

const run = promisify(execFile);

export const INDEX_URL = localIndexUrl() ?? 'file:///opt/pypi/simple';

/** `withoutPip` skips ensurepip (the slow part) where a test only needs venv's own files. */
export async function makeVenv(py: Interpreter, dir: string, opts: { withoutPip?: boolean } = {}): Promise<string> {
  await run(py.exe, ['-m', 'venv', ...(opts.withoutPip ? ['--without-pip'] : []), dir], { env: buildHostEnv() });
  return dir;
}

export async function pipInstall(venv: string, requirements: string[]): Promise<void> {
  await run(`${venv}/bin/pip`, ['install', '-q', '--index-url', INDEX_URL, ...requirements], {
    env: buildHostEnv(),
    maxBuffer: 16 << 20,
  });
}

/** Runs a snippet with an interpreter and returns its stdout parsed as JSON. */
export async function pythonJson<T>(exe: string, code: string, stdin?: string): Promise<T> {
  const child = run(exe, ['-c', code], { env: buildHostEnv(), maxBuffer: 64 << 20 });
  if (stdin !== undefined) child.child.stdin?.end(stdin);
  const { stdout } = await child;
  return JSON.parse(stdout) as T;
}

/** The plugin's step 3: `sed -i "1 s|^#\!<venv interp>.*$|#!/usr/bin/env python3|"` on executables. */
export function rewriteShebang(text: string, venvInterpreter: string): string {
  const nl = text.indexOf('\n');
  const first = nl < 0 ? text : text.slice(0, nl);
  if (!first.startsWith(`#!${venvInterpreter}`)) return text;
  return `#!/usr/bin/env python3${nl < 0 ? '' : text.slice(nl)}`;
}
