import { afterAll, describe, expect, it } from 'vitest';
import { examplePart, treeRunner } from '../../helpers/tree.js';

const run = treeRunner(afterAll);
const fromExample = (part: string, paths: string[]) => Object.fromEntries(paths.map((p) => [p, { from: examplePart(part, p) }]));
const FILES = ['pyvenv.cfg', 'bin/activate', 'bin/activate.csh', 'bin/activate.fish'];

describe('venv-scaffolding', () => {
  it('benign: two 3.11 venvs differ only in their install paths', async () => {
    const f = await run({ 'flask-a': fromExample('flask-a', FILES), 'flask-b': fromExample('flask-b', FILES) });
    for (const p of FILES) {
      const finding = f.finding(p);
      expect(finding, p).toBeDefined();
      expect(finding?.rule, p).toBe('venv-scaffolding');
      expect(finding?.verdict, p).toBe('benign');
    }
  });

  it('real: a 3.12 venv against a 3.11 venv names the interpreter difference', async () => {
    const f = await run({ 'flask-a': fromExample('flask-a', FILES), 'click-py312': fromExample('click-py312', FILES) });
    const cfg = f.finding('pyvenv.cfg');
    expect(cfg?.rule).toBe('venv-scaffolding');
    expect(cfg?.verdict).toBe('real');
    expect(cfg?.messageId).toBe('interpreter');
    expect(cfg?.reason).toMatch(/3\.11.*3\.12|3\.12.*3\.11/);
  });

  it('not applicable: an activate script outside bin/', async () => {
    const f = await run({
      'flask-a': { 'share/activate': { from: examplePart('flask-a', 'bin/activate') } },
      'flask-b': { 'share/activate': { from: examplePart('flask-b', 'bin/activate') } },
    });
    expect(f.finding('share/activate')?.rule).not.toBe('venv-scaffolding');
  });
});
