/**
 * The scan: walk every part once, compute each part's stage set, find every path shipped by more than
 * one part, and decide for every pair of parts, in craft-parts' order, whether it collides there
 * (craft-parts `executor/collisions.py`, staging.md §2). Unlike craft-parts it never stops at the
 * first pair. Bytes are read only for regular files of equal size, and each file is hashed once however
 * many pairs it belongs to.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FsError } from '../errors.js';
import { toFsPath } from '../util/fsname.js';
import { hex16, xxh64Digest, xxhashApi } from '../util/hash.js';
import {
  relPath,
  type Collision,
  type CollisionKind,
  type Digest,
  type Entry,
  type ModeWarning,
  type PairCollision,
  type PartName,
  type PartSpec,
  type ProgressSink,
  type Project,
  type ScanWarning,
} from '../model.js';
import { hitDigest, hitDigestAt, racyLimitOf, type CacheHits, type CacheStats, type DigestCache } from './cache.js';
import { hashFiles, type HashTask } from './hash-pool.js';
import { HEAD_BYTES, HashStatus } from './hash-worker.js';
import { decodePcText, entryTypesCollide, isPcName, linkTargetsCollide, pcFilesCollide, permissionsCollide } from './craft/collide.js';
import {
  claim,
  errorReply,
  outsideTargetType,
  PartWorker,
  partCache,
  partOutcome,
  rethrow,
  scanPart,
  type ErrorReply,
  type PartClaims,
  type PartOutcome,
} from './part-worker.js';
import { anyRecent, columnBytes, columnLinks, nativeWalker, sameInode, walkColumnsAsync, walkedResult, type Walked } from './native-walk.js';
import { isDefaultStage } from './craft/stage-set.js';
import type { WalkResult } from './walk.js';

export interface PartScan {
  spec: PartSpec;
  built: boolean;
  entries: Map<string, Entry>;
  /** Paths craft-parts would stage for this part (and compare). */
  staged: ReadonlySet<string>;
  /** `stage: []` makes craft-parts skip the part in its check (a quirk); we follow it and warn. */
  skippedByCheck: boolean;
  /** xxh64 of every regular file hashed in this run, by path; classification adds more. Cache hits' are in `cacheHits` (`digestOf`). */
  digests: Map<string, Digest>;
  /** The first bytes of files whose header is known without reading (pycs hashed, or read once). */
  heads: Map<string, Uint8Array>;
  /** What the digest cache knows of this part's unchanged files (headers the rules would read). */
  cacheHits?: CacheHits;
}

export interface ScanResult {
  project: Project;
  parts: PartScan[];
  collisions: Collision[];
  modeWarnings: ModeWarning[];
  warnings: ScanWarning[];
  stats: { entries: number; sharedPaths: number; hashedFiles: number; hashedBytes: number };
  /** Present when a digest cache was used. */
  cache?: CacheStats;
  /**
   * Each part's walk key, by index into `project.parts` (null: not built), when a digest cache was used
   * and every built part has one (`WalkKey`): what a report made from this scan may be reused for.
   */
  walkKeys?: (string | null)[];
}

/**
 * A part's walk key: xxh64 over everything its walk saw (each entry's path, type, mode, size, device,
 * inode, mtime and ctime in ns, link target) and, under a `stage` filter, what the links leaving the
 * tree point at (the only thing outside the tree its stage set depends on). A report is a function of
 * the project and these, so an equal key for every part means an equal report. Undefined when the part
 * cannot vouch for its bytes: walked in JavaScript (no columns to hash), an entry that failed to stat or
 * list, or an entry changed after the racy limit (the digest cache's rule: a change in the same
 * timestamp tick would leave the key unchanged).
 */
export type WalkKey = string | undefined;


export interface ScanOptions {
  progress?: ProgressSink;
  /** The incremental digest cache (issue 6); saved at the end of the scan. */
  cache?: DigestCache;
  /** Hashing threads (default: the available cores, at most 4). */
  hashThreads?: number;
  /** Part-scanning worker threads besides the main one (default: the available cores less one, 1 to 3). */
  partThreads?: number;
  /** Parts go to worker threads when the first part has at least this many entries. */
  parallelEntries?: number;
  /** Save the cache at the end of the scan (default); `analyse` saves after the rules have read too. */
  saveCache?: boolean;
  /** Walk with the C walker when it was built (default); false walks in JavaScript (`native-walk.ts`). */
  nativeWalk?: boolean;
}

