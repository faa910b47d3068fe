/**
 * `--pyc recompile` with real interpreters: on a copy of the example, apply leaves every benign pyc
 * byte-identical across parts (a fresh scan finds none), each a checked-hash pyc with co_filename at its
 * run-time path that CPython 3.11 imports from a staged tree without recompiling. A missing or
 * wrong-version interpreter is a one-line usage error; 3.6 bytecode falls back to the owner's copy; an
 * interpreter inside a part is never run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, promises as fsp, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { UsageError } from '../../src/errors.js';
import { plan } from '../../src/plan/index.js';
import { optimizationOf } from '../../src/plan/recompile.js';
import { analyse, selectProject } from '../../src/run.js';
import { tempDir } from '../apply/helpers/tree.js';
import { buildHostEnv, pythonOrSkip, skipTitle, type Interpreter } from '../helpers/python.js';
import { EXAMPLE, makeTree, treeRunner } from '../helpers/tree.js';

const py311 = pythonOrSkip('3.11');
const py312 = pythonOrSkip('3.12');
const py36 = pythonOrSkip('3.6');
const SITE = 'lib/python3.11/site-packages';
const PREFIX = '/snap/stagefix-example/current';

let work: string;
afterAll(async () => {
  if (work !== undefined) await fsp.rm(work, { recursive: true, force: true });
});
beforeAll(async () => {
  work = await tempDir('recompile');
});
const runTrees = treeRunner(afterAll);

/** The CLI as a user runs it, from the work dir (`work` is set in beforeAll). */
const cli = (args: string[]) => runCli(args, work);

function copyExample(name: string): string {
  const dir = join(work, name);
  execFileSync('cp', ['-a', EXAMPLE, dir]);
  return dir;
}

const PARTS_311 = ['flask-a', 'flask-b', 'numpy-old', 'numpy-new'];

/** A build host where the venvs' interpreter is gone: every 3.11 part's bin/python3 dangles. */
async function dangle(dir: string): Promise<void> {
  for (const p of PARTS_311) {
    const link = join(dir, 'parts', p, 'install', 'bin', 'python3');
    await fsp.rm(link);
    await fsp.symlink('/nonexistent/python3.11', link);
  }
}

const benignPycs = async (dir: string): Promise<{ path: string; parts: string[] }[]> =>
  (await analyse(selectProject({ project: dir, cwd: work }))).report.findings
    .filter((f) => f.rule === 'python-bytecode' && f.verdict === 'benign')
    .map((f) => ({ path: f.path, parts: [...f.parts] }));

