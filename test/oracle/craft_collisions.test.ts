/** The oracle itself on a two-part project built on disk: each verdict pins one rule of paths_collide. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pythonOrSkip, skipTitle } from '../helpers/python.js';
import { ORACLE } from '../scan/craft/disk.js';

const py = pythonOrSkip('3.12');
const root = mkdtempSync(join(tmpdir(), 'stagefix-oracle-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function part(name: string, files: Record<string, string>, links: Record<string, string> = {}): string {
  const dir = join(root, 'parts', name, 'install');
  for (const [p, body] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), body);
  }
  for (const [p, t] of Object.entries(links)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    symlinkSync(t, join(dir, p));
  }
  return dir;
}

describe.skipIf(!py)(skipTitle('oracle reports every colliding pair and path', '3.12', py), () => {
  it('applies each paths_collide rule', () => {
    const common = { 'same.txt': 'x', 'lib/pkgconfig/a.pc': 'prefix=/A\nName: a\n' };
    const a = part('a', { ...common, 'diff.txt': 'one', 'f-vs-link': 'x', 'perm': 'p' }, { link: 'x/', lnk2: 'a' });
    const b = part('b', { ...common, 'diff.txt': 'two', 'perm': 'p', 'lib/pkgconfig/a.pc': 'prefix=/B\nName: a\n' }, {
      'f-vs-link': 'same.txt',
      link: './x',
      lnk2: '../a',
    });
    const c = part('c', { 'diff.txt': 'three' });
    const parts = [
      { name: 'b', installDir: b, stage: null, permissions: [{ path: 'perm', mode: '755' }], after: [] },
      { name: 'a', installDir: a, permissions: [{ path: '*', mode: '644' }], after: [] },
      { name: 'c', installDir: c, stage: [], permissions: [], after: [] },
    ];
    const json = join(root, 'parts.json');
    writeFileSync(json, JSON.stringify(parts));
    const out = JSON.parse(execFileSync(py?.exe ?? '', [ORACLE, root, '--parts-json', json], { encoding: 'utf8' })) as unknown[];
    expect(out).toEqual([
      { earlier: 'a', later: 'b', path: 'diff.txt' }, // bytes differ
      { earlier: 'a', later: 'b', path: 'f-vs-link' }, // one side a symlink
      { earlier: 'a', later: 'b', path: 'lnk2' }, // `..` is kept
      { earlier: 'a', later: 'b', path: 'perm' }, // 644 vs 755 declared
      // not: same.txt (equal), a.pc (prefix only), link (x/ == ./x), c (stage: [] skips the check)
    ]);
  });
});
