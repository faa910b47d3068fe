import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_MINORS, pythonOrSkip, skipTitle } from '../../helpers/python.js';
import { comparePycs, compareTrees, parsePyc } from '../../../src/python/pyc/index.js';
import { loadPy314 } from '../../../scripts/pyc/pyodide.js';
import { FIXTURES, fixturePyc, pyCompile, tempDir } from './helpers.js';

const SAMPLE = readFileSync(join(FIXTURES, 'sample.py'), 'utf8');

/** Source edits whose first difference we can predict: [name, edited source, code object, path test]. */
const EDITS: [string, string, RegExp, RegExp][] = [
  ['constant', SAMPLE.replace('BIG = 123456789012345678901234567890', 'BIG = 123456789012345678901234567891'), /^<module>$/, /^<module>\.co_consts\[\d+\]$/],
  ['name', SAMPLE.replace('return word in', 'return wordy in').replace('(self, word)', '(self, wordy)'), /kind$/, /\.co_(varnames|localsplusnames|names)/],
  ['line', SAMPLE.replace('\ndef gen(n):', '\n\ndef gen(n):'), /^gen$/, /\.co_firstlineno$/],
];

describe('comparePycs without interpreters (fixtures)', () => {
  it('identical bytes, header-only and magic differences', () => {
    const a = fixturePyc('3.12');
    expect(comparePycs(a, a)).toEqual({ kind: 'identical' });
    const b = a.slice();
    b[4] = 1; // checked → unchecked hash: body untouched
    expect(comparePycs(a, b)).toEqual({ kind: 'header-only' });
    expect(comparePycs(a, b, { structuralOnly: true })).toEqual({ kind: 'equivalent', headerDiffers: true });
    expect(comparePycs(a, fixturePyc('3.13'))).toEqual({
      kind: 'magic-differs',
      a: { magic: 3531, python: '3.12' },
      b: { magic: 3571, python: '3.13' },
    });
  });
});

function checkVersion(compile: (src: string, dfile: string, seed: string, mode?: 'TIMESTAMP' | 'CHECKED_HASH' | 'UNCHECKED_HASH') => Uint8Array, hashModes: boolean): void {
  const base = compile(SAMPLE, '/parts/a/install/pkg/sample.py', '0');
  const moved = compile(SAMPLE, '/parts/b/install/lib/pkg/sample.py', '0');
  const r = comparePycs(base, moved);
  expect(r).toMatchObject({ kind: 'filename-only', filenames: { a: ['/parts/a/install/pkg/sample.py'], b: ['/parts/b/install/lib/pkg/sample.py'] } });
  for (const seed of ['1', '123']) {
    const other = compile(SAMPLE, '/parts/a/install/pkg/sample.py', seed);
    expect(['identical', 'header-only', 'equivalent']).toContain(comparePycs(base, other).kind);
    expect(compareTrees(parsePyc(base).code, parsePyc(other).code)).toEqual({ equal: true });
  }
  if (hashModes) {
    for (const mode of ['CHECKED_HASH', 'UNCHECKED_HASH'] as const) {
      expect(comparePycs(base, compile(SAMPLE, '/parts/a/install/pkg/sample.py', '0', mode)).kind).toBe('header-only');
    }
  }
  for (const [, edited, code, path] of EDITS) {
    const e = comparePycs(base, compile(edited, '/parts/b/pkg/sample.py', '0'));
    expect(e.kind).toBe('code-differs');
    if (e.kind !== 'code-differs') continue;
    expect(e.code).toMatch(code);
    expect(e.path).toMatch(path);
    expect(e.filenames.b).toEqual(['/parts/b/pkg/sample.py']);
  }
  const c = comparePycs(base, compile(EDITS[0]?.[1] ?? '', '/x.py', '0'));
  expect(c).toMatchObject({ a: 'int 123456789012345678901234567890', b: 'int 123456789012345678901234567891' });
}

describe.each(ALL_MINORS)('same module compiled by %s', (minor) => {
  const py = pythonOrSkip(minor);
  it.skipIf(!py)(skipTitle('dfile, hash seed and invalidation mode compare equal; edits are located', minor, py), () => {
    if (!py) return;
    const dir = tempDir(`cmp${minor}`);
    let n = 0;
    checkVersion((src, dfile, seed, mode) => {
      const file = join(dir, `s${n++}.py`);
      writeFileSync(file, src);
      return pyCompile(py.exe, file, `${file}c`, dfile, { seed, mode: minor === '3.6' ? undefined : (mode ?? 'TIMESTAMP') });
    }, minor !== '3.6');
  });
});

describe('same module compiled by 3.14 (Pyodide)', () => {
  it('dfile and invalidation mode compare equal; edits are located', async () => {
    const py = await loadPy314();
    if (!py) throw new Error('pyodide must load');
    let n = 0;
    // One Pyodide process: a hash seed cannot be changed, and 3.11+ writes sets sorted anyway (§3.3).
    checkVersion((src, dfile, _seed, mode) => {
      const file = `/tmp/cmp${n++}.py`;
      py.writeFile(file, src);
      py.run(
        `import py_compile\npy_compile.compile(${JSON.stringify(file)}, cfile=${JSON.stringify(`${file}c`)}, dfile=${JSON.stringify(dfile)}, doraise=True, invalidation_mode=py_compile.PycInvalidationMode.${mode ?? 'TIMESTAMP'})`,
        [],
      );
      return py.readFile(`${file}c`);
    }, true);
  });
});
