/**
 * The strategies the example does not exercise alone, on small part trees (real venv files from the
 * example, made-up text with build paths, symlinks made here): venv normal form, build-path rewrite,
 * symlink respelling. Each plan is applied and a fresh scan must then find no conflict at all.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyOps } from '../../src/apply/apply.js';
import { plan, planOps } from '../../src/plan/index.js';
import { analyse } from '../../src/run.js';
import { examplePart, treeRunner, type Tree } from '../helpers/tree.js';

const run = treeRunner(afterAll);
const PREFIX = '/snap/x/current';

async function planApplyRescan(parts: Record<string, Tree>): Promise<{ kinds: string[]; after: number; texts: (p: string) => string[] }> {
  const fx = await run(parts);
  const p = await plan(fx.analysis, { runtimePrefix: PREFIX });
  const res = await applyOps(planOps(p), { stateDir: join(fx.dir, '.stagefix'), allowedRoots: fx.analysis.project.parts.map((s) => s.installDir) });
  expect(res.errors).toEqual([]);
  const again = await analyse(fx.analysis.project);
  const ops = planOps(p);
  return {
    kinds: p.actions.map((a) => `${a.kind} ${a.path}`).sort(),
    after: again.report.findings.length,
    texts: (path) => ops.filter((o) => o.path === path && o.op === 'write').map((o) => (o.op === 'write' ? Buffer.from(o.contents).toString('utf8') : '')),
  };
}

describe('strategies on small trees', () => {
  it('venv scaffolding: both parts get the run-time path, home/version kept, nothing collides after', async () => {
    const venv = (part: string): Tree => ({
      'bin/activate': { from: examplePart(part, 'bin/activate') },
      'bin/activate.fish': { from: examplePart(part, 'bin/activate.fish') },
      'pyvenv.cfg': { from: examplePart(part, 'pyvenv.cfg') },
    });
    const r = await planApplyRescan({ 'flask-a': venv('flask-a'), 'flask-b': venv('flask-b') });
    expect(r.kinds).toEqual(['normalise-venv-file bin/activate', 'normalise-venv-file bin/activate.fish', 'normalise-venv-file pyvenv.cfg']);
    expect(r.after).toBe(0);
    const [cfgA, cfgB] = r.texts('pyvenv.cfg');
    expect(cfgA).toBe(cfgB);
    expect(cfgA).toMatch(/^command = .* -m venv \/snap\/x\/current$/m);
    expect(cfgA).toMatch(/^home = \/\S+\/bin$/m);
    expect(r.texts('bin/activate')[0]).toMatch(/VIRTUAL_ENV=["']?\/snap\/x\/current["']?$/m);
  });

  it('build paths in text become the run-time path; equivalent symlinks take the first part\'s spelling', async () => {
    const part = (name: string, link: string): Tree => ({
      'share/app/paths.cfg': { text: `prefix=/root/parts/${name}/install\nlib=/root/parts/${name}/install/lib\n` },
      'lib/real.so': { text: 'same bytes\n' },
      'lib/alias.so': { symlink: link },
    });
    const r = await planApplyRescan({ one: part('one', 'real.so'), two: part('two', '../lib/real.so') });
    expect(r.kinds).toEqual(['relink-symlink lib/alias.so', 'rewrite-build-paths share/app/paths.cfg']);
    expect(r.texts('share/app/paths.cfg')).toEqual([`prefix=${PREFIX}\nlib=${PREFIX}/lib\n`, `prefix=${PREFIX}\nlib=${PREFIX}/lib\n`]);
    expect(r.after).toBe(0);
  });
});