describe.skipIf(!py311)(skipTitle('apply --pyc recompile --python on the example', '3.11', py311), () => {
  const py = py311 as Interpreter;
  let dir: string;
  let before: { path: string; parts: string[] }[];

  beforeAll(async () => {
    dir = copyExample('applied');
    before = await benignPycs(dir);
  }, 60_000);

  it('plans recompile-pyc actions run by the given interpreter', async () => {
    const p = await plan(await analyse(selectProject({ project: dir, cwd: work })), { pyc: 'recompile', pythons: [py.exe] });
    expect(p.interpreters).toEqual([{ exe: py.exe, version: py.version, from: 'user', parts: expect.arrayContaining(PARTS_311) as unknown }]);
    const acts = p.actions.filter((a) => a.kind === 'recompile-pyc');
    expect(acts.length).toBe(before.length);
    for (const a of acts) {
      expect(a.ops.length).toBeGreaterThan(0);
      expect(a.preconditions.length).toBe(a.ops.length);
      if (a.kind === 'recompile-pyc') expect(new Set(a.interpreters.map((i) => i.exe))).toEqual(new Set([py.exe]));
    }
  }, 60_000);

  it('apply removes every benign pyc conflict; the pycs are byte-identical, checked-hash, co_filename at the run-time path', async () => {
    expect(before.length).toBeGreaterThan(10);
    expect(before.some((f) => f.parts.includes('flask-a') && f.parts.includes('flask-b'))).toBe(true);
    const r = await cli(['apply', dir, '--pyc', 'recompile', '--python', py.exe]);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/verification \(fresh scan\): benign \d+ → 0,/);
    expect(await benignPycs(dir)).toEqual([]);

    const checks: [string, string][] = [];
    for (const f of before) {
      const copies = f.parts.map((p) => readFileSync(join(dir, 'parts', p, 'install', f.path)));
      for (const c of copies) expect(c.equals(copies[0] as Buffer), f.path).toBe(true);
      const src = f.path.replace(/__pycache__\/([^./]+)\.cpython-311\.pyc$/, '$1.py');
      checks.push([join(dir, 'parts', f.parts[0] as string, 'install', f.path), src]);
    }
    // The interpreter itself reads them back: flags, source hash, co_filename.
    const script = [
      'import sys, json, marshal, importlib.util, os',
      'root, jobs = json.load(sys.stdin)',
      'out = {}',
      'for pyc, src in jobs:',
      '    data = open(pyc, "rb").read()',
      '    source = open(os.path.join(os.path.dirname(os.path.dirname(pyc)), os.path.basename(src)), "rb").read()',
      '    out[pyc] = [int.from_bytes(data[4:8], "little"), data[8:16] == importlib.util.source_hash(source), marshal.loads(data[16:]).co_filename]',
      'print(json.dumps(out))',
    ].join('\n');
    const res = JSON.parse(execFileSync(py.exe, ['-c', script], { input: JSON.stringify([dir, checks]), encoding: 'utf8' })) as Record<string, [number, boolean, string]>;
    for (const [pyc, src] of checks) expect(res[pyc], pyc).toEqual([3, true, `${PREFIX}/${src}`]);
  }, 120_000);

  it('plan --format sh, run by sh on a fresh copy, leaves the same pycs as apply', async () => {
    const other = copyExample('by-sh');
    const script = join(work, 'recompile.sh');
    const r = await cli(['plan', other, '--pyc', 'recompile', '--python', py.exe, '--format', `sh=${script}`]);
    expect(r.code).toBe(0);
    execFileSync('sh', [script], { stdio: 'ignore' });
    expect(await benignPycs(other)).toEqual([]);
    for (const f of before) {
      for (const p of f.parts) {
        const rel = join('parts', p, 'install', f.path);
        expect(readFileSync(join(other, rel)).equals(readFileSync(join(dir, rel))), rel).toBe(true);
      }
    }
  }, 60_000);

  it('python3.11 -v imports from the staged tree using the recompiled pycs: matches, never stale, nothing rewritten', async () => {
    const staged = join(work, 'staged');
    await fsp.mkdir(staged);
    // Stage order: flask-a, then flask-b over it.
    execFileSync('cp', ['-a', join(dir, 'parts', 'flask-a', 'install', 'lib'), staged]);
    execFileSync('cp', ['-a', `${join(dir, 'parts', 'flask-b', 'install', 'lib')}/.`, join(staged, 'lib')]);
    const recompiled = before.filter((f) => f.parts.includes('flask-a')).map((f) => join(staged, f.path));
    const stamp = (): string[] => recompiled.map((p) => `${statSync(p).mtimeMs}:${readFileSync(p).toString('base64')}`);
    const was = stamp();
    const site = join(staged, SITE);
    // -S: nothing from the interpreter's own site-packages (pyenv's may hold flask too).
    const r = spawnSync(py.exe, ['-S', '-s', '-v', '-c', 'import markupsafe, packaging._structures, pip; print(markupsafe.__file__)'], { env: { ...buildHostEnv(), PYTHONPATH: site }, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(join(site, 'markupsafe', '__init__.py'));
    const err = r.stderr;
    expect(err).not.toMatch(/stale/);
    // The example's parts are trimmed to the colliding files, so flask itself cannot be imported from them;
    // these modules can, and their pycs are among the recompiled ones (markupsafe from flask-a and flask-b).
    for (const mod of ['markupsafe/__init__', 'packaging/_structures', 'pip/__init__']) {
      const [pkg, name] = mod.split('/') as [string, string];
      const pyc = join(site, pkg, '__pycache__', `${name}.cpython-311.pyc`);
      expect(err).toContain(`# ${pyc} matches ${join(site, pkg, `${name}.py`)}`);
      expect(err).toContain(`# code object from '${pyc}'`);
    }
    expect(stamp()).toEqual(was);
  }, 60_000);
});

describe.skipIf(!py311)(skipTitle('missing or wrong interpreters', '3.11', py311), () => {
  let dir: string;
  beforeAll(async () => {
    dir = copyExample('dangling');
    await dangle(dir);
  }, 60_000);

  const oneLine = (r: { code: number; err: string }): string => {
    expect(r.code).toBe(2);
    const lines = r.err.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    return lines[0] ?? '';
  };

  it("a part whose own interpreter dangles, without --python: one line naming 3.11 and --python", async () => {
    const line = oneLine(await cli(['plan', dir, '--pyc', 'recompile']));
    expect(line).toMatch(/needs a Python 3\.11 interpreter/);
    expect(line).toContain('--python');
    expect(line).toContain('flask-a');
    expect(line).toContain('dangles');
  }, 60_000);

  it.skipIf(!py312)(skipTitle('an interpreter of another version is refused, naming what it is', '3.12', py312), async () => {
    const py = py312 as Interpreter;
    const line = oneLine(await cli(['apply', dir, '--pyc', 'recompile', '--python', py.exe]));
    expect(line).toMatch(/needs a Python 3\.11 interpreter/);
    expect(line).toContain(`--python ${py.exe} is Python ${py.version}`);
    expect(await benignPycs(dir)).not.toEqual([]);
  }, 60_000);

  it('a --python that does not run, or two for one minor version, is refused', async () => {
    const py = py311 as Interpreter;
    expect(oneLine(await cli(['plan', dir, '--pyc', 'recompile', '--python', join(work, 'no-such-python')]))).toMatch(/--python .*no-such-python: .*does not run/);
    expect(oneLine(await cli(['plan', dir, '--pyc', 'recompile', '--python', py.exe, '--python', py.exe]))).toMatch(/both Python 3\.11/);
  }, 60_000);
});

/** Two parts with the same module whose pycs were compiled (by `py`) with each part's install path as dfile. */
async function pycTrees(py: Interpreter, tag: string, extra: Record<string, { text: string; mode?: number }> = {}): Promise<Awaited<ReturnType<typeof runTrees>>> {
  const gen = join(work, `gen-${tag}`);
  makeTree(gen, { 'mod.py': { text: 'VALUE = {"a", "b", "c"}\n\ndef f(x):\n    assert x is not None\n    return x in VALUE\n' } });
  const script = 'import sys, py_compile; py_compile.compile(sys.argv[1], cfile=sys.argv[2], dfile=sys.argv[3], doraise=True)';
  const rel = `lib/pkg/__pycache__/mod.${tag}.pyc`;
  const trees: Record<string, Record<string, { from: string } | { text: string; mode?: number }>> = {};
  for (const part of ['one', 'two']) {
    const out = join(gen, part, 'mod.pyc');
    execFileSync(py.exe, ['-c', script, join(gen, 'mod.py'), out, `/build/parts/${part}/install/lib/pkg/mod.py`], { env: buildHostEnv({ PYTHONHASHSEED: '0' }) });
    trees[part] = { 'lib/pkg/mod.py': { from: join(gen, 'mod.py') }, [rel]: { from: out }, ...extra };
  }
  return runTrees(trees);
}

describe.skipIf(!py36)(skipTitle('3.6 bytecode', '3.6', py36), () => {
  it("has no hash-based pycs: every part keeps the owner's copy, and the note says why", async () => {
    const t = await pycTrees(py36 as Interpreter, 'cpython-36');
    const f = t.analysis.report.findings.find((x) => x.rule === 'python-bytecode');
    expect(f?.verdict).toBe('benign');
    const p = await plan(t.analysis, { pyc: 'recompile', runtimePrefix: '/', pythons: [(py36 as Interpreter).exe] });
    const a = p.actions.find((x) => x.path === f?.path);
    expect(a?.kind).toBe('keep-one-copy');
    expect(a?.note).toMatch(/3\.6 has no hash-based pycs/);
    expect(a?.ops.map((o) => o.part)).toEqual(['two']);
  }, 60_000);
});

describe.skipIf(!py311)(skipTitle("the part's own interpreter", '3.11', py311), () => {
  it('is never run when it lives inside the parts: refused, and the script never ran', async () => {
    const marker = join(work, 'fake-python-ran');
    const fake = { text: `#!/bin/sh\ntouch '${marker}'\necho 3495 3.11.7\n`, mode: 0o755 };
    const t = await pycTrees(py311 as Interpreter, 'cpython-311', { 'bin/python3': fake });
    expect(t.analysis.report.findings.some((x) => x.rule === 'python-bytecode' && x.verdict === 'benign')).toBe(true);
    const err = await plan(t.analysis, { pyc: 'recompile', runtimePrefix: '/' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect(String(err)).toMatch(/resolves inside the parts/);
    expect(existsSync(marker)).toBe(false);
  }, 60_000);

  it('is used when it lives outside the parts and matches the magic', async () => {
    const py = py311 as Interpreter;
    const t = await pycTrees(py, 'cpython-311.opt-1', {});
    // bin/python3 → the real interpreter: the layout of a craft-parts venv.
    for (const part of ['one', 'two']) {
      await fsp.mkdir(join(t.dir, 'parts', part, 'install', 'bin'), { recursive: true });
      await fsp.symlink(py.exe, join(t.dir, 'parts', part, 'install', 'bin', 'python3'));
    }
    const p = await plan(t.analysis, { pyc: 'recompile', runtimePrefix: '/' });
    expect(p.interpreters?.map((i) => [i.from, i.version, [...i.parts].sort()])).toEqual([['part', py.version, ['one', 'two']]]);
    const a = p.actions.find((x) => x.kind === 'recompile-pyc');
    expect(a?.ops).toHaveLength(2);
    // The name says .opt-1, so the level is 1 (the assert is gone): what py_compile itself writes at -O.
    const src = join(t.dir, 'parts', 'one', 'install', 'lib', 'pkg', 'mod.py');
    const compile = (level: number): Buffer =>
      execFileSync(py.exe, ['-c', `import sys, py_compile; sys.stdout.buffer.write(open(py_compile.compile(sys.argv[1], cfile=sys.argv[2], dfile="/lib/pkg/mod.py", optimize=${level}, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH), "rb").read())`, src, join(work, `expect-${level}.pyc`)], { env: buildHostEnv({ PYTHONHASHSEED: '0' }) });
    const w = a?.ops[0];
    expect(w?.op).toBe('write');
    if (w?.op === 'write') {
      expect(Buffer.from(w.contents).equals(compile(1))).toBe(true);
      expect(Buffer.from(w.contents).equals(compile(0))).toBe(false);
    }
  }, 60_000);
});

describe('optimizationOf', () => {
  it('reads the level py_compile must use from the pyc name', () => {
    expect(optimizationOf('a/__pycache__/m.cpython-311.pyc')).toBe(0);
    expect(optimizationOf('a/__pycache__/m.cpython-311.opt-1.pyc')).toBe(1);
    expect(optimizationOf('a/__pycache__/m.cpython-311.opt-2.pyc')).toBe(2);
    expect(optimizationOf('a/__pycache__/m.cpython-311.opt-x.pyc')).toBeUndefined();
  });
});