export async function scan(project: Project, opts: ScanOptions = {}): Promise<ScanResult> {
  return (await scanUnlessUnchanged(project, opts)) as ScanResult;
}

/**
 * `scan`, unless every part's walk key equals `expected`'s (by index into `project.parts`, null for a
 * part that was not built): then `'unchanged'`, without building any part's entries. Keys need the
 * digest cache (`opts.cache`) for its racy limit.
 */
export async function scanUnlessUnchanged(project: Project, opts: ScanOptions = {}, expected?: readonly (string | null)[]): Promise<ScanResult | 'unchanged'> {
  const progress = opts.progress ?? (() => {});
  const warnings: ScanWarning[] = [];
  const keys = opts.cache ? new Array<WalkKey | null>(project.parts.length) : undefined;
  const parts = await scanParts(project, opts, progress, warnings, keys, expected);
  if (parts === 'unchanged') return parts;
  const total = parts.reduce((n, p) => n + p.entries.size, 0);

  const shared = sharedPaths(parts);

  // Hash, once each, every regular file that has an equal-sized regular twin at the same path. A path
  // lives in one part's listing once, so no file is queued twice.
  let hashedCount = 0;
  let hashedBytes = 0;
  const tasks: (HashTask & { part: PartScan })[] = [];
  let toHash = 0;
  // Index loops, and one index list per path width for the common case: this runs for every shared
  // path, mostly in unoptimised code, where for-of makes an iterator result per step.
  for (let s = 0; s < shared.length; s++) {
    const sp = shared[s] as SharedPath;
    const { path, list, entries } = sp;
    if (isPcName(path)) continue;
    const uniform = uniformFiles(entries);
    let groups: readonly (readonly number[])[];
    if (uniform) groups = [allOf(list.length)];
    else {
      const bySize = new Map<number, number[]>();
      entries.forEach((e, k) => {
        if (e?.type !== 'file') return;
        const group = bySize.get(e.size);
        if (group) group.push(k);
        else bySize.set(e.size, [k]);
      });
      groups = [...bySize.values()];
    }
    for (let g = 0; g < groups.length; g++) {
      const group = groups[g] as readonly number[];
      if (group.length < 2) continue;
      // Hard links to one inode are equal without reading: skip when every member shares it.
      const first = entries[group[0] as number] as Entry;
      let oneInode = true;
      for (let m = 1; m < group.length && oneInode; m++) oneInode = sameInode(entries[group[m] as number] as Entry, first);
      if (oneInode) continue;
      // Every file a cache hit with one digest (a warm run): the path is decided here, from the cache's bytes.
      let equal = uniform;
      let h0: CacheHits | undefined;
      let at0 = -1;
      for (let m = 0; m < group.length; m++) {
        const k = group[m] as number;
        const part = parts[list[k] as number] as PartScan;
        const h = part.cacheHits;
        const at = h ? hitDigestAt(h, path, entries[k]) : -1;
        toHash++;
        opts.cache?.count(at >= 0);
        if (h && at >= 0) {
          hashedCount++;
          if (!equal) continue;
          if (!h0) {
            h0 = h;
            at0 = at;
          } else if (!sameDigestBytes(h0.buf, at0, h.buf, at)) equal = false;
        } else {
          equal = false;
          tasks.push({ part, dir: part.spec.installDir, rel: path, entry: entries[k] as Entry });
        }
      }
      if (equal) sp.sameBytes = true;
    }
  }
  const cachedCount = hashedCount;
  progress({ phase: 'comparing', done: cachedCount, total: toHash, bytes: 0 });
  const pooled = await hashFiles(tasks, {
    ...(opts.hashThreads !== undefined ? { threads: opts.hashThreads } : {}),
    onProgress: (files, bytes) => progress({ phase: 'comparing', done: cachedCount + files, total: toHash, bytes }),
  });
  let t = 0;
  pooled.results.forEach((r, b) => {
    const batch = pooled.batches[b] as HashTask[];
    for (let i = 0; i < batch.length; i++, t++) {
      const { part, rel: path, entry } = tasks[t] as (typeof tasks)[number];
      const status = r.status[i];
      if (status === HashStatus.Unreadable) {
        warnings.push({ code: 'unreadable', part: part.spec.name, path: relPath(path), message: `cannot read (${r.codes[i] ?? 'error'})` });
        continue;
      }
      const size = r.sizes[i] as number;
      const d = xxh64Digest(r.digests[i] as bigint);
      part.digests.set(path, d);
      hashedCount++;
      hashedBytes += size;
      if (status === HashStatus.Changed) {
        warnings.push({
          code: 'changed-during-scan',
          part: part.spec.name,
          path: relPath(path),
          message: size !== entry.size ? `size changed while scanning (${entry.size} → ${size} bytes)` : 'file changed while scanning',
        });
        continue;
      }
      // The header too, for pycs: integrity rules read every staged pyc's.
      const head = path.endsWith('.pyc') ? r.heads.subarray(i * HEAD_BYTES, i * HEAD_BYTES + Math.min(size, HEAD_BYTES)) : undefined;
      if (head) part.heads.set(path, head);
      opts.cache?.record(part.spec.installDir, path, entry, { digest: d, ...(head ? { head } : {}) });
    }
  });
  const cacheStats = opts.saveCache === false ? opts.cache?.stats : opts.cache?.save();

  const collisions: Collision[] = [];
  const modeWarnings: ModeWarning[] = [];
  const noPermissions = parts.map((p) => p.spec.permissions.length === 0);
  // One object per two parts and a kind, shared by every path where they collide so: a path in eleven
  // parts has 55 pairs, and the bench's mixed tree 126k of them (15 MB as objects of their own).
  const pairObjects = new Map<number, Partial<Record<CollisionKind, PairCollision>>>();
  const pairOf = (i: number, j: number, kind: CollisionKind): PairCollision => {
    let byKind = pairObjects.get(i * parts.length + j);
    if (!byKind) pairObjects.set(i * parts.length + j, (byKind = {}));
    return (byKind[kind] ??= { parts: [(parts[i] as PartScan).spec.name, (parts[j] as PartScan).spec.name], kind });
  };
  for (const sp of shared) {
    const { path, list, entries } = sp;
    // The common case decided without the pair loop: with no `permissions:` in play, identical regular
    // files (or one inode) never collide in any pair, and neither do directories.
    if (list.every((i) => noPermissions[i])) {
      const same = sameFiles(parts, sp);
      if (same) {
        if (same.modes) modeWarnings.push({ path: relPath(path), modes: same.modes });
        continue;
      }
      if (entries.every((e) => e?.type === 'dir')) continue;
    }
    const pairs: PairCollision[] = [];
    const inPair = new Set<number>();
    let identicalModes: { part: PartName; mode: number }[] | undefined;
    for (let j = 1; j < list.length; j++) {
      for (let i = 0; i < j; i++) {
        const a = parts[list[i] as number] as PartScan;
        const b = parts[list[j] as number] as PartScan;
        const r = pairCollides(a, b, path, warnings);
        const kind = r instanceof Promise ? await r : r;
        if (kind) {
          pairs.push(pairOf(list[i] as number, list[j] as number, kind));
          inPair.add(list[i] as number).add(list[j] as number);
        } else {
          const ea = a.entries.get(path) as Entry;
          const eb = b.entries.get(path) as Entry;
          if (ea.type === 'file' && eb.type === 'file' && ea.mode !== eb.mode) {
            identicalModes ??= [];
            for (const [p, e] of [[a, ea], [b, eb]] as const) {
              if (!identicalModes.some((m) => m.part === p.spec.name)) identicalModes.push({ part: p.spec.name, mode: e.mode });
            }
          }
        }
      }
    }
    if (pairs.length > 0) {
      collisions.push({
        path: relPath(path),
        parts: list.filter((i) => inPair.has(i)).map((i) => (parts[i] as PartScan).spec.name),
        pairs,
      });
    }
    if (identicalModes) {
      const order = list.map((i) => (parts[i] as PartScan).spec.name);
      identicalModes.sort((x, y) => order.indexOf(x.part) - order.indexOf(y.part));
      modeWarnings.push({ path: relPath(path), modes: identicalModes });
    }
  }
  collisions.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  modeWarnings.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  return {
    project,
    parts,
    collisions,
    modeWarnings,
    warnings,
    stats: { entries: total, sharedPaths: shared.length, hashedFiles: hashedCount, hashedBytes },
    ...(cacheStats ? { cache: cacheStats } : {}),
    ...(keys && keys.every((k) => k !== undefined) && !warnings.some((w) => w.code === 'changed-during-scan') ? { walkKeys: keys as (string | null)[] } : {}),
  };
}

