/**
 * I/O faults in the middle of an apply: the apply stops, rolls back what it did, reports the error,
 * and the tree is as before. Faults are injected (ENOSPC mid-file through the step hook) and real
 * where this machine allows: a full 200 KiB tmpfs, and a directory made immutable with `chattr +i`
 * (root ignores mode 0555, so a read-only mode alone would not bite).
 */
import { promises as fsp } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyOps } from '../../src/apply/apply.js';
import { setStepHook } from '../../src/apply/faults.js';
import { readJournal } from '../../src/apply/journal.js';
import { partName, relPath } from '../../src/model.js';
import type { FileOp } from '../../src/apply/ops.js';
import { expectAt, makePlan, makeProject, snapshot, tempDir, PY_LIB, SITE } from './helpers/tree.js';

let project: string;
let roots: string[];
let stateDir: string;
beforeEach(async () => {
  project = await tempDir('faults');
  ({ roots, stateDir } = await makeProject(project));
});
afterEach(async () => {
  setStepHook(undefined);
  await fsp.rm(project, { recursive: true, force: true });
});

const isRoot = process.getuid?.() === 0;

/** Can this machine make a directory immutable? (root, chattr, and a file system that supports it) */
function chattrWorks(dir: string): boolean {
  if (!isRoot) return false;
  const probe = join(dir, 'chattr-probe');
  execFileSync('mkdir', ['-p', probe]);
  const ok = spawnSync('chattr', ['+i', probe]).status === 0;
  if (ok) spawnSync('chattr', ['-i', probe]);
  execFileSync('rmdir', [probe]);
  return ok;
}

describe('faults during apply', () => {
  it('ENOSPC injected in the middle of writing a file late in a 30-op plan: everything rolled back, error reported', async () => {
    const ops = await makePlan(roots, 30, 9);
    const writes = ops.flatMap((o, i) => (o.op === 'write' && o.contents.length > 0 && i > 10 ? [i] : []));
    const victim = writes[0] ?? -1;
    expect(victim).toBeGreaterThan(10);
    const before = await snapshot(join(project, 'parts'));
    setStepHook((kind, n) => {
      if (kind === 'chunk' && n === victim) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    });
    const res = await applyOps(ops, { stateDir, allowedRoots: roots });
    expect(res.errors.map((e) => [e.op, e.code])).toEqual([[ops[victim], 'ENOSPC']]);
    expect(res.rolledBack).toBe(true);
    expect(res.applied).toEqual([]);
    expect(await snapshot(join(project, 'parts'))).toEqual(before);
    expect((await readJournal(stateDir, res.journalId ?? '')).status).toBe('rolled-back');
  });

  it.runIf(isRoot)('a real ENOSPC on a full 200 KiB tmpfs: rolled back, tree as before (root only: needs mount)', async (ctx) => {
    const mnt = await tempDir('tmpfs');
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=200k', 'tmpfs', mnt]).status === 0;
    if (!mounted) {
      await fsp.rmdir(mnt);
      ctx.skip('tmpfs mount refused here; the real-ENOSPC case did not run');
      return;
    }
    try {
      const root = join(mnt, 'parts', 'a', 'install');
      await fsp.mkdir(join(root, SITE), { recursive: true });
      for (const f of ['this.py', '__hello__.py', 'keyword.py']) await fsp.copyFile(join(PY_LIB, f), join(root, SITE, f));
      const at = async (p: string): Promise<FileOp['expect']> => expectAt(join(root, p));
      const ops: FileOp[] = [
        { op: 'write', part: partName('a'), root, path: relPath(`${SITE}/this.py`), contents: await fsp.readFile(join(PY_LIB, 'keyword.py')), expect: await at(`${SITE}/this.py`), why: 't' },
        { op: 'remove', part: partName('a'), root, path: relPath(`${SITE}/__hello__.py`), expect: await at(`${SITE}/__hello__.py`), why: 't' },
        { op: 'write', part: partName('a'), root, path: relPath(`${SITE}/big.bin`), contents: new Uint8Array(400 * 1024).fill(7), expect: { type: 'absent' }, why: 't' },
      ];
      const before = await snapshot(root);
      const res = await applyOps(ops, { stateDir: join(mnt, '.stagefix'), allowedRoots: [root] });
      expect(res.errors.map((e) => e.code)).toEqual(['ENOSPC']);
      expect(res.rolledBack).toBe(true);
      expect(await snapshot(root)).toEqual(before);
    } finally {
      spawnSync('umount', [mnt]);
      await fsp.rmdir(mnt);
    }
  });

  it('a directory that refuses writes (chattr +i as root, mode 0555 otherwise): clear error, nothing changed', async () => {
    const ops = await makePlan(roots, 12, 4);
    // Freeze a directory first touched by a later op, so that earlier ops succeed and must be rolled back.
    const dirOf = (o: FileOp): string => dirname(join(o.root, o.path));
    const frozenIndex = ops.findIndex((o, i) => i >= 3 && ops.findIndex((p) => dirOf(p) === dirOf(o)) === i);
    const frozenOp = ops[frozenIndex];
    if (frozenOp === undefined) throw new Error('no op in a fresh directory');
    const frozen = dirOf(frozenOp);
    const before = await snapshot(join(project, 'parts'));
    const immutable = chattrWorks(project);
    if (immutable) execFileSync('chattr', ['+i', frozen]);
    else await fsp.chmod(frozen, 0o555);
    let res;
    try {
      res = await applyOps(ops, { stateDir, allowedRoots: roots });
    } finally {
      if (immutable) execFileSync('chattr', ['-i', frozen]);
      else await fsp.chmod(frozen, 0o755);
    }
    expect(res.errors).toHaveLength(1);
    expect(res.errors[0]?.code).toMatch(immutable ? /^EPERM$/ : /^EACCES$/);
    expect(res.errors[0]?.op).toBe(frozenOp);
    expect(res.rolledBack).toBe(true);
    // The frozen directory's own mode was put back by us, so the whole snapshot compares.
    expect(await snapshot(join(project, 'parts'))).toEqual(before);
  });
});
