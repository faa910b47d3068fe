/**
 * Issue 2's acceptance criteria on the bundled example (a trimmed copy of a real five-part build made
 * with the python plugin recipe by scripts/build-fixtures.sh).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { analyse } from '../../src/run.js';
import { loadProject } from '../../src/scan/project.js';
import type { Finding, Report } from '../../src/model.js';
import { pairViews } from '../../src/report/summary.js';
import { EXAMPLE } from '../helpers/tree.js';

let report: Report;
beforeAll(async () => {
  report = (await analyse(loadProject(EXAMPLE))).report;
});

const forPair = (a: string, b: string): { f: Finding; verdict: string; rule: string }[] =>
  report.findings.flatMap((f) =>
    pairViews(f)
      .filter((pv) => pv.parts[0] === a && pv.parts[1] === b)
      .map((pv) => ({ f, verdict: pv.verdict, rule: pv.rule })),
  );

describe('the bundled example', () => {
  it('lists the parts in craft-parts order, all built', () => {
    expect(report.parts.map((p) => p.name)).toEqual(['click-py312', 'flask-a', 'flask-b', 'numpy-new', 'numpy-old']);
    expect(report.parts.every((p) => p.built)).toBe(true);
  });

  it('flask-a / flask-b: conflicts, none of them real', () => {
    const pair = forPair('flask-a', 'flask-b');
    expect(pair.length).toBeGreaterThan(50);
    expect(pair.filter((x) => x.verdict === 'real').map((x) => x.f.path)).toEqual([]);
    const rules = new Set(pair.map((x) => x.rule));
    expect(rules).toContain('python-bytecode');
    expect(rules).toContain('venv-scaffolding');
    expect(rules).toContain('pip-record');
  });

  it('numpy-old / numpy-new: real on .py and .so files, naming both versions', () => {
    const pair = forPair('numpy-new', 'numpy-old');
    const real = pair.filter((x) => x.verdict === 'real');
    const py = real.filter((x) => x.f.path.endsWith('.py'));
    const so = real.filter((x) => x.f.path.endsWith('.so'));
    expect(py.length).toBeGreaterThan(0);
    expect(so.length).toBeGreaterThan(0);
    for (const x of [...py, ...so]) {
      expect(x.f.reason, x.f.path).toMatch(/numpy (1\.26\.4|2\.2\.6) in numpy-(old|new) vs (1\.26\.4|2\.2\.6) in numpy-(old|new)/);
    }
  });

  it('numpy-old / numpy-new: pycs of sources that did not change are benign at file level', () => {
    const pycs = forPair('numpy-new', 'numpy-old').filter((x) => x.f.path.endsWith('.pyc') && x.f.path.includes('/numpy/'));
    const benign = pycs.filter((x) => x.verdict === 'benign');
    const real = pycs.filter((x) => x.verdict === 'real');
    expect(benign.length).toBeGreaterThan(0);
    expect(real.length).toBeGreaterThan(0);
    for (const x of real) expect(['source', 'sourceOneSided', 'code', 'magic']).toContain(x.f.messageId);
  });

  it('click-py312: pyvenv.cfg and bin/pip are real, interpreter links judged by where they resolve', () => {
    const pair = forPair('click-py312', 'flask-a');
    const byPath = new Map(pair.map((x) => [x.f.path as string, x]));
    expect(byPath.get('pyvenv.cfg')?.verdict).toBe('real');
    expect(byPath.get('bin/pip')?.verdict).toBe('real');
    const py3 = byPath.get('bin/python3');
    expect(py3?.verdict).toBe('real');
    expect(py3?.rule).toBe('symlink');
    expect(py3?.f.evidence).toHaveProperty('resolvedA');
  });

  it('never calls a differing .py or .so benign', () => {
    for (const f of report.findings) {
      if (/\.(py|so)$/.test(f.path)) {
        for (const pv of pairViews(f)) expect(pv.verdict, `${f.path} ${pv.parts.join('/')}`).toBe('real');
      }
    }
  });
});
