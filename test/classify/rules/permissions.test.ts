import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyse } from '../../../src/run.js';
import { loadProject } from '../../../src/scan/project.js';
import { examplePart, makeTree } from '../../helpers/tree.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function project(permsA: string, permsB: string) {
  const dir = mkdtempSync(join(tmpdir(), 'stagefix-perm-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'snapcraft.yaml'), `name: p\nparts:\n  a:\n    plugin: nil\n${permsA}\n  b:\n    plugin: nil\n${permsB}\n`);
  for (const p of ['a', 'b']) makeTree(join(dir, 'parts', p, 'install'), { 'bin/flask': { from: examplePart('flask-a', 'bin/flask') } });
  return (await analyse(loadProject(dir))).report;
}

describe('permissions', () => {
  it('real: identical files with incompatible declared modes', async () => {
    const report = await project('    permissions:\n      - path: bin/*\n        mode: "755"', '    permissions:\n      - path: bin/*\n        mode: "700"');
    const finding = report.findings.find((f) => f.path === 'bin/flask');
    expect(finding?.rule).toBe('permissions');
    expect(finding?.kind).toBe('permissions');
    expect(finding?.verdict).toBe('real');
  });

  it('benign/not applicable: compatible or absent declarations are no collision', async () => {
    const same = '    permissions:\n      - path: bin/*\n        mode: "755"';
    expect((await project(same, same)).findings).toEqual([]);
    expect((await project(same, '')).findings).toEqual([]);
  });
});
