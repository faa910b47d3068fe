/**
 * usrmerge: a venv made by the real `venv` module (real `bin/` and `lib/` directories) staged with a
 * part laid out /usr-merged (`bin -> usr/bin`, `lib -> usr/lib`, links made at test time).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonOrSkip, skipTitle } from '../../helpers/python.js';
import { runOn, type IntegrityRun, type PartDef } from '../helpers.js';

const py = pythonOrSkip('3.11');

const merged: PartDef = {
  tree: { bin: { symlink: 'usr/bin' }, lib: { symlink: 'usr/lib' }, 'usr/bin/tool': { text: '#!/bin/sh\n', mode: 0o755 }, 'usr/lib/libtool.txt': { text: 'x\n' } },
};

describe.skipIf(!py)(skipTitle('usrmerge', '3.11', py), () => {
  let venv = '';
  const runs: IntegrityRun[] = [];
  const run = async (parts: Record<string, PartDef>): Promise<IntegrityRun> => {
    const r = await runOn(parts);
    runs.push(r);
    return r;
  };
  beforeAll(() => {
    if (!py) return;
    venv = join(mkdtempSync(join(tmpdir(), 'stagefix-usrmerge-')), 'venv');
    execFileSync(py.exe, ['-m', 'venv', '--without-pip', venv]);
  });
  afterAll(() => runs.forEach((r) => r.cleanup()));

  it('flags bin and lib as directories in one part and /usr-merge links in another as real, with an organize fix', async () => {
    const r = await run({ app: { from: venv }, runtime: merged });
    const f = r.of('usrmerge');
    expect(f).toMatchObject([
      { verdict: 'real', kind: 'environment', path: 'bin', parts: ['app', 'runtime'], args: { dirParts: 'app', linkParts: 'runtime', target: 'usr/bin' } },
      { verdict: 'real', path: 'lib', args: { target: 'usr/lib' } },
    ]);
    expect(f[0]?.evidence.suggestion).toEqual({ parts: ['app'], organize: { 'bin/*': 'usr/bin/' } });
    expect(f[0]?.reason).toContain('organize: {"bin/*": "usr/bin/"}');
    // craft-parts itself refuses the pair at these paths (a type collision).
    const collided = r.analysis.scan.collisions.filter((c) => c.path === 'bin' || c.path === 'lib');
    expect(collided.map((c) => c.pairs[0]?.kind)).toEqual(['type', 'type']);
  });

  it('does not flag two parts that agree on the layout (not a finding)', async () => {
    const dirs = await run({ a: { from: venv }, b: { from: venv } });
    expect(dirs.of('usrmerge')).toEqual([]);
    const links = await run({ a: merged, b: merged });
    expect(links.of('usrmerge')).toEqual([]);
  });
});
