/**
 * bytecode-interpreter on real bytecode: click installed by pip with the plugin recipe (python3.11, pip
 * compiles every module), and pycs written by python3.12 and python3.11 with py_compile/compileall.
 * `python -v` shows what importlib decides about each pyc ("bad magic number", "bytecode is stale",
 * "matches"), so each finding is checked against the interpreter.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonOrSkip, skipTitle, type Interpreter } from '../../helpers/python.js';
import { buildPart, materialiseStage, runOn, runPython, type IntegrityRun, type PartDef } from '../helpers.js';

const py = pythonOrSkip('3.11');
const py12 = pythonOrSkip('3.12');
const SP = 'lib/python3.11/site-packages';
const GLOBALS_PYC = `${SP}/click/__pycache__/globals.cpython-311.pyc`;

/** importlib's verbose trace for importing `module` from `dir` (bytecode writing off). */
function trace(python: Interpreter, dir: string, module: string): string {
  const r = spawnSync(python.exe, ['-I', '-S', '-B', '-v', '-c', `import sys; sys.path.insert(0, ${JSON.stringify(dir)}); import ${module}`], { encoding: 'utf8' });
  return `${r.stderr}\nexit ${r.status ?? -1}`;
}

describe.skipIf(!py || !py12)(skipTitle('bytecode-interpreter', py ? '3.12' : '3.11', py && py12), () => {
  let click = '';
  const tmp = mkdtempSync(join(tmpdir(), 'stagefix-pyc-'));
  const runs: IntegrityRun[] = [];
  const run = async (parts: Record<string, PartDef>): Promise<IntegrityRun> => {
    const r = await runOn(parts);
    runs.push(r);
    return r;
  };
  /** Compiles `text` as `name.py` with `python`, returning the pyc path (`legacy`: beside the source, `compileall -b`). */
  const compile = (python: Interpreter, name: string, text: string, mode: 'legacy' | 'timestamp' | 'checked-hash' | 'unchecked-hash'): string => {
    const dir = mkdtempSync(join(tmp, `${name}-`));
    writeFileSync(join(dir, `${name}.py`), text);
    const args = mode === 'legacy' ? ['-b'] : ['--invalidation-mode', mode];
    spawnSync(python.exe, ['-m', 'compileall', '-q', ...args, dir], { stdio: 'ignore' });
    const tag = `cpython-${python.minor.replace('.', '')}`;
    return mode === 'legacy' ? join(dir, `${name}.pyc`) : join(dir, '__pycache__', `${name}.${tag}.pyc`);
  };
  beforeAll(() => {
    if (!py) return;
    click = buildPart({ key: 'pyc-click', python: py, packages: ['click'] });
  });
  afterAll(() => runs.forEach((r) => r.cleanup()));

  it('flags a sourceless pyc written by Python 3.12 in a 3.11 site-packages as real: importing it fails', async () => {
    const pyc = compile(py12 as Interpreter, 'helper', 'X = 1\n', 'legacy');
    const r = await run({ legacy: { tree: { [`${SP}/helper.pyc`]: { from: pyc } } } });
    expect(r.of('bytecode-interpreter')).toMatchObject([
      { verdict: 'real', path: `${SP}/helper.pyc`, messageId: 'sourcelessMagic', args: { written: '3.12', wanted: '3.11', magic: 3531, expected: 3495 } },
    ]);
    expect(trace(py as Interpreter, join(materialiseStage(r, SP), SP), 'helper')).toMatch(/bad magic number in 'helper'/);
  });

  it('does not flag a sourceless pyc written by Python 3.11 (not a finding)', async () => {
    const pyc = compile(py as Interpreter, 'helper', 'X = 1\n', 'legacy');
    const r = await run({ legacy: { tree: { [`${SP}/helper.pyc`]: { from: pyc } } } });
    expect(r.of('bytecode-interpreter')).toEqual([]);
    expect(trace(py as Interpreter, join(materialiseStage(r, SP), SP), 'helper')).toMatch(/exit 0$/);
  });

  it('flags a cache pyc written by another interpreter as real: 3.11 recompiles the module', async () => {
    const src = readFileSync(join(click, SP, 'click/globals.py'), 'utf8');
    const foreign = compile(py12 as Interpreter, 'globals', src, 'timestamp');
    // `other` stages after `app`, so its pyc replaces the one pip wrote.
    const r = await run({ app: { from: click }, other: { tree: { [GLOBALS_PYC]: { from: foreign } } } });
    expect(r.of('bytecode-interpreter')).toMatchObject([{ verdict: 'real', path: GLOBALS_PYC, parts: ['app', 'other'], messageId: 'magic', args: { written: '3.12' } }]);
    expect(trace(py as Interpreter, join(materialiseStage(r, SP), SP), 'click.globals')).toMatch(/bad magic number in 'click.globals'/);
  });

  it('flags a pyc from one part staged beside an edited source from another as real (stale), as importlib does', async () => {
    const src = readFileSync(join(click, SP, 'click/globals.py'), 'utf8');
    const r = await run({ app: { from: click }, patch: { tree: { [`${SP}/click/globals.py`]: { text: `${src}\n# patched\n` } } } });
    const f = r.of('bytecode-interpreter');
    expect(f).toMatchObject([{ verdict: 'real', path: GLOBALS_PYC, messageId: 'stale', args: { sourcePart: 'patch', pycPart: 'app' } }]);
    expect(String(f[0]?.args.reasons)).toContain('size');
    expect(trace(py as Interpreter, join(materialiseStage(r, SP), SP), 'click.globals')).toMatch(/bytecode is stale for 'click.globals'/);
  });

  it('flags hash-based pycs that do not match their source as real; the unchecked one runs the old code', async () => {
    const checked = compile(py as Interpreter, 'hmod', 'V = "v1"\n', 'checked-hash');
    const unchecked = compile(py as Interpreter, 'umod', 'V = "v1"\n', 'unchecked-hash');
    const r = await run({
      hashed: {
        tree: {
          [`${SP}/hmod.py`]: { text: 'V = "v2"\n' },
          [`${SP}/__pycache__/hmod.cpython-311.pyc`]: { from: checked },
          [`${SP}/umod.py`]: { text: 'V = "v2"\n' },
          [`${SP}/__pycache__/umod.cpython-311.pyc`]: { from: unchecked },
        },
      },
    });
    expect(r.of('bytecode-interpreter')).toMatchObject([
      { verdict: 'real', path: `${SP}/__pycache__/hmod.cpython-311.pyc`, messageId: 'stale', args: { reasons: 'hash' } },
      { verdict: 'real', path: `${SP}/__pycache__/umod.cpython-311.pyc`, messageId: 'uncheckedStale' },
    ]);
    const stage = join(materialiseStage(r, SP), SP);
    expect(runPython(py as Interpreter, [stage], 'import hmod, umod; print(hmod.V, umod.V)')).toBe('v2 v1');
  });

  it('does not flag the pycs pip wrote in a real build (not a finding), which the interpreter accepts', async () => {
    const r = await run({ app: { from: click } });
    expect(r.of('bytecode-interpreter')).toEqual([]);
    expect(trace(py as Interpreter, join(materialiseStage(r, SP), SP), 'click.globals')).toMatch(/matches .*click\/globals\.py/);
  });
});
