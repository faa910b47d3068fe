/**
 * Crash safety: a child process applies a 30-op plan and SIGKILLs itself at a chosen step (every step
 * kind: backup link, journal record, temp file, rename, done record, and restores during undo). After
 * each kill, on one copy `undo` must give back the original tree exactly; on another, a re-run of
 * apply must recover and then do every op, and a later undo must again give back the original.
 * Default: 21 kill points from a fixed seed (3 per step kind). STAGEFIX_FULL=1: every step of every
 * kind (about 200 points, 10 minutes).
 */
import { promises as fsp } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyOps } from '../../src/apply/apply.js';
import { undo } from '../../src/apply/undo.js';
import { setStepHook, type StepKind } from '../../src/apply/faults.js';
import { readJournal, listJournals } from '../../src/apply/journal.js';
import type { FileOp } from '../../src/apply/ops.js';
import { makePlan, makeProject, rng, snapshot, tempDir, withoutTimes, type SnapEntry } from './helpers/tree.js';
import { stringifyPlan } from './helpers/plan-file.js';

const SEED = 20240611;
const OPS = 30;
const FULL = process.env.STAGEFIX_FULL === '1';
const KINDS: StepKind[] = ['backup', 'journal', 'chunk', 'temp', 'rename', 'done', 'restore'];

let work: string;
let driver: string;
let counts: Map<StepKind, number>;
let afterApply: Record<string, SnapEntry>;

interface Copy {
  project: string;
  parts: string;
  roots: string[];
  stateDir: string;
  ops: FileOp[];
  planFile: string;
}

let copies = 0;
async function freshCopy(): Promise<Copy> {
  const project = join(work, `p${copies++}`);
  const { roots, stateDir } = await makeProject(project);
  const ops = await makePlan(roots, OPS, SEED);
  const planFile = join(project, 'plan.json');
  await fsp.writeFile(planFile, stringifyPlan({ ops, stateDir, roots }));
  return { project, parts: join(project, 'parts'), roots, stateDir, ops, planFile };
}

function runDriver(c: Copy, kind: StepKind, nth: number): ReturnType<typeof spawnSync> {
  return spawnSync(process.execPath, [driver, c.planFile, kind === 'restore' ? 'apply-undo' : 'apply'], {
    env: { ...process.env, STAGEFIX_TEST_KILL_KIND: kind, STAGEFIX_TEST_KILL_NTH: String(nth) },
    encoding: 'utf8',
  });
}

const tempFiles = (s: Record<string, SnapEntry>): string[] => Object.keys(s).filter((k) => k.includes('.stagefix-'));

beforeAll(async () => {
  work = await tempDir('crash');
  driver = join(work, 'driver.mjs');
  // One bundle, so each child starts in milliseconds instead of going through tsx.
  await build({ entryPoints: [join(import.meta.dirname, 'helpers', 'crash-driver.ts')], bundle: true, platform: 'node', format: 'esm', outfile: driver, logLevel: 'error' });
  // Count the steps of each kind in an uninterrupted apply + undo, and keep the applied tree.
  const c = await freshCopy();
  counts = new Map();
  setStepHook((k) => counts.set(k, (counts.get(k) ?? 0) + 1));
  try {
    const res = await applyOps(c.ops, { stateDir: c.stateDir, allowedRoots: c.roots });
    expect(res.applied).toHaveLength(OPS);
    afterApply = withoutTimes(await snapshot(c.parts));
    await undo({ stateDir: c.stateDir });
  } finally {
    setStepHook(undefined);
  }
}, 120_000);

afterAll(async () => {
  await fsp.rm(work, { recursive: true, force: true });
});

function killPoints(): [StepKind, number][] {
  if (FULL) return KINDS.flatMap((k) => Array.from({ length: counts.get(k) ?? 0 }, (_, i): [StepKind, number] => [k, i + 1]));
  const r = rng(SEED);
  const out: [StepKind, number][] = [];
  for (let i = 0; i < 3 * KINDS.length; i++) {
    const k = KINDS[i % KINDS.length] ?? 'rename';
    // First and last occurrences are the edges most likely to be wrong; the rest random.
    const total = counts.get(k) ?? 1;
    out.push([k, i < KINDS.length ? 1 : i < 2 * KINDS.length ? total : 1 + Math.floor(r() * total)]);
  }
  return out;
}

describe('crash safety under SIGKILL', () => {
  it('every step kind occurs in the plan', () => {
    for (const k of KINDS) expect(counts.get(k) ?? 0, k).toBeGreaterThan(0);
  });

  it('after a kill at any step: undo restores the tree exactly; a re-run recovers, completes, and undoes', async () => {
    const points = killPoints();
    expect(points.length).toBeGreaterThanOrEqual(20);
    for (const [kind, nth] of points) {
      const label = `${kind} #${nth}`;
      // (a) kill, then undo.
      const a = await freshCopy();
      const beforeA = await snapshot(a.parts);
      const ra = runDriver(a, kind, nth);
      expect(ra.signal, `${label}: ${String(ra.stderr)}`).toBe('SIGKILL');
      const ua = await undo({ stateDir: a.stateDir });
      expect(ua.refused, label).toEqual([]);
      const afterA = await snapshot(a.parts);
      expect(tempFiles(afterA), label).toEqual([]);
      expect(afterA, label).toEqual(beforeA);

      // (b) kill, then apply again: it rolls back the interrupted journal and does the whole plan.
      const b = await freshCopy();
      const beforeB = await snapshot(b.parts);
      const rb = runDriver(b, kind, nth);
      expect(rb.signal, label).toBe('SIGKILL');
      const res = await applyOps(b.ops, { stateDir: b.stateDir, allowedRoots: b.roots });
      expect(res.errors, label).toEqual([]);
      if (kind === 'restore') {
        // The killed undo was of a committed apply: nothing to recover, the tree is partly restored
        // and the re-run skips ops whose files are still in their applied state.
        expect(res.recovered, label).toEqual([]);
      } else {
        expect(res.recovered.map((r) => r.complete), label).toEqual([true]);
        expect(res.applied, label).toHaveLength(OPS);
        expect(withoutTimes(await snapshot(b.parts)), label).toEqual(afterApply);
      }
      const ids = await listJournals(b.stateDir);
      const statuses = await Promise.all(ids.map(async (id) => (await readJournal(b.stateDir, id)).status));
      expect(statuses.filter((s) => s === 'incomplete'), label).toEqual([]);
      // Undo everything still committed, newest first: the original tree, to the nanosecond.
      for (let i = statuses.filter((s) => s === 'committed').length; i > 0; i--) expect((await undo({ stateDir: b.stateDir })).refused, label).toEqual([]);
      const afterB = await snapshot(b.parts);
      expect(tempFiles(afterB), label).toEqual([]);
      expect(afterB, label).toEqual(beforeB);
      await fsp.rm(a.project, { recursive: true });
      await fsp.rm(b.project, { recursive: true });
    }
  }, FULL ? 3_600_000 : 600_000);
});