async function walkKey(w: Walked, installDir: string, stage: readonly string[] | undefined, racyLimit: bigint): Promise<WalkKey> {
  if (!('columns' in w)) return undefined;
  const c = w.columns;
  if (c.errors.length > 0 || anyRecent(c, racyLimit)) return undefined;
  const h = (await xxhashApi()).create64();
  const len = new Uint8Array(4);
  for (const b of columnBytes(c)) {
    new DataView(len.buffer).setUint32(0, b.length, true);
    h.update(len).update(b);
  }
  if (!isDefaultStage(stage)) {
    for (const [path, target] of columnLinks(c)) {
      const type = outsideTargetType(installDir, path, target);
      if (type !== undefined) h.update(`${path}\0${type}\0`);
    }
  }
  return hex16(h.digest());
}

/**
 * Walks, stage sets and cache lookups. Parts are claimed in craft-parts order from a shared counter by this
 * thread and by worker threads (one per core but this one, at most 3). With three or more parts the
 * workers start at once; with fewer, the first part is scanned here first and workers start only when
 * it turned out big, so small projects never pay for starting a worker.
 */
async function scanParts(
  project: Project,
  opts: ScanOptions,
  progress: ProgressSink,
  warnings: ScanWarning[],
  keys: (WalkKey | null)[] | undefined,
  expected: readonly (string | null)[] | undefined,
): Promise<PartScan[] | 'unchanged'> {
  const built = project.parts.map((spec) => existsSync(spec.installDir));
  // A built part has no key until its C walk gives one.
  if (keys) for (let i = 0; i < built.length; i++) keys[i] = built[i] ? undefined : null;
  const outcomes = new Array<PartOutcome | { failed: ErrorReply } | undefined>(project.parts.length);
  const cacheJob = opts.cache ? { dir: opts.cache.dir, startNs: opts.cache.startNs } : undefined;
  const checksum = opts.cache?.checksum;
  const claims: PartClaims = {
    jobs: project.parts.map((s) => ({ name: s.name, installDir: s.installDir, stage: s.stage, ...(cacheJob ? { cache: cacheJob } : {}) })),
    order: project.parts.map((_, i) => i).filter((i) => built[i]),
    counter: new Int32Array(new SharedArrayBuffer(4)),
  };
  let walked = 0;
  /** Parts whose entries the progress counted while they were held back (`expected`), not to count twice. */
  const counted = new Set<number>();
  const pendingWork: Promise<void>[] = [];
  const workers: PartWorker[] = [];
  const settle = (i: number, o: PartOutcome | { failed: ErrorReply }): void => {
    outcomes[i] = o;
    if ('entries' in o && !counted.delete(i)) progress({ phase: 'walking', done: (walked += o.entries.size) });
  };
  // One core stays with this thread, which scans parts too: on two cores, one worker.
  const maxThreads = opts.partThreads ?? Math.max(1, Math.min(availableParallelism() - 1, 3));
  const threshold = opts.parallelEntries ?? 4000;
  const startWorkers = (): void => {
    const n = Math.min(maxThreads, claims.order.length - Atomics.load(claims.counter, 0));
    for (let t = 0; t < n; t++) {
      const pw = PartWorker.start();
      if (!pw) break;
      workers.push(pw);
      pendingWork.push(pw.run(claims, (r) => settle(r.id, 'ok' in r ? r.ok : { failed: r.error })));
    }
  };
  const scanHere = (i: number): void => {
    let o: PartOutcome | { failed: ErrorReply };
    try {
      o = scanPart(claims.jobs[i] as PartClaims['jobs'][number], (n) => progress({ phase: 'walking', done: walked + n }), checksum);
    } catch (e) {
      o = { failed: errorReply(e) };
    }
    settle(i, o);
  };
  const native = opts.nativeWalk === false ? undefined : nativeWalker();
  if (native) {
    // Parts walk on libuv's thread pool, ahead of this thread, which takes each in as it is done, in
    // order. The C walks scale across cores, where two threads each building a walk's objects slowed
    // each other so much that a worker thread gained almost nothing. As many ahead as there are cores:
    // on the bench's copies tree one ahead was slower (0.97 s against 0.86 s warm, five runs each) and
    // three no faster.
    const ahead = Math.max(1, availableParallelism());
    const walks: Promise<Walked>[] = [];
    const startWalk = (): void => {
      const i = claims.order[walks.length];
      if (i === undefined) return;
      const job = claims.jobs[i] as PartClaims['jobs'][number];
      const walking = walkColumnsAsync(native, job.name, job.installDir);
      // Taken in below, in order: a walk failing before its turn is not an unhandled rejection.
      walking.catch(() => undefined);
      walks.push(walking);
    };
    const takeIn = async (k: number, snapshot: ReturnType<typeof partCache>): Promise<void> => {
      const i = claims.order[k] as number;
      const job = claims.jobs[i] as PartClaims['jobs'][number];
      let o: PartOutcome | { failed: ErrorReply };
      try {
        o = partOutcome(job, walkedResult(job.name, await (walks[k] as Promise<Walked>)), snapshot);
      } catch (e) {
        o = { failed: errorReply(e) };
      }
      settle(i, o);
    };
    const racyLimit = opts.cache ? racyLimitOf(opts.cache.startNs) : 0n;
    // While every part so far walked as `expected` says, nothing is built: the caller reuses a report.
    let holding = keys !== undefined && expected !== undefined && expected.length === built.length && built.every((b, i) => b === (expected[i] !== null));
    const held: number[] = [];
    for (let k = 0; k < ahead; k++) startWalk();
    for (let k = 0; k < claims.order.length; k++) {
      const i = claims.order[k] as number;
      const job = claims.jobs[i] as PartClaims['jobs'][number];
      // The part's cache file is read while its walk runs: on a warm run this thread would otherwise
      // wait for the first walk with nothing to do. (Loading never throws: an unreadable or damaged
      // file is an empty snapshot.) While holding, only once the part turns out to be needed.
      const snapshot = holding ? undefined : partCache(job, checksum);
      const done = await (walks[k] as Promise<Walked>).catch(() => undefined);
      startWalk();
      if (keys) keys[i] = done ? await walkKey(done, job.installDir, job.stage, racyLimit) : undefined;
      if (holding) {
        if (keys?.[i] !== undefined && keys[i] === expected?.[i]) {
          held.push(k);
          // Shown as walked: on a big project the spinner would otherwise stand still until the end.
          if (done && 'columns' in done) {
            counted.add(i);
            progress({ phase: 'walking', done: (walked += done.columns.modes.length) });
          }
          continue;
        }
        holding = false;
        for (const h of [...held, k]) await takeIn(h, partCache(claims.jobs[claims.order[h] as number] as PartClaims['jobs'][number], checksum));
        continue;
      }
      await takeIn(k, snapshot);
    }
    if (holding) return 'unchanged';
  } else {
    try {
      if (claims.order.length >= 3 && Number.isFinite(threshold)) startWorkers();
      else {
        const first = claim(claims);
        if (first !== undefined) {
          scanHere(first);
          const o = outcomes[first];
          if (o && 'entries' in o && o.entries.size >= threshold) startWorkers();
        }
      }
      // This thread claims parts too, yielding between them so that finished workers' results are taken in.
      for (let i = claim(claims); i !== undefined; i = claim(claims)) {
        scanHere(i);
        if (workers.length > 0) await new Promise((r) => setImmediate(r));
      }
      await Promise.all(pendingWork);
      // A part a dead worker had claimed is scanned here.
      for (const i of claims.order) if (outcomes[i] === undefined) scanHere(i);
    } finally {
      await Promise.all(workers.map((w) => w.close()));
    }
  }

  return project.parts.map((spec, i) => {
    if (!built[i]) {
      warnings.push({ code: 'part-not-built', part: spec.name, message: `part ${spec.name} is declared but not built: ${spec.installDir} does not exist` });
      return { spec, built: false, entries: new Map(), staged: new Set(), skippedByCheck: false, digests: new Map(), heads: new Map() };
    }
    const o = outcomes[i];
    if (o === undefined) throw new Error(`part ${spec.name} was not scanned`);
    if ('failed' in o) return rethrow(o.failed);
    warnings.push(...o.warnings);
    const skippedByCheck = spec.stage !== undefined && spec.stage.length === 0;
    if (skippedByCheck) {
      warnings.push({
        code: 'stage-empty-skipped',
        part: spec.name,
        message: `part ${spec.name} has "stage: []": craft-parts skips it in its collision check, yet stages all its files`,
      });
    }
    if (o.cached) opts.cache?.keep(spec.installDir, o.cached.info, o.cached.hits, o.entries);
    const part: PartScan = { spec, built: true, entries: o.entries, staged: o.staged, skippedByCheck, digests: new Map(), heads: new Map() };
    if (o.cached) part.cacheHits = o.cached.hits;
    return part;
  });
}

