/**
 * The example project's plan applied by a child process that SIGKILLs itself at a chosen step (the
 * apply engine's crash driver, test/apply/helpers/crash-driver.ts): 24 kill points from a fixed seed
 * over every step kind. After each kill, `stagefix undo` gives back the original tree exactly; at every
 * fourth point `stagefix apply` is re-run instead: it rolls back the interrupted journal, re-plans from a
 * fresh scan and leaves the same tree as an uninterrupted apply, and undo then restores the original.
 * STAGEFIX_FULL=1: 80 kill points.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyOps } from '../../src/apply/apply.js';
import { undo } from '../../src/apply/undo.js';
import { setStepHook, type StepKind } from '../../src/apply/faults.js';
import { listJournals, readJournal } from '../../src/apply/journal.js';
import { plan, planOps } from '../../src/plan/index.js';
import { analyse, selectProject } from '../../src/run.js';
import { rng, snapshot, tempDir, withoutTimes, type SnapEntry } from '../apply/helpers/tree.js';
import { stringifyPlan } from '../apply/helpers/plan-file.js';
import { EXAMPLE } from '../helpers/tree.js';
import { runResolve } from './helpers/cli.js';

const SEED = 4_2024_11;
const POINTS = process.env.STAGEFIX_FULL === '1' ? 80 : 24;
const KINDS: StepKind[] = ['backup', 'journal', 'chunk', 'temp', 'rename', 'done', 'restore'];

let work: string;
let proj: string;
let parts: string;
let stateDir: string;
let driver: string;
let planFile: string;
let original: Record<string, SnapEntry>;
let applied: Record<string, SnapEntry>;
const counts = new Map<StepKind, number>();

beforeAll(async () => {
  work = await tempDir('plan-crash');
  proj = join(work, 'example');
  parts = join(proj, 'parts');
  stateDir = join(proj, '.stagefix');
  execFileSync('cp', ['-a', EXAMPLE, proj]);
  driver = join(work, 'driver.mjs');
  await build({ entryPoints: [join(import.meta.dirname, '..', 'apply', 'helpers', 'crash-driver.ts')], bundle: true, platform: 'node', format: 'esm', outfile: driver, logLevel: 'error' });
  const project = selectProject({ project: proj, cwd: proj });
  const p = await plan(await analyse(project), {});
  const ops = planOps(p);
  const roots = project.parts.map((s) => s.installDir);
  planFile = join(work, 'plan.json');
  await fsp.writeFile(planFile, stringifyPlan({ ops, stateDir, roots }));
  original = await snapshot(parts);
  setStepHook((k) => counts.set(k, (counts.get(k) ?? 0) + 1));
  try {
    const res = await applyOps(ops, { stateDir, allowedRoots: roots });
    expect(res.errors).toEqual([]);
    expect(res.applied.length).toBe(ops.length);
    applied = withoutTimes(await snapshot(parts));
    await undo({ stateDir });
  } finally {
    setStepHook(undefined);
  }
  expect(await snapshot(parts)).toEqual(original);
}, 300_000);

afterAll(async () => {
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

function killPoints(): [StepKind, number][] {
  const r = rng(SEED);
  return Array.from({ length: POINTS }, (_, i): [StepKind, number] => {
    const k = KINDS[i % KINDS.length] ?? 'rename';
    const total = counts.get(k) ?? 1;
    // The first and last occurrence of each kind, then random ones.
    return [k, i < KINDS.length ? 1 : i < 2 * KINDS.length ? total : 1 + Math.floor(r() * total)];
  });
}

const tempFiles = (s: Record<string, SnapEntry>): string[] => Object.keys(s).filter((k) => k.includes('.stagefix-'));

describe('the example plan under SIGKILL', () => {
  it('after a kill at any point: undo restores the tree exactly, or a re-run of apply completes it', async () => {
    const points = killPoints();
    expect(points.length).toBeGreaterThanOrEqual(20);
    for (const k of KINDS) expect(counts.get(k) ?? 0, k).toBeGreaterThan(0);
    for (const [i, [kind, nth]] of points.entries()) {
      const label = `${kind} #${nth}`;
      const run = spawnSync(process.execPath, [driver, planFile, kind === 'restore' ? 'apply-undo' : 'apply'], {
        env: { ...process.env, STAGEFIX_TEST_KILL_KIND: kind, STAGEFIX_TEST_KILL_NTH: String(nth) },
        encoding: 'utf8',
      });
      expect(run.signal, `${label}: ${run.stderr}`).toBe('SIGKILL');
      if (i % 4 === 3) {
        const again = await runResolve(['apply', proj]);
        expect(again.stderr.replace(/^stagefix: took over a stale lock.*\n/m, ''), label).toBe('');
        expect(again.stdout, label).toMatch(/benign \d+ → 0/);
        expect(withoutTimes(await snapshot(parts)), label).toEqual(applied);
        const statuses = await Promise.all((await listJournals(stateDir)).map(async (id) => (await readJournal(stateDir, id)).status));
        expect(statuses.filter((s) => s === 'incomplete'), label).toEqual([]);
        for (let n = statuses.filter((s) => s === 'committed').length; n > 0; n--) expect((await runResolve(['undo', proj])).code, label).toBe(0);
      } else {
        const u = await runResolve(['undo', proj]);
        expect(u.code, `${label}: ${u.stdout}${u.stderr}`).toBe(0);
      }
      const after = await snapshot(parts);
      expect(tempFiles(after), label).toEqual([]);
      expect(after, label).toEqual(original);
    }
  }, 900_000);
});
