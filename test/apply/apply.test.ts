import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyOps } from '../../src/apply/apply.js';
import { undo } from '../../src/apply/undo.js';
import { readJournal } from '../../src/apply/journal.js';
import { relPath, partName } from '../../src/model.js';
import { expectAt, makePlan, makeProject, snapshot, tempDir, SITE } from './helpers/tree.js';

let project: string;
let roots: string[];
let stateDir: string;
beforeEach(async () => {
  project = await tempDir('apply');
  ({ roots, stateDir } = await makeProject(project));
});
afterEach(async () => {
  await fsp.rm(project, { recursive: true, force: true });
});

const parts = (): string => join(project, 'parts');

describe('applyOps', () => {
  it('does every op of a mixed plan, and undo restores the tree byte for byte (modes, mtimes, links)', async () => {
    const before = await snapshot(parts());
    const ops = await makePlan(roots, 30, 7);
    expect(new Set(ops.map((o) => o.op))).toEqual(new Set(['write', 'remove', 'symlink']));
    const res = await applyOps(ops, { stateDir, allowedRoots: roots });
    expect(res.errors).toEqual([]);
    expect(res.skipped).toEqual([]);
    expect(res.applied).toHaveLength(30);
    for (const op of ops) {
      const abs = join(op.root, op.path);
      if (op.op === 'remove') await expect(fsp.lstat(abs)).rejects.toThrow(/ENOENT/);
      else if (op.op === 'symlink') expect(await fsp.readlink(abs)).toBe(op.target);
      else {
        expect(Buffer.compare(await fsp.readFile(abs), Buffer.from(op.contents))).toBe(0);
        const want = op.mode ?? (op.expect.type === 'file' ? op.expect.mode : 0o644);
        expect((await fsp.lstat(abs)).mode & 0o7777).toBe(want);
      }
    }
    // As root, a replacement keeps the owner of what it replaced (part b belongs to uid 1234).
    if (process.getuid?.() === 0) {
      const inB = ops.filter((o) => o.op !== 'remove' && o.expect.type !== 'absent' && o.root === roots[1]);
      expect(inB.length).toBeGreaterThan(0);
      for (const o of inB) expect((await fsp.lstat(join(o.root, o.path))).uid, o.path).toBe(1234);
    }
    // No temp file is left beside any target.
    expect(Object.keys(await snapshot(parts())).filter((k) => k.includes('.stagefix-'))).toEqual([]);
    expect((await readJournal(stateDir, res.journalId ?? '')).status).toBe('committed');

    const u = await undo({ stateDir });
    expect(u.refused).toEqual([]);
    expect(u.complete).toBe(true);
    expect(await snapshot(parts())).toEqual(before);
    expect((await readJournal(stateDir, res.journalId ?? '')).status).toBe('undone');
    await expect(undo({ stateDir })).rejects.toThrow(/nothing to undo/);
  });

  it('gives a written file the current time, and undo gives back the old mtime to the nanosecond', async () => {
    const root = roots[0] ?? '';
    const path = relPath(`${SITE}/json/__pycache__/decoder.cpython-311.pyc`);
    const abs = join(root, path);
    const oldNs = (await fsp.lstat(abs, { bigint: true })).mtimeNs;
    const t0 = BigInt(Date.now() - 1000) * 1_000_000n;
    const res = await applyOps(
      [{ op: 'write', part: partName('a'), root, path, contents: Buffer.from('new'), expect: await expectAt(abs), why: 't' }],
      { stateDir, allowedRoots: roots },
    );
    expect(res.applied).toHaveLength(1);
    expect((await fsp.lstat(abs, { bigint: true })).mtimeNs).toBeGreaterThan(t0);
    await undo({ stateDir });
    expect((await fsp.lstat(abs, { bigint: true })).mtimeNs).toBe(oldNs);
  });

  it('skips ops whose file changed since the scan, reports why, and applies the rest', async () => {
    const ops = await makePlan(roots, 12, 3);
    const changed = ops.filter((o) => o.expect.type === 'file').slice(0, 2);
    expect(changed).toHaveLength(2);
    const [c0, c1] = changed;
    if (c0 === undefined || c1 === undefined) throw new Error('plan too small');
    await fsp.appendFile(join(c0.root, c0.path), 'x'); // size differs
    const p1 = join(c1.root, c1.path);
    const b = await fsp.readFile(p1);
    b[0] = (b[0] ?? 0) ^ 0xff; // same size, other contents
    await fsp.writeFile(p1, b);
    const before = await snapshot(parts());
    const res = await applyOps(ops, { stateDir, allowedRoots: roots });
    expect(res.errors).toEqual([]);
    expect(res.skipped.map((s) => [s.op, s.reason])).toEqual([
      [c0, 'changed'],
      [c1, 'changed'],
    ]);
    expect(res.skipped[0]?.detail).toMatch(/^size is/);
    expect(res.skipped[1]?.detail).toMatch(/^contents changed/);
    expect(res.applied).toHaveLength(10);
    // The skipped files are untouched.
    const after = await snapshot(parts());
    for (const c of changed) {
      const k = `${c.root.split('/').at(-2)}/install/${c.path}`;
      expect(after[k]).toEqual(before[k]);
    }
    await undo({ stateDir });
    expect(await snapshot(parts())).toEqual(before);
  });

  it('a dry run reports what would happen and writes nothing, not even the state dir', async () => {
    const ops = await makePlan(roots, 10, 11);
    const first = ops[0];
    if (first?.expect.type !== 'file' && first?.expect.type !== 'symlink') throw new Error('plan starts with a create');
    await fsp.rm(join(first.root, first.path));
    const before = await snapshot(project);
    const res = await applyOps(ops, { stateDir, allowedRoots: roots, dryRun: true });
    expect(res.journalId).toBeNull();
    expect(res.skipped.map((s) => s.op)).toEqual([first]);
    expect(res.applied).toHaveLength(9);
    expect(await snapshot(project)).toEqual(before);
  });

  it('undo refuses an entry a user changed since apply; --force restores it and keeps the user version', async () => {
    const before = await snapshot(parts());
    const ops = (await makePlan(roots, 10, 5)).filter((o) => o.op === 'write');
    const res = await applyOps(ops, { stateDir, allowedRoots: roots });
    expect(res.applied.length).toBeGreaterThan(1);
    const touched = ops[0];
    if (touched === undefined) throw new Error('no write');
    const abs = join(touched.root, touched.path);
    await fsp.writeFile(abs, 'user edit');
    const u1 = await undo({ stateDir });
    expect(u1.complete).toBe(false);
    expect(u1.refused.map((r) => r.path)).toEqual([touched.path]);
    expect(u1.refused[0]?.reason).toMatch(/changed since apply.*--force/);
    expect(await fsp.readFile(abs, 'utf8')).toBe('user edit');
    // The other entries are back already; a forced second undo finishes the job.
    const u2 = await undo({ stateDir, force: true });
    expect(u2.complete).toBe(true);
    expect(u2.restored.map((r) => [r.path, r.how])).toEqual([[touched.path, 'forced']]);
    expect(await snapshot(parts())).toEqual(before);
    const displaced = join(stateDir, 'journals', res.journalId ?? '', 'displaced');
    const kept = await fsp.readdir(displaced);
    expect(kept).toHaveLength(1);
    expect(await fsp.readFile(join(displaced, kept[0] ?? ''), 'utf8')).toBe('user edit');
  });

  it('skips an op that is already in the wanted state without journaling it', async () => {
    const root = roots[0] ?? '';
    const path = relPath(`${SITE}/json/alias.py`);
    const res = await applyOps([{ op: 'symlink', part: partName('a'), root, path, target: 'decoder.py', expect: { type: 'symlink', target: 'decoder.py' }, why: 't' }], {
      stateDir,
      allowedRoots: roots,
    });
    expect(res.skipped.map((s) => s.reason)).toEqual(['already-done']);
    expect(res.journalId).toBeNull();
  });
});