/** Every path in at least two (checked) stage sets, with its parts in craft-parts order and their entries. */
function sharedPaths(parts: readonly PartScan[]): SharedPath[] {
  const shared: SharedPath[] = [];
  const entriesOf = (path: string, list: number[]): (Entry | undefined)[] => list.map((i) => (parts[i] as PartScan).entries.get(path));
  if (parts.length <= 30) {
    // A bit per part: no list per path (a path of every part of the copies tree is in six), only per shared path.
    const owners = new Map<string, number>();
    parts.forEach((p, i) => {
      if (p.skippedByCheck) return;
      const bit = 1 << i;
      // forEach: no iterator result per path (see `CacheSnapshot.hits`).
      p.staged.forEach((path) => owners.set(path, (owners.get(path) ?? 0) | bit));
    });
    owners.forEach((mask, path) => {
      if ((mask & (mask - 1)) === 0) return;
      const list: number[] = [];
      for (let i = 0; mask >>> i !== 0; i++) if ((mask >>> i) & 1) list.push(i);
      shared.push({ path, list, entries: entriesOf(path, list) });
    });
    return shared;
  }
  const owners = new Map<string, number[]>();
  parts.forEach((p, i) => {
    if (p.skippedByCheck) return;
    for (const path of p.staged) {
      const list = owners.get(path);
      if (list) list.push(i);
      else owners.set(path, [i]);
    }
  });
  for (const [path, list] of owners) if (list.length > 1) shared.push({ path, list, entries: entriesOf(path, list) });
  return shared;
}

