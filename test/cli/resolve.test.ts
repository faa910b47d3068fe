/**
 * Issue 4 end to end on a copy of the example project: `apply` resolves every benign conflict and no
 * real one; the parts staged together import with the rewritten pycs (nothing stale, nothing rewritten)
 * under each interpreter involved; every RECORD matches its files; `undo` restores the tree exactly;
 * the `sh` rendering leaves the same tree as `apply`.
 */
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHeader, parsePyc, filenamesOf } from '../../src/python/pyc/index.js';
import { analyse, selectProject } from '../../src/run.js';
import { isRecordPath, regenerateRecordText, recordHashedPaths } from '../../src/plan/canonical.js';
import { snapshot, tempDir, withoutTimes, type SnapEntry } from '../apply/helpers/tree.js';
import { EXAMPLE } from '../helpers/tree.js';
import { buildHostEnv, pythonOrSkip, skipTitle } from '../helpers/python.js';
import { runResolve } from '../plan/helpers/cli.js';
import { buildProject } from '../plan/helpers/build.js';

const py311 = pythonOrSkip('3.11');
const py312 = pythonOrSkip('3.12');
const PREFIX = '/snap/stagefix-example/current';
const SITE = 'lib/python3.11/site-packages';

let work: string;
let proj: string;
let original: Record<string, SnapEntry>;
let realBefore: string[];
let benignBefore: number;

const realPaths = async (project = proj): Promise<{ real: string[]; benign: number }> => {
  const { report } = await analyse(selectProject({ project, cwd: project }));
  return { real: report.findings.filter((f) => f.verdict === 'real').map((f) => f.path).sort(), benign: report.findings.filter((f) => f.verdict === 'benign').length };
};

/** Files below `dir` whose name ends in `.pyc`, with their sha256. */
async function pycHashes(dir: string): Promise<Record<string, string>> {
  const snap = await snapshot(dir);
  return Object.fromEntries(Object.entries(snap).filter(([k, e]) => k.endsWith('.pyc') && e.type === 'file').map(([k, e]) => [k, e.sha256 ?? '']));
}

/** STAGE: the parts' install dirs copied in order into one dir, a later part over an earlier one. */
async function stage(project: string, parts: string[], name: string): Promise<string> {
  const dir = join(work, name);
  await fsp.mkdir(dir);
  for (const p of parts) execFileSync('cp', ['-a', '--', `${join(project, 'parts', p, 'install')}/.`, `${dir}/`]);
  return dir;
}

/** Every RECORD in every part regenerates to itself: each hash matches its file. Returns how many. */
async function checkRecords(project: string): Promise<number> {
  let checked = 0;
  for (const part of await fsp.readdir(join(project, 'parts'))) {
    const root = join(project, 'parts', part, 'install');
    const snap = await snapshot(root);
    for (const [rel, e] of Object.entries(snap)) {
      if (e.type !== 'file' || !isRecordPath(rel)) continue;
      const text = await fsp.readFile(join(root, rel), 'utf8');
      const files = new Map<string, Uint8Array>();
      for (const p of recordHashedPaths(text, rel)) if (snap[p]?.type === 'file') files.set(p, await fsp.readFile(join(root, p)));
      const res = regenerateRecordText(text, rel, (p) => files.get(p) ?? 'missing');
      expect(res.changed, `${part}: ${rel}`).toEqual([]);
      checked++;
    }
  }
  return checked;
}

