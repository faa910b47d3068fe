/**
 * One part's scan: the walk (one lstat per entry), the listing craft-parts' glob semantics run on, and
 * the stage set. On a big project parts are scanned on worker threads: the CPU is spent in parallel,
 * and the garbage a walk makes (a BigIntStats per entry) lives and dies in the worker's heap; only the
 * entries and the stage set are cloned back.
 */
import { statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { toFsPath } from '../util/fsname.js';
import { parentPort, workerData, type Worker } from 'node:worker_threads';
import { FsError } from '../errors.js';
import type { Entry, PartName, ScanWarning } from '../model.js';
import { xxhashApi } from '../util/hash.js';
import { CacheSnapshot, type CacheHits, type SnapshotInfo } from './cache.js';
import { CraftSemanticsError } from './craft/errors.js';
import { defaultStageSet, isDefaultStage, stageSet, type ListingEntry } from './craft/stage-set.js';
import { startWorker } from './hash-pool.js';
import { walkPartSync, type WalkResult } from './walk.js';
import { fromWire, toWire, type WireOutcome } from './part-wire.js';

export interface PartJob {
  id: number;
  name: PartName;
  installDir: string;
  stage: string[] | undefined;
  /** The digest cache to consult for every regular file walked. */
  cache?: { dir: string; startNs: bigint };
}

export interface PartOutcome {
  entries: Map<string, Entry>;
  warnings: ScanWarning[];
  /** The paths craft-parts stages for this part (`part-wire.ts` sends it as a mark per entry). */
  staged: ReadonlySet<string>;
  /** Files whose status matched the digest cache, with their digests. */
  cached?: { hits: CacheHits; info: SnapshotInfo };
}

export type ErrorReply =
  | { kind: 'craft'; code: CraftSemanticsError['code']; detail: string; subject?: string }
  | { kind: 'fs'; path: string; detail: string; code?: string }
  | { kind: 'other'; message: string };

export type PartReply = { id: number; ok: PartOutcome } | { id: number; error: ErrorReply };
/** A reply as it crosses threads (`part-wire.ts`). */
export type WireReply = { id: number; wire: WireOutcome } | { id: number; error: ErrorReply };

/**
 * The listing craft-parts' glob semantics run on. For links that leave the tree, stage-set computation
 * needs to know what they point at (craft-parts stats them on disk), so only those are stat()ed.
 */
export function toListing(root: string, entries: Map<string, Entry>): ListingEntry[] {
  const out: ListingEntry[] = [];
  for (const [path, e] of entries) {
    const type = e.type === 'file' || e.type === 'dir' || e.type === 'symlink' ? e.type : 'other';
    const item: ListingEntry = { path, type };
    if (e.type === 'symlink' && e.linkTarget !== undefined) {
      item.target = e.linkTarget;
      const targetType = outsideTargetType(root, path, e.linkTarget);
      if (targetType !== undefined) item.targetType = targetType;
    }
    out.push(item);
  }
  return out;
}

/** What a link leaving the tree points at on disk (craft-parts stats it); undefined for a link that stays inside. */
export function outsideTargetType(root: string, path: string, target: string): ListingEntry['targetType'] {
  const resolved = posix.normalize(posix.join(posix.dirname(path), target));
  if (!posix.isAbsolute(target) && resolved !== '..' && !resolved.startsWith('../')) return undefined;
  try {
    const st = statSync(toFsPath(join(root, path)));
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
  } catch {
    return 'missing';
  }
}

/** The part's stage set from its walk; the default `stage` needs neither globbing nor link stats. */
export function partStageSet(installDir: string, entries: Map<string, Entry>, stage: string[] | undefined): ReadonlySet<string> {
  if (isDefaultStage(stage)) return defaultStageSet(entries);
  return stageSet(toListing(installDir, entries), stage, { installDir });
}

/**
 * Walk, stage set and cache lookups for one part. `checksum` (xxh64) reads the cache file; lookups happen
 * here, on the thread that walked the part, so on a warm run the main thread only gathers answers.
 */
export function scanPart(job: Omit<PartJob, 'id'>, onEntry?: (n: number) => void, checksum?: (b: Uint8Array) => bigint): PartOutcome {
  return partOutcome(job, walkPartSync(job.name, job.installDir, onEntry), partCache(job, checksum));
}

/** The part's digest cache file, read (undefined without a cache). */
export function partCache(job: Omit<PartJob, 'id'>, checksum?: (b: Uint8Array) => bigint): CacheSnapshot | undefined {
  return job.cache && checksum ? CacheSnapshot.load(job.cache.dir, job.installDir, job.cache.startNs, checksum) : undefined;
}

/** A walked part's stage set and cache lookups. */
export function partOutcome(job: Omit<PartJob, 'id'>, w: WalkResult, cache: CacheSnapshot | undefined): PartOutcome {
  const out: PartOutcome = { entries: w.entries, warnings: w.warnings, staged: partStageSet(job.installDir, w.entries, job.stage) };
  if (cache) out.cached = { hits: cache.hits(w.entries, w.rows), info: { size: cache.size, damaged: cache.damaged } };
  return out;
}

export function errorReply(e: unknown): ErrorReply {
  if (e instanceof CraftSemanticsError) return { kind: 'craft', code: e.code, detail: e.detail, ...(e.subject !== undefined ? { subject: e.subject } : {}) };
  if (e instanceof FsError) return { kind: 'fs', path: e.path, detail: e.detail, ...(e.code !== undefined ? { code: e.code } : {}) };
  return { kind: 'other', message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
}

/** The error `scanPart` threw in the worker, as the same class on this thread. */
export function rethrow(r: ErrorReply): never {
  if (r.kind === 'craft') throw new CraftSemanticsError(r.code, r.detail, r.subject);
  if (r.kind === 'fs') throw new FsError(r.path, r.detail, r.code);
  throw new Error(`part scan failed: ${r.message}`);
}

export const PART_WORKER_MARK = 'stagefix-part-worker';

/**
 * Parts are claimed from a shared counter (`Atomics.add`), by workers and the main thread alike: a worker
 * goes on to its next part without waiting for the main thread (busy scanning a part of its own) to
 * answer a message.
 */
export interface PartClaims {
  jobs: Omit<PartJob, 'id'>[];
  /** Job indices in claim order (craft-parts order, built parts only). */
  order: number[];
  /** One Int32 over a SharedArrayBuffer: how many of `order` are claimed. */
  counter: Int32Array;
}

/** The next job index to scan, or undefined when all are claimed. */
export function claim(c: Pick<PartClaims, 'order' | 'counter'>): number | undefined {
  const k = Atomics.add(c.counter, 0, 1);
  return k < c.order.length ? c.order[k] : undefined;
}

type WorkerMessage = WireReply | { done: true };

const port = parentPort;
if (port && (workerData as { mark?: string } | undefined)?.mark === PART_WORKER_MARK) {
  const api = xxhashApi();
  port.on('message', async (c: PartClaims) => {
    const checksum = c.jobs.some((j) => j.cache) ? ((h) => (b: Uint8Array) => h(b))((await api).h64Raw) : undefined;
    for (let i = claim(c); i !== undefined; i = claim(c)) {
      let reply: WireReply;
      let transfer: ArrayBuffer[] = [];
      try {
        const w = toWire(scanPart(c.jobs[i] as Omit<PartJob, 'id'>, undefined, checksum));
        reply = { id: i, wire: w.wire };
        transfer = w.transfer;
      } catch (e) {
        reply = { id: i, error: errorReply(e) };
      }
      port.postMessage(reply, transfer);
    }
    port.postMessage({ done: true } satisfies WorkerMessage);
  });
}

/** A worker that scans parts it claims until none is left. */
export class PartWorker {
  private constructor(private readonly w: Worker) {}

  /** Undefined where no worker can run (a single-file bundle): the caller scans inline. */
  static start(): PartWorker | undefined {
    const w = startWorker('part-worker', PART_WORKER_MARK);
    return w ? new PartWorker(w) : undefined;
  }

  /** Claims and scans parts, calling `onReply` for each; settles when no part is left to claim. */
  run(claims: PartClaims, onReply: (r: PartReply) => void): Promise<void> {
    return new Promise((resolve) => {
      this.w.on('message', (m: WorkerMessage) => {
        if ('done' in m) resolve();
        else onReply('wire' in m ? { id: m.id, ok: fromWire(m.wire) } : m);
      });
      // A worker that dies claims nothing more; a part it held is reported as failed by the caller.
      this.w.on('error', () => resolve());
      this.w.on('exit', () => resolve());
      this.w.postMessage(claims);
    });
  }

  async close(): Promise<void> {
    await this.w.terminate();
  }
}