interface SharedPath {
  path: string;
  /** Indices into the scan's parts, in craft-parts order. */
  list: number[];
  /** Each part's entry at `path`, aligned with `list`. */
  entries: (Entry | undefined)[];
  /** Every entry is a regular file, and the cache holds one digest for all of them. */
  sameBytes?: boolean;
}

function sameDigestBytes(a: Uint8Array, at: number, b: Uint8Array, bt: number): boolean {
  for (let i = 0; i < 8; i++) if (a[at + i] !== b[bt + i]) return false;
  return true;
}

/** `[0, 1, …, n - 1]`, one array per `n` (a path is in at most as many parts as the project has). */
const indexLists: number[][] = [];
function allOf(n: number): readonly number[] {
  return (indexLists[n] ??= Array.from({ length: n }, (_, k) => k));
}

/** True when every entry is a regular file and all have one size. */
function uniformFiles(entries: readonly (Entry | undefined)[]): entries is Entry[] {
  const size = entries[0]?.size;
  return entries.every((e) => e?.type === 'file' && e.size === size);
}

/**
 * When every part ships the same bytes at `path` (regular files, not `.pc`, one size, and one inode or
 * one digest), no pair collides on contents; returns the modes when they differ (a mode warning), else
 * `{}`. Undefined when any of that does not hold: the pair loop decides.
 */
