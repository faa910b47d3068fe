import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_MINORS, pythonOrSkip, skipTitle } from '../../helpers/python.js';
import { dumpValue, parsePyc, sortSets, stableStringify, type Json } from '../../../src/python/pyc/index.js';
import { loadPy314 } from '../../../scripts/pyc/pyodide.js';
import { DUMPER, FIXTURES, FIXTURE_MINORS, FULL, fixturePyc, runPy, tempDir } from './helpers.js';

const norm = (j: Json): string => stableStringify(sortSets(j));
const ours = (pyc: Uint8Array): string => norm(dumpValue(parsePyc(pyc).code));

/** Modules per interpreter in the default run; STAGEFIX_FULL=1 compiles the whole stdlib. */
const SAMPLE = FULL ? 0 : 40;
const SEED = 42;

interface Manifest {
  version: string;
  total: number;
  modules: { module: string; pyc: string; json: string }[];
}

function agree(manifest: Manifest, read: (name: string) => Uint8Array): { mismatches: string[]; checked: number } {
  const mismatches: string[] = [];
  for (const m of manifest.modules) {
    const theirs = norm(JSON.parse(new TextDecoder().decode(read(m.json))) as Json);
    if (ours(read(m.pyc)) !== theirs) mismatches.push(m.module);
  }
  return { mismatches, checked: manifest.modules.length };
}

describe('golden fixtures (no interpreter needed)', () => {
  it.each(FIXTURE_MINORS)('%s: the reader agrees with the interpreter dump', (minor) => {
    const theirs = JSON.parse(readFileSync(join(FIXTURES, `sample.${minor}.json`), 'utf8')) as Json;
    expect(ours(fixturePyc(minor))).toBe(norm(theirs));
  });
});

describe.each(ALL_MINORS)('stdlib of %s', (minor) => {
  const py = pythonOrSkip(minor);
  it.skipIf(!py)(skipTitle(`${SAMPLE || 'every'} stdlib modules agree with marshal.loads`, minor, py), () => {
    if (!py) return;
    const dir = tempDir(`stdlib${minor}`);
    runPy(py.exe, [DUMPER, '--stdlib', dir, String(SAMPLE), String(SEED)]);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    const r = agree(manifest, (n) => new Uint8Array(readFileSync(join(dir, n))));
    if (FULL) console.log(`stdlib ${manifest.version}: ${r.checked} modules compiled of ${manifest.total}, ${r.mismatches.length} mismatches`);
    expect(r.checked).toBeGreaterThan(SAMPLE ? SAMPLE * 0.9 : 500);
    expect(r.mismatches).toEqual([]);
  }, FULL ? 1_800_000 : 120_000);
});

describe('stdlib of 3.14 (Pyodide)', () => {
  it(`${SAMPLE || 'every'} stdlib modules agree with marshal.loads`, async () => {
    const py = await loadPy314();
    if (!py) throw new Error('pyodide is a dev dependency and must load');
    py.run(readFileSync(DUMPER, 'utf8'), ['--stdlib', '/tmp/stdlib314', String(SAMPLE), String(SEED)]);
    const manifest = JSON.parse(new TextDecoder().decode(py.readFile('/tmp/stdlib314/manifest.json'))) as Manifest;
    const r = agree(manifest, (n) => py.readFile(`/tmp/stdlib314/${n}`));
    if (FULL) console.log(`stdlib ${manifest.version}: ${r.checked} modules compiled of ${manifest.total}, ${r.mismatches.length} mismatches`);
    expect(manifest.version.startsWith('3.14.')).toBe(true);
    expect(r.checked).toBeGreaterThan(SAMPLE ? SAMPLE * 0.9 : 400);
    expect(r.mismatches).toEqual([]);
  }, FULL ? 1_800_000 : 120_000);
});
