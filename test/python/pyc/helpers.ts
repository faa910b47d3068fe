/** Shared bits for the pyc tests: fixtures, temp dirs, running interpreters. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const FIXTURES = join(ROOT, 'fixtures/pyc');
export const DUMPER = join(ROOT, 'scripts/pyc/dump_marshal.py');
export const PYC_DATA = '/work/shared/docs/pyc-data';

/** Every minor with a golden fixture (3.14 from Pyodide). */
export const FIXTURE_MINORS = ['3.6', '3.7', '3.8', '3.9', '3.10', '3.11', '3.12', '3.13', '3.14'] as const;

/** STAGEFIX_FULL=1: exhaustive runs (whole stdlib per interpreter). */
export const FULL = process.env.STAGEFIX_FULL === '1';

export const fixturePyc = (minor: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, `sample.${minor}.pyc.bin`)));
export const fixtureSource = (): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, 'sample.py')));

export const tempDir = (tag: string): string => mkdtempSync(join(tmpdir(), `stagefix-pyc-${tag}-`));

export function runPy(exe: string, args: string[], env: NodeJS.ProcessEnv = process.env, cwd?: string): string {
  return execFileSync(exe, args, { encoding: 'utf8', env, cwd, maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** py_compile one file with a given dfile, hash seed and (3.7+) invalidation mode. */
export function pyCompile(
  exe: string,
  src: string,
  cfile: string,
  dfile: string,
  opts: { seed?: string; mode?: 'TIMESTAMP' | 'CHECKED_HASH' | 'UNCHECKED_HASH' } = {},
): Uint8Array {
  const mode = opts.mode ? `, invalidation_mode=py_compile.PycInvalidationMode.${opts.mode}` : '';
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (opts.seed === undefined) delete env.PYTHONHASHSEED;
  else env.PYTHONHASHSEED = opts.seed;
  runPy(exe, ['-c', `import py_compile; py_compile.compile(${JSON.stringify(src)}, cfile=${JSON.stringify(cfile)}, dfile=${JSON.stringify(dfile)}, doraise=True${mode})`], env);
  return new Uint8Array(readFileSync(cfile));
}
