/** The staged view: later part wins, and link resolution through parent links, loops and absolute targets. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StagedView } from '../../src/integrity/staged.js';
import { projectFromPartArgs } from '../../src/scan/project.js';
import type { Entry } from '../../src/model.js';
import { scan, type ScanResult } from '../../src/scan/scan.js';
import { makeTree } from '../helpers/tree.js';

describe('StagedView', () => {
  let dir: string;
  let view: StagedView;
  let result: ScanResult;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stagefix-staged-'));
    makeTree(join(dir, 'a'), {
      'shared.txt': { text: 'from a\n' },
      'usr/lib/real/file': { text: 'x\n' },
      lib: { symlink: 'usr/lib' },
      'bin/loop1': { symlink: 'loop2' },
      'bin/loop2': { symlink: 'loop1' },
    });
    makeTree(join(dir, 'b'), {
      'shared.txt': { text: 'from b\n' },
      'bin/through': { symlink: '../lib/real/file' },
      'bin/gone': { symlink: '../lib/real/nothing' },
      'bin/abs': { symlink: '/usr/bin/python3.12' },
      'bin/build': { symlink: '/root/parts/a/install/usr/lib/real/file' },
    });
    result = await scan(projectFromPartArgs([`a=${join(dir, 'a')}`, `b=${join(dir, 'b')}`], dir));
    view = new StagedView(result);
  });

  it('holds every staged path in the order parts first stage it, each with the last part’s entry', () => {
    const want = new Map<string, { part: string; entry: Entry }>();
    for (const p of result.parts) for (const path of p.staged) if (p.entries.has(path)) want.set(path, { part: p.spec.name, entry: p.entries.get(path) as Entry });
    expect([...view.entries()]).toEqual([...want]);
    // Shared paths come where part a put them, not after b's own.
    expect([...view.paths()].indexOf('shared.txt')).toBeLessThan([...view.paths()].indexOf('bin/through'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lets the later part win a shared path and lists every provider', () => {
    expect(view.get('shared.txt')?.part).toBe('b');
    expect(view.providers('shared.txt').map((p) => p.part)).toEqual(['a', 'b']);
    expect(view.children('bin').sort()).toEqual(['abs', 'build', 'gone', 'loop1', 'loop2', 'through']);
  });

  it('follows links in parent directories across parts', () => {
    expect(view.resolve('bin/through')).toMatchObject({ kind: 'stage', path: 'usr/lib/real/file', hops: ['../lib/real/file', 'usr/lib'] });
    expect(view.resolve('bin/build')).toMatchObject({ kind: 'stage', path: 'usr/lib/real/file' });
  });

  it('reports the missing component, loops and absolute targets', () => {
    expect(view.resolve('bin/gone')).toMatchObject({ kind: 'missing', path: 'usr/lib/real/nothing' });
    expect(view.resolve('bin/loop1').kind).toBe('loop');
    expect(view.resolve('bin/abs')).toMatchObject({ kind: 'outside', target: '/usr/bin/python3.12' });
  });
});
