/**
 * Report reuse (src/report/reuse.ts): an unchanged project gives its stored report back without an
 * analysis, and anything a report depends on (a file's bytes, the project, the build, a link leaving
 * the tree under a `stage` filter) makes the next run analyse again. Runs on a copy of the example
 * project's real venvs.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project, Report } from '../../src/model.js';
import { analyse, analyseReport } from '../../src/run.js';
import { DigestCache } from '../../src/scan/cache.js';
import { nativeWalker, useNativeWalker } from '../../src/scan/native-walk.js';
import { loadProject, projectFromPartArgs } from '../../src/scan/project.js';
import { scan, scanUnlessUnchanged } from '../../src/scan/scan.js';
import { MAX_STORED_FINDINGS, storeReport } from '../../src/report/reuse.js';
import { EXAMPLE } from '../helpers/tree.js';
import { inCI } from '../helpers/python.js';

const native = nativeWalker();
// Walk keys hash the C walk's columns: without the C walker nothing is ever reused (tested below).
if (!native && inCI()) throw new Error('the C walker (dist/native/walk.node) is required under CI=true; `npm run build` builds it');
const title = (t: string): string => (native ? t : `${t} [skipped: the C walker was not built; see scripts/build-native.mjs]`);

const dir = mkdtempSync(join(tmpdir(), 'stagefix-reuse-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SHARED = 'lib/python3.11/site-packages/flask/app.py';
const code = 'test-build';
let n = 0;
const cacheAt = (): Promise<DigestCache> => DigestCache.open(join(dir, `cache-${n++}`));
/** What a run reports, less what differs between any two runs. */
const stable = (r: Report): unknown => ({ ...r, stats: { ...r.stats, durationMs: 0, hashedBytes: 0 } });

let root: string;
let project: Project;
beforeAll(async () => {
  root = join(dir, 'example');
  cpSync(EXAMPLE, root, { recursive: true, verbatimSymlinks: true });
  // Entries younger than the racy margin (3 s) never give a walk key, so let the copy age first.
  await new Promise((r) => setTimeout(r, 3200));
  project = loadProject(root);
});

