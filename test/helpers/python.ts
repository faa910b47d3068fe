/**
 * Finding real interpreters for integration tests. Outside CI a missing interpreter skips the test with a
 * reason; under CI=true it is a failure, so a broken CI machine cannot pass by skipping everything.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface Interpreter {
  /** Minor version, e.g. "3.11". */
  minor: string;
  /** Full version as the interpreter reports it, e.g. "3.11.7". */
  version: string;
  exe: string;
}

export const ALL_MINORS = ['3.6', '3.7', '3.8', '3.9', '3.10', '3.11', '3.12', '3.13'] as const;

const cache = new Map<string, Interpreter | undefined>();

function pyenvRoot(): string {
  if (process.env.PYENV_ROOT) return process.env.PYENV_ROOT;
  try {
    return execFileSync('pyenv', ['root'], { encoding: 'utf8' }).trim();
  } catch {
    return join(homedir(), '.pyenv');
  }
}

function probe(exe: string): string | undefined {
  try {
    return execFileSync(exe, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, PYENV_VERSION: '' },
    }).trim();
  } catch {
    return undefined;
  }
}

/** The interpreter for `minor` from pyenv's versions dir, else `pythonX.Y` on PATH (not pyenv shims). */
export function findPython(minor: string): Interpreter | undefined {
  if (cache.has(minor)) return cache.get(minor);
  const candidates: string[] = [];
  const root = pyenvRoot();
  const versions = join(root, 'versions');
  if (existsSync(versions)) {
    for (const v of readdirSync(versions).sort().reverse()) {
      if (v === minor || v.startsWith(`${minor}.`)) candidates.push(join(versions, v, 'bin', `python${minor}`));
    }
  }
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && !dir.includes('.pyenv/shims')) candidates.push(join(dir, `python${minor}`));
  }
  let found: Interpreter | undefined;
  for (const exe of candidates) {
    if (!existsSync(exe)) continue;
    const version = probe(exe);
    if (version?.startsWith(`${minor}.`)) {
      found = { minor, version, exe };
      break;
    }
  }
  cache.set(minor, found);
  return found;
}

export const inCI = (): boolean => process.env.CI === 'true';

/**
 * For `describe.skipIf(!py)(title(...))`: returns the interpreter, or undefined outside CI.
 * Under CI=true a missing interpreter throws, failing the test file.
 */
export function pythonOrSkip(minor: string): Interpreter | undefined {
  const py = findPython(minor);
  if (!py && inCI()) throw new Error(`python${minor} is required under CI=true but was not found (pyenv or PATH)`);
  return py;
}

/** A test title that says why it was skipped when the interpreter is missing. */
export function skipTitle(title: string, minor: string, py: Interpreter | undefined): string {
  return py ? title : `${title} [skipped: python${minor} not found in pyenv or on PATH]`;
}

/** The machine's local package index: the first file:// URL in `pip config list`. */
export function localIndexUrl(): string | undefined {
  try {
    const out = execFileSync('pip', ['config', 'list'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const m = /file:\/\/[^\s'"]+/.exec(out);
    return m?.[0];
  } catch {
    return undefined;
  }
}

/** The environment of a real build host: bytecode writing on, no user site, no pip version check. */
export function buildHostEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', ...extra };
  delete env.PYTHONDONTWRITEBYTECODE;
  delete env.PYTHONPATH;
  delete env.PYTHONHOME;
  return env;
}
