/**
 * A state dir on another file system than the install dirs: link(2) and rename(2) into the backup
 * store fail with EXDEV, so apply keeps fsync'd copies instead and undo copies them back. Contents,
 * modes, owners and link targets come back exactly; mtimes to within a microsecond (utimes takes
 * seconds as a double). Needs a tmpfs mount (root); skipped with the reason otherwise.
 */
import { promises as fsp } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyOps } from '../../src/apply/apply.js';
import { undo } from '../../src/apply/undo.js';
import { partName, relPath } from '../../src/model.js';
import { expectAt, makePlan, makeProject, snapshot, tempDir, SITE, type SnapEntry } from './helpers/tree.js';

let project: string;
let mnt: string;
let mounted = false;
beforeEach(async () => {
  project = await tempDir('xdev');
  mnt = await tempDir('xdev-state');
  mounted = process.getuid?.() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mnt]).status === 0;
});
afterEach(async () => {
  if (mounted) spawnSync('umount', [mnt]);
  await fsp.rm(mnt, { recursive: true, force: true });
  await fsp.rm(project, { recursive: true, force: true });
});

const toMicros = (s: Record<string, SnapEntry>): Record<string, SnapEntry> =>
  Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.mtimeNs === undefined ? v : { ...v, mtimeNs: (BigInt(v.mtimeNs) / 1000n).toString() }]));

describe('state dir on another file system', () => {
  it('apply keeps copies, undo restores them (mtimes to the microsecond)', async (ctx) => {
    if (!mounted) ctx.skip('needs root to mount a tmpfs for the state dir');
    const { roots } = await makeProject(project);
    const stateDir = join(mnt, '.stagefix');
    const before = await snapshot(join(project, 'parts'));
    const ops = await makePlan(roots, 30, 21);
    // Cover the path without a backup inode: symlinks (owned by uid 1234 as root) replaced and removed.
    const b = roots[1] ?? '';
    for (const [i, name] of ['alias.py', 'dangling'].entries()) {
      const path = relPath(`${SITE}/json/${name}`);
      if (ops.some((o) => o.root === b && o.path === path)) continue;
      const expect = await expectAt(join(b, path));
      ops.push(i === 0 ? { op: 'symlink', part: partName('b'), root: b, path, target: 'elsewhere', expect, why: 't' } : { op: 'remove', part: partName('b'), root: b, path, expect, why: 't' });
    }
    expect(ops.filter((o) => o.root === b && o.expect.type === 'symlink').length).toBeGreaterThanOrEqual(2);
    const res = await applyOps(ops, { stateDir, allowedRoots: roots });
    expect(res.errors).toEqual([]);
    expect(res.applied).toHaveLength(ops.length);
    const backups = await fsp.readdir(join(stateDir, 'journals', res.journalId ?? '', 'backup'));
    expect(backups.length).toBeGreaterThan(0);
    const u = await undo({ stateDir });
    expect(u.refused).toEqual([]);
    const after = await snapshot(join(project, 'parts'));
    // Within a microsecond: compare at µs after allowing a 1 µs rounding either way.
    for (const [k, v] of Object.entries(after)) {
      const b = before[k];
      if (v.mtimeNs !== undefined && b?.mtimeNs !== undefined) {
        const d = BigInt(v.mtimeNs) - BigInt(b.mtimeNs);
        expect(d < 0n ? -d : d, k).toBeLessThanOrEqual(1000n);
        v.mtimeNs = b.mtimeNs;
      }
    }
    expect(toMicros(after)).toEqual(toMicros(before));
  });
});