describe.skipIf(!native)(title('report reuse'), () => {
  it('gives the stored report back when nothing changed, equal to an analysis without any cache', async () => {
    const cacheDir = join(dir, 'same');
    const first = await analyseReport(project, undefined, { cache: await DigestCache.open(cacheDir), reuse: { code } });
    expect(first.reused).toBe(false);
    expect(readdirSync(join(cacheDir, 'reports'))).toHaveLength(1);
    const second = await analyseReport(project, undefined, { cache: await DigestCache.open(cacheDir), reuse: { code } });
    expect(second.reused).toBe(true);
    // Nothing was read this time.
    expect(second.report.stats.hashedBytes).toBe(0);
    const plain = (await analyse(project)).report;
    expect(plain.findings.length).toBeGreaterThan(0);
    expect(stable(second.report)).toStrictEqual(stable(plain));
    expect(stable(first.report)).toStrictEqual(stable(plain));
  });

  it('counts the parts it holds back as walked, once each, whether the run reuses or analyses after all', async () => {
    const cacheDir = join(dir, 'progress');
    const keys = (await scan(project, { cache: await DigestCache.open(cacheDir), saveCache: false })).walkKeys;
    expect(keys?.every((k) => k !== null)).toBe(true);
    const total = (await scan(project)).stats.entries;
    const walking = async (expected: (string | null)[]): Promise<{ result: unknown; done: number[] }> => {
      const done: number[] = [];
      const result = await scanUnlessUnchanged(project, { cache: await DigestCache.open(cacheDir), saveCache: false, progress: (e) => e.phase === 'walking' && done.push(e.done) }, expected);
      return { result, done };
    };
    const same = await walking(keys as string[]);
    expect(same.result).toBe('unchanged');
    // One part's key differs (the last): the others were held back, then taken in.
    const last = await walking([...(keys as string[]).slice(0, -1), 'another key']);
    expect(last.result).not.toBe('unchanged');
    for (const { done } of [same, last]) {
      expect(done.length).toBeGreaterThanOrEqual(project.parts.length);
      expect(done.at(-1)).toBe(total);
      expect(done.every((d, j) => j === 0 || d >= (done[j - 1] as number))).toBe(true);
    }
  });

  it('analyses again for another project, another build, or a damaged stored report', async () => {
    const cache = await cacheAt();
    const reuse = async (p: Project, c: string): Promise<boolean> => (await analyseReport(p, undefined, { cache: await DigestCache.open(cache.dir), reuse: { code: c } })).reused;
    expect(await reuse(project, code)).toBe(false);
    expect(await reuse(project, code)).toBe(true);
    const filtered: Project = { ...project, parts: project.parts.map((p, i) => (i === 0 ? { ...p, stage: ['lib', 'bin'] } : p)) };
    expect(await reuse(filtered, code)).toBe(false);
    expect(await reuse(project, 'another-build')).toBe(false);
    const [stored] = readdirSync(join(cache.dir, 'reports'));
    const file = join(cache.dir, 'reports', stored as string);
    const text = readFileSync(file);
    text[text.length - 5] = (text[text.length - 5] as number) ^ 1;
    writeFileSync(file, text);
    const damaged = await analyseReport(project, undefined, { cache: await DigestCache.open(cache.dir), reuse: { code: 'another-build' } });
    expect(damaged.reused).toBe(false);
    expect(stable(damaged.report)).toStrictEqual(stable((await analyse(project)).report));
    // And replaced by a whole one.
    expect(await reuse(project, 'another-build')).toBe(true);
  });

  it('stores nothing from a tree changed within the racy margin', async () => {
    const young = join(dir, 'young');
    cpSync(join(EXAMPLE, 'parts/flask-a/install'), join(young, 'a'), { recursive: true, verbatimSymlinks: true });
    cpSync(join(EXAMPLE, 'parts/flask-b/install'), join(young, 'b'), { recursive: true, verbatimSymlinks: true });
    const p = projectFromPartArgs([`a=${join(young, 'a')}`, `b=${join(young, 'b')}`], dir);
    const cache = await cacheAt();
    const r = await scan(p, { cache, saveCache: false });
    expect(r.walkKeys).toBeUndefined();
    expect((await analyseReport(p, undefined, { cache, reuse: { code } })).reused).toBe(false);
    expect((await analyseReport(p, undefined, { cache: await DigestCache.open(cache.dir), reuse: { code } })).reused).toBe(false);
  });

  it('keys a part under a stage filter by what its links leaving the tree point at, and only then', async () => {
    const part = join(dir, 'linked');
    const outside = join(dir, 'outside-target');
    mkdirSync(part, { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(part, 'f'), 'x');
    symlinkSync(outside, join(part, 'out'));
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(part, 'f'), old, old);
    const base = projectFromPartArgs([`p=${part}`], dir);
    const staged: Project = { ...base, parts: base.parts.map((s) => ({ ...s, stage: ['out', 'f'] })) };
    const keysOf = async (p: Project): Promise<unknown> => (await scan(p, { cache: await cacheAt(), saveCache: false })).walkKeys;
    // The part's own entries must be older than the racy margin too.
    await new Promise((r) => setTimeout(r, 3200));
    const stagedDir = await keysOf(staged);
    const defaultDir = await keysOf(base);
    expect(stagedDir).toBeDefined();
    rmSync(outside, { recursive: true });
    writeFileSync(outside, 'now a file');
    expect(await keysOf(staged)).not.toEqual(stagedDir);
    // Under the default stage nothing outside the tree is looked at, so the key stays.
    expect(await keysOf(base)).toEqual(defaultDir);
  });

  it('does not store a report with more findings than it pays to read back', async () => {
    const cache = await cacheAt();
    const r = await scan(project, { cache, saveCache: false });
    const report = (await analyse(project)).report;
    const many: Report = { ...report, findings: Array.from({ length: MAX_STORED_FINDINGS + 1 }, () => report.findings[0] as Report['findings'][number]) };
    expect(storeReport(cache.dir, project, code, r.walkKeys ?? [], many, cache.checksum)).toBeUndefined();
    expect(() => readdirSync(join(cache.dir, 'reports'))).toThrow();
    expect(storeReport(cache.dir, project, code, r.walkKeys ?? [], report, cache.checksum)).toBeUndefined();
    expect(readdirSync(join(cache.dir, 'reports'))).toHaveLength(1);
  });
  // Last: the file it changes back is younger than the racy margin for a while, so nothing after it stores.
  it('analyses again when a shared file gets other bytes with its size and mtime kept', async () => {
    const cache = await cacheAt();
    const before = await analyseReport(project, undefined, { cache, reuse: { code } });
    expect(before.report.findings.some((f) => f.path === SHARED)).toBe(false);
    const file = join(root, 'parts/flask-b/install', SHARED);
    const st = statSync(file);
    const bytes = readFileSync(file);
    try {
      const changed = Buffer.from(bytes);
      changed[0] = changed[0] === 0x23 ? 0x24 : 0x23;
      writeFileSync(file, changed);
      utimesSync(file, st.atime, st.mtime);
      // Past the racy margin, so that only the key itself (the new ctime) can tell.
      await new Promise((r) => setTimeout(r, 3200));
      const again = await DigestCache.open(cache.dir);
      const after = await analyseReport(project, undefined, { cache: again, reuse: { code } });
      expect(after.reused).toBe(false);
      expect(after.report.findings.find((f) => f.path === SHARED)?.verdict).toBe('real');
      // Only the changed file was read: the parts held back while their keys matched, and the part
      // that did not match, all still use their digest caches.
      expect(again.stats.misses).toBe(1);
      expect(again.stats.hits).toBeGreaterThan(0);
    } finally {
      writeFileSync(file, bytes);
      utimesSync(file, st.atime, st.mtime);
    }
  });
});

describe('report reuse without the C walker', () => {
  it('never reuses: a JavaScript walk gives no walk key', async () => {
    const cache = await cacheAt();
    useNativeWalker(false);
    try {
      expect((await scan(project, { cache, saveCache: false })).walkKeys).toBeUndefined();
      expect((await analyseReport(project, undefined, { cache, reuse: { code } })).reused).toBe(false);
      expect((await analyseReport(project, undefined, { cache: await DigestCache.open(cache.dir), reuse: { code } })).reused).toBe(false);
    } finally {
      useNativeWalker(true);
    }
  });
});