function sameFiles(parts: readonly PartScan[], sp: SharedPath): { modes?: ModeWarning['modes'] } | undefined {
  const { path, list, entries } = sp;
  if (isPcName(path) || !uniformFiles(entries)) return undefined;
  const first = entries[0] as Entry;
  if (!sp.sameBytes && !entries.every((e) => sameInode(e, first)) && !oneDigest(parts, list, path)) return undefined;
  if (entries.every((e) => e.mode === first.mode)) return {};
  // As the pair loop lists them: each part once, in craft-parts order.
  return { modes: list.map((i, k) => ({ part: (parts[i] as PartScan).spec.name, mode: (entries[k] as Entry).mode })) };
}

/** A file's digest: hashed in this run, or recorded by the cache for its unchanged status. */
export function digestOf(p: PartScan, path: string): Digest | undefined {
  return p.digests.get(path) ?? (p.cacheHits ? hitDigest(p.cacheHits, path, p.entries.get(path)) : undefined);
}

/** True when every part in `list` has a known digest at `path` and all are one. */
function oneDigest(parts: readonly PartScan[], list: readonly number[], path: string): boolean {
  const d0 = digestOf(parts[list[0] as number] as PartScan, path);
  if (d0 === undefined) return false;
  for (let k = 1; k < list.length; k++) if (digestOf(parts[list[k] as number] as PartScan, path) !== d0) return false;
  return true;
}

