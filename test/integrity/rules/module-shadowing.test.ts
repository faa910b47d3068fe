/**
 * module-shadowing on real parts (python3.11, plugin recipe): tabulate 0.8.10 ships `tabulate.py`,
 * tabulate 0.10.0 ships the package `tabulate/`, cffi ships the extension `_cffi_backend.cpython-311-….so`.
 * Each case also asks the real interpreter which file it imports from the materialised stage, so the
 * rule's FileFinder order is checked against CPython itself.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonOrSkip, skipTitle, type Interpreter } from '../../helpers/python.js';
import { buildPart, materialiseStage, runOn, runPython, type IntegrityRun, type PartDef } from '../helpers.js';

const py = pythonOrSkip('3.11');
const SP = 'lib/python3.11/site-packages';

/** What the real interpreter imports for `module` from the stage, as a stage-relative path. */
function imported(run: IntegrityRun, python: Interpreter, module: string): string {
  const stage = materialiseStage(run, SP);
  const file = runPython(python, [join(stage, SP)], `import ${module}; print(${module}.__file__ or list(${module}.__path__)[0])`);
  return relative(stage, file);
}

describe.skipIf(!py)(skipTitle('module-shadowing', '3.11', py), () => {
  let tabOld = '';
  let tabNew = '';
  let cffi = '';
  let legacyPyc = '';
  const runs: IntegrityRun[] = [];
  const run = async (parts: Record<string, PartDef>): Promise<IntegrityRun> => {
    const r = await runOn(parts);
    runs.push(r);
    return r;
  };
  beforeAll(() => {
    if (!py) return;
    tabOld = buildPart({ key: 'shadow-tabulate-old', python: py, packages: ['tabulate==0.8.10'] });
    tabNew = buildPart({ key: 'shadow-tabulate-new', python: py, packages: ['tabulate==0.10.0'] });
    cffi = buildPart({ key: 'shadow-cffi', python: py, packages: ['cffi'] });
    // A legacy (sourceless) pyc written by the interpreter itself: `compileall -b` puts it beside the source.
    const tmp = mkdtempSync(join(tmpdir(), 'stagefix-legacy-pyc-'));
    writeFileSync(join(tmp, 'tabulate.py'), 'KIND = "legacy bytecode"\n');
    execFileSync(py.exe, ['-m', 'compileall', '-q', '-b', tmp]);
    legacyPyc = join(tmp, 'tabulate.pyc');
  });
  afterAll(() => runs.forEach((r) => r.cleanup()));

  it('flags tabulate.py (0.8.10) vs the tabulate/ package (0.10.0) as real: the package wins, as CPython says', async () => {
    if (!py) return;
    const r = await run({ 'tab-new': { from: tabNew }, 'tab-old': { from: tabOld } });
    const [f, ...more] = r.of('module-shadowing');
    expect(more).toEqual([]);
    expect(f).toMatchObject({
      verdict: 'real',
      kind: 'environment',
      parts: ['tab-new', 'tab-old'],
      path: `${SP}/tabulate/__init__.py`,
      args: { module: 'tabulate', winnerForm: 'package', winnerPart: 'tab-new' },
    });
    expect(f?.reason).toContain('source tabulate.py (tab-old)');
    expect(imported(r, py, 'tabulate')).toBe(f?.args.winner);
  });

  it('flags an extension module vs a same-named .py as real: the extension wins, as CPython says', async () => {
    if (!py) return;
    const r = await run({ cffi: { from: cffi }, shim: { tree: { [`${SP}/_cffi_backend.py`]: { from: join(tabOld, SP, 'tabulate.py') } } } });
    const [f, ...more] = r.of('module-shadowing');
    expect(more).toEqual([]);
    expect(f).toMatchObject({ verdict: 'real', parts: ['cffi', 'shim'], args: { module: '_cffi_backend', winnerForm: 'extension', winnerPart: 'cffi' } });
    expect(f?.args.winner).toBe(`${SP}/_cffi_backend.cpython-311-x86_64-linux-gnu.so`);
    expect(imported(r, py, '_cffi_backend')).toBe(f?.args.winner);
  });

  it('flags a namespace directory vs a module as real: the module wins, as CPython says', async () => {
    if (!py) return;
    const r = await run({ 'tab-new': { from: tabNew, remove: [`${SP}/tabulate/__init__.py`] }, 'tab-old': { from: tabOld } });
    const [f] = r.of('module-shadowing');
    expect(f).toMatchObject({ verdict: 'real', args: { winnerForm: 'source', winnerPart: 'tab-old', winner: `${SP}/tabulate.py` } });
    expect(f?.reason).toContain('namespace tabulate (tab-new)');
    expect(imported(r, py, 'tabulate')).toBe(f?.args.winner);
  });

  it('flags legacy bytecode vs source as real: the source wins, as CPython says', async () => {
    if (!py) return;
    const r = await run({ legacy: { tree: { [`${SP}/tabulate.pyc`]: { from: legacyPyc } } }, 'tab-old': { from: tabOld } });
    const [f] = r.of('module-shadowing');
    expect(f).toMatchObject({ verdict: 'real', args: { winnerForm: 'source', winnerPart: 'tab-old' } });
    expect(imported(r, py, 'tabulate')).toBe(f?.args.winner);
  });

  it('does not flag one form shipped by two parts, nor forms that all come from one part (not a finding)', async () => {
    if (!py) return;
    const same = await run({ a: { from: tabNew }, b: { from: tabNew } });
    expect(same.of('module-shadowing')).toEqual([]);
    // cffi alone: _cffi_backend.so and the cffi/ package are different names; nothing to shadow.
    const alone = await run({ cffi: { from: cffi } });
    expect(alone.of('module-shadowing')).toEqual([]);
  });
});
