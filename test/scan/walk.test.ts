import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FsError } from '../../src/errors.js';
import { partName } from '../../src/model.js';
import { walkPartSync } from '../../src/scan/walk.js';

const root = mkdtempSync(join(tmpdir(), 'stagefix-walk-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const P = partName('p');

describe('walk', () => {
  it('lists every entry once, parents before children, each level sorted, links unfollowed', async () => {
    const d = join(root, 't1');
    mkdirSync(join(d, 'b/z'), { recursive: true });
    mkdirSync(join(d, 'a'), { recursive: true });
    writeFileSync(join(d, 'b/z/deep'), 'deep');
    writeFileSync(join(d, 'a/f'), 'abc');
    chmodSync(join(d, 'a/f'), 0o4755);
    symlinkSync('../b', join(d, 'a/up'));
    symlinkSync('/nonexistent/target', join(d, 'dangling'));
    const w = walkPartSync(P, d);
    expect([...w.entries.keys()]).toEqual(['a', 'b', 'dangling', 'a/f', 'a/up', 'b/z', 'b/z/deep']);
    const f = w.entries.get('a/f');
    const st = statSync(join(d, 'a/f'), { bigint: true });
    expect(f).toEqual({ type: 'file', size: 3, mode: 0o4755, dev: st.dev, ino: st.ino, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs });
    expect(w.entries.get('a/up')).toMatchObject({ type: 'symlink', linkTarget: '../b' });
    expect(w.entries.get('dangling')).toMatchObject({ type: 'symlink', linkTarget: '/nonexistent/target' });
    expect(w.warnings).toEqual([]);
  });

  it('refuses a missing install dir, a file and a symlink as the install dir', () => {
    const d = join(root, 't2');
    mkdirSync(d);
    writeFileSync(join(d, 'file'), '');
    symlinkSync(d, join(root, 't2-link'));
    for (const bad of [join(d, 'missing'), join(d, 'file'), join(root, 't2-link')]) {
      expect(() => walkPartSync(P, bad)).toThrow(FsError);
    }
  });

  it('an unreadable directory is a warning, not an aborted walk', () => {
    if (process.getuid?.() === 0) {
      // root reads mode-000 directories anyway; the warning path is then unreachable from a test.
      const d = join(root, 't3');
      mkdirSync(join(d, 'locked'), { recursive: true });
      chmodSync(join(d, 'locked'), 0);
      expect(walkPartSync(P, d).entries.has('locked')).toBe(true);
      chmodSync(join(d, 'locked'), 0o755);
      return;
    }
    const d = join(root, 't3');
    mkdirSync(join(d, 'locked'), { recursive: true });
    writeFileSync(join(d, 'ok'), '');
    chmodSync(join(d, 'locked'), 0);
    const w = walkPartSync(P, d);
    chmodSync(join(d, 'locked'), 0o755);
    expect([...w.entries.keys()]).toEqual(['locked', 'ok']);
    expect(w.warnings.map((x) => [x.code, x.path])).toEqual([['unreadable', 'locked']]);
  });
});
