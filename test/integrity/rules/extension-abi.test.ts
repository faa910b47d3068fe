/**
 * extension-abi on a real extension module: markupsafe 3.0.3's `_speedups.cpython-311-x86_64-linux-gnu.so`
 * from its manylinux wheel, installed by pip with the plugin recipe, and the same file renamed the way
 * other builds name it (a musl build, a 3.10 build, an aarch64 build, the stable ABI). The real
 * interpreter confirms which names it loads.
 */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonOrSkip, skipTitle } from '../../helpers/python.js';
import { buildPart, materialiseStage, runOn, runPython, type IntegrityRun, type PartDef } from '../helpers.js';

const py = pythonOrSkip('3.11');
const SP = 'lib/python3.11/site-packages';
const DIR = `${SP}/markupsafe`;
const GNU = '_speedups.cpython-311-x86_64-linux-gnu.so';

describe.skipIf(!py)(skipTitle('extension-abi', '3.11', py), () => {
  let ms = '';
  let real = '';
  let sysconfigdata = '';
  const runs: IntegrityRun[] = [];
  const run = async (parts: Record<string, PartDef>): Promise<IntegrityRun> => {
    const r = await runOn(parts);
    runs.push(r);
    return r;
  };
  /** A part shipping the real module under another name. */
  const renamed = (name: string): PartDef => ({ tree: { [`${DIR}/${name}`]: { from: real } } });
  beforeAll(() => {
    if (!py) return;
    ms = buildPart({ key: 'abi-markupsafe', python: py, packages: ['markupsafe==3.0.3'] });
    real = join(ms, DIR, GNU);
    sysconfigdata = runPython(py, [], 'import sysconfig, os; print(os.path.join(os.path.dirname(os.__file__), sysconfig._get_sysconfigdata_name() + ".py"))');
  });
  afterAll(() => runs.forEach((r) => r.cleanup()));

  /** Whether the real interpreter imports the file as top-level module `_speedups`. */
  const loads = (name: string): boolean => {
    const dir = mkdtempSync(join(tmpdir(), 'stagefix-ext-'));
    copyFileSync(real, join(dir, name));
    return runPython(py as NonNullable<typeof py>, [dir], 'import importlib.util; print(importlib.util.find_spec("_speedups") is not None)') === 'True';
  };

  it('flags the module renamed for musl as real (libc): the glibc interpreter never imports it', async () => {
    const name = '_speedups.cpython-311-x86_64-linux-musl.so';
    const r = await run({ ms: { from: ms }, musl: renamed(name) });
    const f = r.of('extension-abi');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ verdict: 'real', kind: 'environment', path: `${DIR}/${name}`, parts: ['musl'], messageId: 'libc', args: { detail: 'linux-musl', minor: '3.11' } });
    expect(f[0]?.evidence.loadableSiblings).toEqual([GNU]);
    expect(loads(name)).toBe(false);
    expect(loads(GNU)).toBe(true);
  });

  it('flags a cpython-310 module in a 3.11 site-packages as real (version), which 3.11 never imports', async () => {
    const name = '_speedups.cpython-310-x86_64-linux-gnu.so';
    const r = await run({ old: renamed(name) });
    expect(r.of('extension-abi')).toMatchObject([{ verdict: 'real', messageId: 'version', args: { detail: 'cpython-310', minor: '3.11' } }]);
    expect(loads(name)).toBe(false);
  });

  it('flags another CPU only when a staged sysconfigdata gives the exact suffixes (real), not from the directory name alone', async () => {
    const name = '_speedups.cpython-311-aarch64-linux-gnu.so';
    const guessed = await run({ arm: renamed(name) });
    expect(guessed.of('extension-abi')).toEqual([]);
    const exact = await run({ arm: renamed(name), runtime: { tree: { 'usr/lib/python3.11/_sysconfigdata__linux_x86_64-linux-gnu.py': { from: sysconfigdata } } } });
    expect(exact.of('extension-abi')).toMatchObject([{ verdict: 'real', messageId: 'suffix', path: `${DIR}/${name}` }]);
    expect(exact.of('extension-abi')[0]?.evidence.interpreter).toMatchObject({ exact: true, soabi: 'cpython-311-x86_64-linux-gnu' });
    expect(loads(name)).toBe(false);
  });

  it('flags one module shipped under two loadable suffixes by two parts as real, naming the one CPython loads', async () => {
    const r = await run({ ms: { from: ms }, stable: renamed('_speedups.abi3.so') });
    const f = r.of('extension-abi');
    expect(f).toMatchObject([{ verdict: 'real', messageId: 'variants', parts: ['ms', 'stable'], args: { winner: GNU, winnerPart: 'ms', module: `${DIR}/_speedups` } }]);
    // module-shadowing leaves extension-vs-extension to this rule.
    expect(r.of('module-shadowing')).toEqual([]);
    const stage = materialiseStage(r, SP);
    const file = runPython(py as NonNullable<typeof py>, [join(stage, SP)], 'import markupsafe._speedups as m; print(m.__file__)');
    expect(relative(stage, file)).toBe(`${DIR}/${GNU}`);
  });

  it('does not flag the wheel as pip installed it, nor a stable-ABI module alone (not a finding)', async () => {
    const r = await run({ ms: { from: ms } });
    expect(r.of('extension-abi')).toEqual([]);
    const abi3 = await run({ stable: renamed('_speedups.abi3.so') });
    expect(abi3.of('extension-abi')).toEqual([]);
    expect(loads('_speedups.abi3.so')).toBe(true);
  });
});
