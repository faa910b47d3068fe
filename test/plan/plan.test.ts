/**
 * The planner on a copy of the example project (real parts): benign conflicts get ops whose outputs
 * are byte-identical across parts, real ones only proposals (owner chosen by --owner globs), and each
 * renderer says the same plan. Plus the pure helpers: run-time prefixes, pyc → source, venv text.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { partName, type Project } from '../../src/model.js';
import { checkRuntimePrefix, normaliseVenvText, pycSource, runtimePath } from '../../src/plan/canonical.js';
import { defaultRuntimePrefix, isProposal, plan, planOps, renderPlanJson, renderPlanText, renderPlanYaml, type Plan } from '../../src/plan/index.js';
import { analyse, selectProject, type Analysis } from '../../src/run.js';
import { tempDir } from '../apply/helpers/tree.js';
import { EXAMPLE } from '../helpers/tree.js';

let work: string;
let analysis: Analysis;
let base: Plan;

beforeAll(async () => {
  work = await tempDir('plan');
  execFileSync('cp', ['-a', EXAMPLE, join(work, 'example')]);
  analysis = await analyse(selectProject({ project: join(work, 'example'), cwd: work }));
  base = await plan(analysis);
}, 120_000);

afterAll(async () => {
  await fsp.rm(work, { recursive: true, force: true });
});

const project = (kind: Project['kind'], name?: string): Project => ({ kind, root: '/p', parts: [], ...(name !== undefined ? { name } : {}) });

describe('run-time prefix', () => {
  it('defaults: /snap/<name>/current for a snap, / for a rock; a charm or bare parts must say', () => {
    expect(defaultRuntimePrefix(project('snapcraft', 'demo'))).toBe('/snap/demo/current');
    expect(defaultRuntimePrefix(project('rockcraft', 'demo'))).toBe('/');
    expect(() => defaultRuntimePrefix(project('charmcraft', 'demo'))).toThrow(UsageError);
    expect(() => defaultRuntimePrefix(project('parts'))).toThrow(UsageError);
    expect(() => defaultRuntimePrefix(project('snapcraft'))).toThrow(UsageError);
  });

  it('is checked and normalised; run-time paths join without a double slash', () => {
    expect(checkRuntimePrefix('/snap/x/current/')).toBe('/snap/x/current');
    expect(checkRuntimePrefix('/')).toBe('/');
    for (const bad of ['snap/x', '/a/../b', '/a b', '/a"b', '/a/./b']) expect(() => checkRuntimePrefix(bad), bad).toThrow(UsageError);
    expect(runtimePath('/', 'lib/x.py')).toBe('/lib/x.py');
    expect(runtimePath('/snap/x/current', 'lib/x.py')).toBe('/snap/x/current/lib/x.py');
  });
});

describe('pycSource', () => {
  it("maps __pycache__ names to their source as importlib's source_from_cache does", () => {
    expect(pycSource('lib/a/__pycache__/m.cpython-311.pyc')).toBe('lib/a/m.py');
    expect(pycSource('lib/a/__pycache__/m.cpython-311.opt-1.pyc')).toBe('lib/a/m.py');
    expect(pycSource('__pycache__/m.cpython-36.pyc')).toBe('m.py');
    expect(pycSource('lib/a/m.pyc')).toBeUndefined();
  });
});

describe('venv normal form on the example (real activate scripts and pyvenv.cfg)', () => {
  it('flask-a and flask-b agree once the install path is the run-time path; home and version kept', async () => {
    for (const rel of ['bin/activate', 'bin/activate.csh', 'bin/activate.fish', 'pyvenv.cfg']) {
      const texts = await Promise.all(
        ['flask-a', 'flask-b'].map(async (p) => normaliseVenvText(await fsp.readFile(join(work, 'example', 'parts', p, 'install', rel), 'utf8'), rel, p, [join(work, 'example', 'parts', p, 'install')], '/snap/x/current')),
      );
      expect(texts[0], rel).toBe(texts[1]);
      expect(texts[0], rel).toContain('/snap/x/current');
      expect(texts[0], rel).not.toMatch(/parts\/flask-[ab]\/install/);
    }
    const cfg = await fsp.readFile(join(work, 'example', 'parts', 'flask-a', 'install', 'pyvenv.cfg'), 'utf8');
    const out = normaliseVenvText(cfg, 'pyvenv.cfg', 'flask-a', [], '/snap/x/current');
    const keep = cfg.split('\n').filter((l) => /^(home|version|executable) = /.test(l));
    expect(keep).toHaveLength(3);
    for (const line of keep) expect(out.split('\n'), line).toContain(line);
  });
});

describe('plan on the example', () => {
  it('every benign pyc conflict becomes one canonical rewrite, identical in every part', () => {
    const pycs = base.actions.filter((a) => a.kind === 'rewrite-pyc');
    const benignPycs = analysis.report.findings.filter((f) => f.verdict === 'benign' && f.rule === 'python-bytecode');
    expect(pycs.map((a) => a.path).sort()).toEqual(benignPycs.map((f) => f.path).sort());
    for (const a of pycs) {
      const outs = new Set(a.ops.map((o) => (o.op === 'write' ? createHash('sha256').update(o.contents).digest('hex') : o.op)));
      expect(outs.size, a.path).toBe(1);
      expect(a.ops.map((o) => o.part).sort(), a.path).toEqual([...a.parts].sort());
      expect(a.preconditions, a.path).toEqual(a.ops.map((o) => ({ part: o.part, path: o.path, expect: o.expect })));
      for (const p of a.preconditions) expect(p.expect.type === 'file' && p.expect.digest.startsWith('xxh64:'), a.path).toBe(true);
    }
  });

  it('real conflicts are proposals only: no ops, the first part in order keeps the path', () => {
    const real = analysis.report.findings.filter((f) => f.verdict === 'real' && f.kind !== 'environment');
    const proposals = base.actions.filter(isProposal);
    expect(proposals.map((a) => a.path).sort()).toEqual(real.map((f) => f.path).sort());
    for (const a of proposals) {
      expect(a.ops).toEqual([]);
      expect(a.owner).toBe(a.parts[0]);
      expect(a.losers.map((l) => l.part)).toEqual(a.parts.slice(1));
      for (const l of a.losers) expect(l.stageEntry).toBe(`-${a.path}`);
    }
    const ops = planOps(base);
    const realKeys = new Set(real.map((f) => f.path as string));
    expect(ops.filter((o) => realKeys.has(o.path))).toEqual([]);
  });

  it('--owner globs pick the part that keeps a real conflict', async () => {
    const p = await plan(analysis, { owners: [{ path: 'lib/**/numpy/**', part: 'numpy-old' }] });
    const numpy = p.actions.filter(isProposal).filter((a) => a.path.includes('/numpy/'));
    expect(numpy.length).toBeGreaterThan(0);
    for (const a of numpy) {
      expect(a.owner).toBe('numpy-old');
      expect(a.losers.map((l) => l.part)).toEqual(['numpy-new']);
    }
    await expect(plan(analysis, { owners: [{ path: '**', part: 'nope' }] })).rejects.toThrow(UsageError);
  });

  it('--pyc drop removes every copy and says what it costs; recompile without a usable interpreter is refused', async () => {
    const p = await plan(analysis, { pyc: 'drop' });
    const drops = p.actions.filter((a) => a.kind === 'drop-pyc');
    expect(drops.length).toBe(base.actions.filter((a) => a.kind === 'rewrite-pyc').length);
    for (const a of drops) {
      expect(a.ops.every((o) => o.op === 'remove')).toBe(true);
      expect(a.note).toMatch(/compiles from source/);
    }
    // The example's bin/python3 links dangle on this host and no --python is given: a usage error, never a guess.
    await expect(plan(analysis, { pyc: 'recompile', pythons: ['/nonexistent/python3.11'] })).rejects.toThrow(/--python/);
  });

  it('--runtime-prefix / (a rock) puts co_filename at /lib/...', async () => {
    const p = await plan(analysis, { runtimePrefix: '/' });
    const a = p.actions.find((x) => x.kind === 'rewrite-pyc');
    expect(a?.kind === 'rewrite-pyc' && a.runtimeFilename).toMatch(/^\/lib\/python3\.11\/site-packages\/.+\.py$/);
  });

  it('yaml: one stage exclusion per lost path, merged into the losing part; organize when asked', async () => {
    const doc = parse(renderPlanYaml(base)) as { parts: Record<string, { stage?: string[]; organize?: Record<string, string> }> };
    for (const a of base.actions.filter(isProposal)) {
      for (const l of a.losers) expect(doc.parts[l.part]?.stage, `${l.part} ${a.path}`).toContain(`-${a.path}`);
      expect(doc.parts[a.owner]?.stage ?? [], a.owner).not.toContain(`-${a.path}`);
    }
    const org = await plan(analysis, { propose: 'organize' });
    const odoc = parse(renderPlanYaml(org)) as { parts: Record<string, { organize?: Record<string, string> }> };
    const first = org.actions.find(isProposal);
    const loser = first && first.kind === 'propose-organize' ? first.losers[0] : undefined;
    expect(loser).toBeDefined();
    if (first && loser) expect(odoc.parts[loser.part]?.organize?.[first.path]).toBe(loser.organizeTo);
  });

  it('json carries every op with its bytes; text names counts and proposals', () => {
    const doc = JSON.parse(renderPlanJson(base)) as { actions: { ops: { op: string; contents?: { sha256: string; base64: string; size: number } }[] }[] };
    const ops = doc.actions.flatMap((a) => a.ops);
    expect(ops.length).toBe(base.summary.fileOps);
    for (const o of ops.filter((x) => x.op === 'write')) {
      const bytes = Buffer.from(o.contents?.base64 ?? '', 'base64');
      expect(bytes.length).toBe(o.contents?.size);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(o.contents?.sha256);
    }
    const text = renderPlanText(base);
    expect(text).toContain(`${base.summary.benignFindings} benign conflict(s) resolved by ${base.summary.fileOps} file change(s)`);
    expect(text).toContain(`real conflicts, never changed automatically (${base.summary.realFindings})`);
    expect(base.summary.unresolvedBenign).toBe(0);
  });

  it('parts of the plan name install dirs in part order', () => {
    expect(base.parts.map((p) => p.name)).toEqual(analysis.project.parts.map((p) => p.name));
    expect(base.parts.map((p) => p.name)).toContain(partName('flask-a'));
  });
});
