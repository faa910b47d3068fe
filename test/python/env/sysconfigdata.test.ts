import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../../src/errors.js';
import { parseSysconfigdata, type SysconfigValue } from '../../../src/python/env/sysconfigdata.js';
import { ALL_MINORS, pythonOrSkip, skipTitle } from '../../helpers/python.js';
import { pythonJson } from './venv-builder.js';

const PROPS = { seed: 42, numRuns: 500, interruptAfterTimeLimit: 10_000 };

// The oracle: the interpreter executes the file and dumps the dict.
const DUMP = [
  'import json, runpy, sys',
  'd = runpy.run_path(sys.argv[1])["build_time_vars"]',
  'print(json.dumps({k: v for k, v in d.items() if isinstance(v, (str, int, float))}))',
].join('\n');

function oracle(exe: string, file: string): Record<string, string | number> {
  return JSON.parse(execFileSync(exe, ['-c', DUMP, file], { encoding: 'utf8', maxBuffer: 64 << 20 })) as Record<string, string | number>;
}

function expectAgrees(vars: Map<string, SysconfigValue>, truth: Record<string, string | number>): number {
  let known = 0;
  expect([...vars.keys()].sort()).toEqual(Object.keys(truth).sort());
  for (const [k, v] of vars) {
    if (v === null) continue; // f-string or expression: not evaluated, by design
    expect(v, k).toBe(truth[k]);
    known++;
  }
  return known;
}

describe('parseSysconfigdata', () => {
  for (const minor of ALL_MINORS) {
    const py = pythonOrSkip(minor);
    it.skipIf(!py)(skipTitle(`reads python${minor}'s _sysconfigdata exactly as the interpreter does`, minor, py), async () => {
      const stdlib = await pythonJson<string>(py?.exe ?? '', 'import json, sysconfig; print(json.dumps(sysconfig.get_paths()["stdlib"]))');
      const file = readdirSync(stdlib).find((f) => f.startsWith('_sysconfigdata_') && f.endsWith('.py'));
      expect(file).toBeDefined();
      const path = join(stdlib, file ?? '');
      const sc = parseSysconfigdata(readFileSync(path, 'utf8'));
      const truth = oracle(py?.exe ?? '', path);
      expect(expectAgrees(sc.vars, truth)).toBe(sc.vars.size);
      expect(sc.version).toBe(minor);
      expect(sc.extSuffix).toBe(`.${sc.soabi}.so`);
      expect(sc.abiflags).toBe(minor === '3.6' || minor === '3.7' ? 'm' : '');
    });
  }

  const host = pythonOrSkip('3.11');
  const tmp = mkdtempSync(join(tmpdir(), 'stagefix-pyodide-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  it.skipIf(!host)(skipTitle("reads Pyodide's one-line _sysconfigdata with f-strings", '3.11', host), async () => {
    const zip = join(dirname(createRequire(import.meta.url).resolve('pyodide/package.json')), 'python_stdlib.zip');
    execFileSync(host?.exe ?? '', ['-m', 'zipfile', '-e', zip, tmp]);
    const file = readdirSync(tmp).find((f) => f.startsWith('_sysconfigdata_') && f.endsWith('.py'));
    expect(file).toBe('_sysconfigdata__emscripten_wasm32-emscripten.py');
    const path = join(tmp, file ?? '');
    const sc = parseSysconfigdata(readFileSync(path, 'utf8'));
    expect(sc).toMatchObject({ version: '3.14', soabi: 'cpython-314-wasm32-emscripten', extSuffix: '.cpython-314-wasm32-emscripten.so', multiarch: 'wasm32-emscripten', abiflags: '' });
    const truth = oracle(host?.exe ?? '', path);
    const known = expectAgrees(sc.vars, truth);
    // The unevaluated ones are exactly the f-strings over PYODIDE_ROOT.
    for (const [k, v] of sc.vars) if (v === null) expect(String(truth[k]), k).toContain('/root/repo');
    expect(known).toBeLessThan(sc.vars.size);
  });

  it('throws nothing but FormatError on arbitrary text', () => {
    const tokenArb = fc.constantFrom("'A'", ': ', ',', '(', ')', "'x' 'y'", '1', 'f"{a}"', '\n', '#c', '\\', '"""', "'");
    fc.assert(
      fc.property(fc.array(fc.oneof(tokenArb, fc.string({ maxLength: 5 })), { maxLength: 20 }), (parts) => {
        try {
          parseSysconfigdata(`build_time_vars = {${parts.join('')}`);
        } catch (e) {
          expect(e).toBeInstanceOf(FormatError);
        }
      }),
      PROPS,
    );
  });
});
