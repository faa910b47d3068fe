/**
 * broken-link on venvs built with the plugin recipe: its relink step points `bin/python3` (3.11) or
 * `bin/python3.12` at the base's `/usr/bin/python3.X`, which only the right base provides.
 */
import { existsSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonOrSkip, skipTitle } from '../../helpers/python.js';
import { buildPart, materialiseStage, runOn, type IntegrityRun, type PartDef } from '../helpers.js';

const py = pythonOrSkip('3.11');
const py12 = pythonOrSkip('3.12');

describe.skipIf(!py || !py12)(skipTitle('broken-link', py ? '3.12' : '3.11', py && py12), () => {
  let v311 = '';
  let v312 = '';
  const runs: IntegrityRun[] = [];
  const run = async (parts: Record<string, PartDef>, base?: string): Promise<IntegrityRun> => {
    const r = await runOn(parts, base);
    runs.push(r);
    return r;
  };
  beforeAll(() => {
    if (!py || !py12) return;
    v311 = buildPart({ key: 'link-venv311', python: py, packages: [] });
    v312 = buildPart({ key: 'link-venv312', python: py12, packages: [], env: { PARTS_PYTHON_INTERPRETER: 'python3.12' } });
  });
  afterAll(() => runs.forEach((r) => r.cleanup()));

  it('flags bin/python3 → /usr/bin/python3.11 on core24 and core22 as real: those bases ship another Python', async () => {
    for (const [base, basePython] of [['core24', '3.12'], ['core22', '3.10']] as const) {
      const r = await run({ app: { from: v311 } }, base);
      expect(r.of('broken-link')).toMatchObject([
        { verdict: 'real', kind: 'environment', path: 'bin/python3', parts: ['app'], messageId: 'base', args: { target: '/usr/bin/python3.11', base, basePython } },
      ]);
    }
  });

  it('flags a link whose target another stage filter removed as real (dangling in the stage)', async () => {
    const r = await run({ app: { from: v311, stage: ['*', '-bin/python3.11'] } });
    const dangling = r.of('broken-link').filter((f) => f.messageId === 'dangling');
    expect(dangling).toMatchObject([{ verdict: 'real', path: 'bin/python', args: { target: 'python3.11', missing: 'bin/python3.11' } }]);
    // The same link in a real directory laid out like the stage: a symlink to nothing.
    const stage = materialiseStage(r, 'bin');
    expect(lstatSync(join(stage, 'bin/python')).isSymbolicLink()).toBe(true);
    expect(existsSync(join(stage, 'bin/python'))).toBe(false);
  });

  it('does not flag the 3.12 venv on core24 (not a finding): its chain ends at /usr/bin/python3.12', async () => {
    const r = await run({ app: { from: v312 } }, 'core24');
    expect(r.of('broken-link')).toEqual([]);
  });

  it('does not flag interpreter links when the base is not in the table (not a finding: undecided)', async () => {
    const r = await run({ app: { from: v311 } }, 'devel');
    expect(r.of('broken-link')).toEqual([]);
  });
});
