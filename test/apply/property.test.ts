/**
 * Property: for random trees and random op lists (some with stale preconditions, odd names, modes,
 * symlinks, new files), apply followed by undo is the identity on the full snapshot (bytes, modes,
 * mtimes to the nanosecond, link targets). Fixed seed, bounded in time; STAGEFIX_FULL=1 runs longer.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyOps } from '../../src/apply/apply.js';
import { undo } from '../../src/apply/undo.js';
import { partName, relPath } from '../../src/model.js';
import type { FileOp } from '../../src/apply/ops.js';
import { expectAt, snapshot, tempDir } from './helpers/tree.js';

const FULL = process.env.STAGEFIX_FULL === '1';
let work: string;
let runs = 0;
beforeAll(async () => {
  work = await tempDir('prop');
});
afterAll(async () => {
  await fsp.rm(work, { recursive: true, force: true });
});

const name = fc.constantFrom('a', 'b.py', 'c d', "it's", 'x\ny', 'é', '__pycache__', '-n', '$HOME', 'back\\slash');
const relp = fc.array(name, { minLength: 1, maxLength: 3 }).map((s) => s.join('/'));
const entry = fc.record({
  path: relp,
  kind: fc.constantFrom('file', 'file', 'symlink'),
  bytes: fc.uint8Array({ maxLength: 300 }),
  mode: fc.constantFrom(0o644, 0o755, 0o600, 0o444),
  target: fc.constantFrom('a', '../b.py', '/etc/passwd', 'nowhere'),
});
const opSpec = fc.record({
  path: relp,
  kind: fc.constantFrom('write', 'remove', 'symlink'),
  bytes: fc.uint8Array({ maxLength: 300 }),
  mode: fc.option(fc.constantFrom(0o644, 0o700), { nil: undefined }),
  target: fc.constantFrom('a', 'c d/x', 'dangling'),
  stale: fc.boolean(),
});

async function build(root: string, entries: { path: string; kind: string; bytes: Uint8Array; mode: number; target: string }[]): Promise<void> {
  for (const e of entries) {
    const abs = join(root, e.path);
    try {
      await fsp.mkdir(join(abs, '..'), { recursive: true });
      if (e.kind === 'symlink') await fsp.symlink(e.target, abs);
      else {
        await fsp.writeFile(abs, e.bytes, { flag: 'wx' });
        await fsp.chmod(abs, e.mode);
      }
    } catch {
      // A path that collides with an earlier entry (a file where a dir is wanted): keep the first.
    }
  }
}

describe('property: apply then undo is the identity', () => {
  it('holds on random trees and random plans', async () => {
    let undone = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 12 }), fc.array(opSpec, { minLength: 1, maxLength: 10 }), async (entries, specs) => {
        const project = join(work, `r${runs++}`);
        const root = join(project, 'parts', 'p', 'install');
        await fsp.mkdir(root, { recursive: true });
        await build(root, entries);
        const ops: FileOp[] = [];
        for (const s of specs) {
          const e = await expectAt(join(root, s.path));
          const expect = s.stale ? (e.type === 'absent' ? ({ type: 'file', size: 1, digest: 'xxh64:0', mode: 0o644 } as const) : ({ type: 'absent' } as const)) : e;
          const base = { part: partName('p'), root, path: relPath(s.path), expect, why: 'prop' };
          if (s.kind === 'write') ops.push({ ...base, op: 'write', contents: s.bytes, ...(s.mode !== undefined ? { mode: s.mode } : {}) });
          else if (s.kind === 'remove') ops.push({ ...base, op: 'remove' });
          else ops.push({ ...base, op: 'symlink', target: s.target });
        }
        const stateDir = join(project, '.stagefix');
        const before = await snapshot(join(project, 'parts'));
        const res = await applyOps(ops, { stateDir, allowedRoots: [root] });
        // The only error a random tree can provoke: an op below a symlink the tree has where the
        // plan walks (refused, and the whole apply rolled back).
        for (const e of res.errors) expect(e.error).toMatch(/is a symlink \(stagefix never writes through/);
        if (res.errors.length > 0) expect(res.rolledBack).toBe(true);
        else expect(res.applied.length + res.skipped.length).toBe(ops.length);
        if (res.journalId !== null && res.errors.length === 0) {
          undone++;
          const u = await undo({ stateDir });
          expect(u.refused).toEqual([]);
        }
        expect(await snapshot(join(project, 'parts'))).toEqual(before);
        await fsp.rm(project, { recursive: true });
      }),
      { seed: 424242, numRuns: FULL ? 2000 : 150, interruptAfterTimeLimit: FULL ? 600_000 : 30_000 },
    );
    // Not vacuous: most runs changed the tree and were undone.
    expect(undone).toBeGreaterThan(runs / 3);
  }, 700_000);
});