/** craft-parts reads `.pc` files as text; undecodable bytes fall back to latin-1 so every byte still counts. */
const decodePc = (bytes: Uint8Array): string => decodePcText(bytes) ?? Buffer.from(bytes).toString('latin1');

/**
 * craft-parts' `paths_collide` for one pair at one path, with the reason. Synchronous except for `.pc`
 * files (read as text only here): the pair loop runs once per pair per shared path, hundreds of
 * thousands of times on a big snap.
 */
function pairCollides(
  a: PartScan,
  b: PartScan,
  path: string,
  warnings: ScanWarning[],
): CollisionKind | undefined | Promise<CollisionKind | undefined> {
  const ea = a.entries.get(path);
  const eb = b.entries.get(path);
  // A path in the stage set but not on disk (a dangling parent link resolution) cannot collide.
  if (!ea || !eb) return undefined;
  let kind: CollisionKind | undefined;
  const next = entryTypesCollide(ea.type, eb.type, path);
  if (next.next === 'link-targets') {
    if (linkTargetsCollide(ea.linkTarget ?? '', eb.linkTarget ?? '')) kind = 'symlink';
  } else if (next.next === 'collide') {
    kind = 'type';
  } else if (next.next === 'pc-text') {
    return pcCollides(a, b, path);
  } else if (next.next === 'bytes') {
    if (ea.size !== eb.size) {
      kind = 'contents';
    } else if (!sameInode(ea, eb)) {
      const ha = digestOf(a, path);
      const hb = digestOf(b, path);
      if (ha === undefined || hb === undefined) {
        // Unreadable: craft-parts would fail; we cannot prove equality, so it collides.
        warnings.push({ code: 'unreadable', path: relPath(path), message: `could not compare ${path} in ${a.spec.name} and ${b.spec.name}` });
        kind = 'contents';
      } else if (ha !== hb) {
        kind = 'contents';
      }
    }
  }
  if (!kind && permissionsCollide(a.spec.permissions, b.spec.permissions, path)) kind = 'permissions';
  return kind;
}

async function pcCollides(a: PartScan, b: PartScan, path: string): Promise<CollisionKind | undefined> {
  const [ta, tb] = await Promise.all([readFile(toFsPath(join(a.spec.installDir, path))), readFile(toFsPath(join(b.spec.installDir, path)))]).catch(
    (e: NodeJS.ErrnoException) => {
      throw new FsError(join(a.spec.installDir, path), `cannot read .pc file (${e.code ?? e.message})`);
    },
  );
  if (pcFilesCollide(decodePc(ta), decodePc(tb))) return 'contents';
  return permissionsCollide(a.spec.permissions, b.spec.permissions, path) ? 'permissions' : undefined;
}