function importVerbose(stageDir: string, exe: string, module: string): { status: number | null; stderr: string; stdout: string } {
  // The staged venv's bin/python3 points at the interpreter; PYTHONHOME is not needed for a venv.
  execFileSync('ln', ['-sfn', exe, join(stageDir, 'bin', 'python3')]);
  const r = spawnSync(join(stageDir, 'bin', 'python3'), ['-v', '-c', `import ${module}; print(${module}.__file__)`], { env: buildHostEnv(), encoding: 'utf8', cwd: work });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

beforeAll(async () => {
  work = await tempDir('resolve');
  proj = join(work, 'example');
  execFileSync('cp', ['-a', EXAMPLE, proj]);
  original = await snapshot(join(proj, 'parts'));
  const before = await realPaths();
  realBefore = before.real;
  benignBefore = before.benign;
});

afterAll(async () => {
  await fsp.rm(work, { recursive: true, force: true });
});

describe('stagefix apply / undo on the example project', () => {
  it('plan proposes, for every real conflict, a stage exclusion and changes none of its files', async () => {
    const r = await runResolve(['plan', proj, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as { actions: { kind: string; path: string; ops: unknown[]; why: { verdict: string } }[] };
    const proposals = plan.actions.filter((a) => a.kind === 'propose-stage-exclusion');
    const { report } = await analyse(selectProject({ project: proj, cwd: proj }));
    const sameFile = report.findings.filter((f) => f.verdict === 'real' && f.kind !== 'environment').map((f) => f.path).sort();
    expect(sameFile.length).toBeGreaterThan(0);
    expect(proposals.map((a) => a.path).sort()).toEqual(sameFile);
    for (const a of plan.actions) if (a.why.verdict === 'real') expect(a.ops, a.path).toEqual([]);
  });

  it('--dry-run changes nothing', async () => {
    const r = await runResolve(['apply', proj, '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/would apply \d+ file op/);
    expect(await snapshot(join(proj, 'parts'))).toEqual(original);
  });

  it('apply: a fresh scan finds no benign conflict and the same real ones', async () => {
    expect(benignBefore).toBeGreaterThan(0);
    const r = await runResolve(['apply', proj]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1); // real conflicts remain, as `check` would say
    expect(r.stdout).toContain(`benign ${benignBefore} → 0`);
    const after = await realPaths();
    expect(after.benign).toBe(0);
    expect(after.real).toEqual(realBefore);
  });

  it('every RECORD hash in every part matches its file', async () => {
    expect(await checkRecords(proj)).toBeGreaterThan(10);
  });

  it('the rewritten pycs are canonical: checked-hash header, co_filename at the run-time path', async () => {
    const rel = `${SITE}/flask/__pycache__/app.cpython-311.pyc`;
    const a = await fsp.readFile(join(proj, 'parts', 'flask-a', 'install', rel));
    const b = await fsp.readFile(join(proj, 'parts', 'flask-b', 'install', rel));
    expect(createHash('sha256').update(a).digest('hex')).toBe(createHash('sha256').update(b).digest('hex'));
    const h = parseHeader(a);
    expect(h.ok && h.header.invalidation).toBe('checked-hash');
    expect(new Set(filenamesOf(parsePyc(a).code))).toEqual(new Set([`${PREFIX}/${SITE}/flask/app.py`]));
  });

  it('undo restores the tree byte for byte (type, mode, mtime, size, sha256, link target)', async () => {
    const r = await runResolve(['undo', proj]);
    expect(r.code, r.stderr).toBe(0);
    expect(await snapshot(join(proj, 'parts'))).toEqual(original);
  });

  it('the sh rendering, run by sh, leaves the same tree as apply', async () => {
    const script = join(work, 'plan.sh');
    const p = await runResolve(['plan', proj, '--format', `sh=${script}`]);
    expect(p.code, p.stderr).toBe(0);
    expect(await fsp.readFile(script, 'utf8')).toMatch(/^#!\/bin\/sh\n# stagefix plan for /);
    expect((await runResolve(['apply', proj])).code).toBe(1);
    const applied = withoutTimes(await snapshot(join(proj, 'parts')));
    expect((await runResolve(['undo', proj])).code).toBe(0);
    expect(await snapshot(join(proj, 'parts'))).toEqual(original);
    const sh = spawnSync('sh', [script], { encoding: 'utf8' });
    expect(sh.status, sh.stderr).toBe(0);
    expect(withoutTimes(await snapshot(join(proj, 'parts')))).toEqual(applied);
  });
});

describe.skipIf(!py311 || !py312)(skipTitle('a freshly built project, staged and run by each interpreter involved', py311 ? '3.12' : '3.11', py311 && py312), () => {
  let fresh: string;
  let freshOriginal: Record<string, SnapEntry>;
  let freshReal: string[];

  beforeAll(async () => {
    fresh = join(work, 'fresh');
    await buildProject(fresh, 'fresh', [
      { name: 'flask-a', python: py311?.exe ?? '', packages: ['flask==3.1.3'] },
      { name: 'flask-b', python: py311?.exe ?? '', packages: ['flask==3.1.3'] },
      { name: 'click-py312', python: py312?.exe ?? '', interpreter: 'python3.12', packages: ['click'] },
    ]);
    freshOriginal = await snapshot(join(fresh, 'parts'));
    const before = await realPaths(fresh);
    freshReal = before.real;
    expect(before.benign).toBeGreaterThan(0);
    const r = await runResolve(['apply', fresh]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(freshReal.length > 0 ? 1 : 0);
  }, 600_000);

  it('a fresh scan finds no benign conflict and the same real ones; every RECORD matches its files', async () => {
    const after = await realPaths(fresh);
    expect(after.benign).toBe(0);
    expect(after.real).toEqual(freshReal);
    expect(await checkRecords(fresh)).toBeGreaterThan(10);
  });

  it('staged flask-a + flask-b: python3.11 -v imports flask from the rewritten pycs, nothing stale or rewritten', async () => {
    const dir = await stage(fresh, ['flask-a', 'flask-b'], 'stage-311');
    const before = await pycHashes(dir);
    const r = importVerbose(dir, py311?.exe ?? '', 'flask');
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    expect(r.stdout.trim()).toBe(join(dir, SITE, 'flask', '__init__.py'));
    expect(r.stderr).not.toMatch(/bytecode is stale/);
    expect(r.stderr).not.toMatch(/^# wrote /m);
    for (const m of ['__init__', 'app', 'sessions']) {
      expect(r.stderr).toContain(`# ${join(dir, SITE, 'flask', '__pycache__', `${m}.cpython-311.pyc`)} matches ${join(dir, SITE, 'flask', `${m}.py`)}`);
    }
    // The staged pyc is the canonical one (the same bytes in both parts), not whichever part came last.
    const rel = `${SITE}/flask/__pycache__/app.cpython-311.pyc`;
    const staged = await fsp.readFile(join(dir, rel));
    expect(new Set(filenamesOf(parsePyc(staged).code))).toEqual(new Set([`/snap/fresh/current/${SITE}/flask/app.py`]));
    expect(await pycHashes(dir)).toEqual(before);
  });

  it('staged click-py312: python3.12 -v imports click from its pycs', async () => {
    const dir = await stage(fresh, ['click-py312'], 'stage-312');
    const before = await pycHashes(dir);
    const r = importVerbose(dir, py312?.exe ?? '', 'click');
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    expect(r.stderr).toMatch(/lib\/python3\.12\/site-packages\/click\/__pycache__\/core\.cpython-312\.pyc matches /);
    expect(r.stderr).not.toMatch(/bytecode is stale/);
    expect(await pycHashes(dir)).toEqual(before);
  });

  it('undo restores the fresh tree byte for byte', async () => {
    const r = await runResolve(['undo', fresh]);
    expect(r.code, r.stderr).toBe(0);
    expect(await snapshot(join(fresh, 'parts'))).toEqual(freshOriginal);
  });
});
