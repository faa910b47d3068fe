import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { examplePart, treeRunner } from '../../helpers/tree.js';
import { analyse } from '../../../src/run.js';
import { projectFromPartArgs } from '../../../src/scan/project.js';

const run = treeRunner(afterAll);

describe('file-type', () => {
  it('real: a symlink in one part and a regular file in the other', async () => {
    const f = await run({ a: { 'bin/tool': { symlink: 'tool.real' }, 'bin/tool.real': { text: 'x' } }, b: { 'bin/tool': { from: examplePart('flask-a', 'bin/flask') } } });
    const finding = f.finding('bin/tool');
    expect(finding?.rule).toBe('file-type');
    expect(finding?.verdict).toBe('real');
    expect(finding?.kind).toBe('type');
    expect(finding?.reason).toBe('symlink in a but file in b');
  });

  it('real: fifos collide even with their twin (craft-parts compares them as never equal)', async () => {
    const f = await run({ a: { d: { dir: true } }, b: { d: { dir: true } } });
    execFileSync('mkfifo', [join(f.dir, 'parts/a/install/d/pipe'), join(f.dir, 'parts/b/install/d/pipe')]);
    const again = await analyse(projectFromPartArgs([`a=${join(f.dir, 'parts/a/install')}`, `b=${join(f.dir, 'parts/b/install')}`], f.dir));
    const finding = again.report.findings.find((x) => x.path === 'd/pipe');
    expect(finding?.rule).toBe('file-type');
    expect(finding?.messageId).toBe('special');
  });

  it('benign/not applicable: same-type entries are never this rule\'s, and equal dirs do not collide', async () => {
    const f = await run({ a: { d: { dir: true }, x: { text: 'same' } }, b: { d: { dir: true }, x: { text: 'same' } } });
    expect(f.analysis.report.findings).toEqual([]);
  });
});
