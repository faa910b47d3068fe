/**
 * The scanner must find exactly the (pair, path) collisions craft-parts' own rules give, for every pair:
 * compared with test/oracle/craft_collisions.py, an independent Python re-implementation of
 * craft-parts' check that runs the real pathlib/filecmp/fnmatch (and reports every pair instead of
 * stopping at the first).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyse } from '../../src/run.js';
import { loadProject } from '../../src/scan/project.js';
import type { Project } from '../../src/model.js';
import { EXAMPLE, makeTree } from '../helpers/tree.js';
import { pythonOrSkip, skipTitle } from '../helpers/python.js';

const ORACLE = join(import.meta.dirname, '..', 'oracle', 'craft_collisions.py');
// snapcraft 8 on core24 runs on Python 3.12; the oracle follows the running interpreter's pathlib.
const py = pythonOrSkip('3.12');

type Row = { earlier: string; later: string; path: string };

function oracle(project: Project): Row[] {
  const dir = mkdtempSync(join(tmpdir(), 'stagefix-oracle-'));
  try {
    const parts = project.parts.map((p) => ({ name: p.name, installDir: p.installDir, stage: p.stage ?? ['*'], permissions: p.permissions, after: p.after }));
    writeFileSync(join(dir, 'parts.json'), JSON.stringify(parts));
    const out = execFileSync((py as { exe: string }).exe, [ORACLE, project.root, '--parts-json', join(dir, 'parts.json')], { encoding: 'utf8', maxBuffer: 1 << 28 });
    return JSON.parse(out) as Row[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function ours(project: Project): Promise<Row[]> {
  const { scan } = await analyse(project);
  const rows: Row[] = [];
  for (const c of scan.collisions) for (const p of c.pairs) rows.push({ earlier: p.parts[0], later: p.parts[1], path: c.path });
  return rows;
}

const key = (r: Row): string => `${r.earlier}\0${r.later}\0${r.path}`;

describe.skipIf(!py)(skipTitle('collisions equal the craft-parts oracle', '3.12', py), () => {
  it('on the bundled example (five real plugin-built parts)', async () => {
    const project = loadProject(EXAMPLE);
    const expected = oracle(project).map(key).sort();
    const actual = (await ours(project)).map(key).sort();
    expect(expected.length).toBeGreaterThan(50);
    expect(actual).toEqual(expected);
  });

  it('with stage filters, organised dirs, links, specials, .pc files and permissions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stagefix-oracle-mix-'));
    try {
      writeFileSync(
        join(dir, 'snapcraft.yaml'),
        [
          'name: mix',
          'parts:',
          '  a:',
          '    plugin: nil',
          '    stage: ["*", "-share/doc", "-**/*.a"]',
          '    permissions: [{path: "bin/*", mode: "755"}]',
          '  b:',
          '    plugin: nil',
          '    after: [c]',
          '    permissions: [{path: "bin/*", mode: "700"}]',
          '  c:',
          '    plugin: nil',
          '    stage: [lib, bin/tool, .hidden]',
          '',
        ].join('\n'),
      );
      const common = {
        'bin/tool': { text: '#!/bin/sh\necho same\n' },
        'lib/libx.a': { text: 'archive-a' },
        'lib/pkgconfig/x.pc': { text: 'prefix=/root/parts/P/install\nlibdir=${prefix}/lib\n' },
        'share/doc/README': { text: 'doc' },
        '.hidden/file': { text: 'h' },
        'lib64': { symlink: 'lib' },
      };
      makeTree(join(dir, 'parts/a/install'), { ...common, 'lib/libx.a': { text: 'archive-A' }, 'lib/pkgconfig/x.pc': { text: 'prefix=/a\nlibdir=${prefix}/lib\nextra\n' }, 'etc/conf': { symlink: './real' } });
      makeTree(join(dir, 'parts/b/install'), { ...common, 'share/doc/README': { text: 'other doc' }, 'etc/conf': { symlink: 'real/' }, 'lib/y': { dir: true } });
      makeTree(join(dir, 'parts/c/install'), { ...common, '.hidden/file': { text: 'H' }, 'lib/y': { text: 'file, not dir' }, 'bin/tool': { symlink: '/usr/bin/tool' } });
      const project = loadProject(dir);
      const expected = oracle(project).map(key).sort();
      const actual = (await ours(project)).map(key).sort();
      expect(expected.length).toBeGreaterThan(0);
      expect(actual).toEqual(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
