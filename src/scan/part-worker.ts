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
import { CraftSemanticsError } from './craft/errors.js';
import { defaultStageSet, isDefaultStage, stageSet, type ListingEntry } from './craft/stage-set.js';
import { startWorker } from './hash-pool.js';
import { walkPartSync } from './walk.js';

export interface PartJob {
  id: number;
  name: PartName;
  installDir: string;
  stage: string[] | undefined;
}

export interface PartOutcome {
  entries: Map<string, Entry>;
  warnings: ScanWarning[];
  /** The stage set as an array (cheaper to clone than a Set). */
  staged: string[];
}

export type ErrorReply =
  | { kind: 'craft'; code: CraftSemanticsError['code']; detail: string; subject?: string }
  | { kind: 'fs'; path: string; detail: string; code?: string }
  | { kind: 'other'; message: string };

export type PartReply = { id: number; ok: PartOutcome } | { id: number; error: ErrorReply };

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
      const t = e.linkTarget;
      const resolved = posix.normalize(posix.join(posix.dirname(path), t));
      if (posix.isAbsolute(t) || resolved === '..' || resolved.startsWith('../')) {
        try {
          const st = statSync(toFsPath(join(root, path)));
          item.targetType = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
        } catch {
          item.targetType = 'missing';
        }
      }
    }
    out.push(item);
  }
  return out;
}

/** The part's stage set from its walk; the default `stage` needs neither globbing nor link stats. */
export function partStageSet(installDir: string, entries: Map<string, Entry>, stage: string[] | undefined): Set<string> {
  if (isDefaultStage(stage)) return defaultStageSet(entries.keys());
  return stageSet(toListing(installDir, entries), stage, { installDir });
}

export function scanPart(job: Omit<PartJob, 'id'>, onEntry?: (n: number) => void): PartOutcome {
  const w = walkPartSync(job.name, job.installDir, onEntry);
  const staged = partStageSet(job.installDir, w.entries, job.stage);
  return { entries: w.entries, warnings: w.warnings, staged: [...staged] };
}

function errorReply(e: unknown): ErrorReply {
  if (e instanceof CraftSemanticsError) return { kind: 'craft', code: e.code, detail: e.detail, ...(e.subject !== undefined ? { subject: e.subject } : {}) };
  if (e instanceof FsError) return { kind: 'fs', path: e.path, detail: e.detail, ...(e.code !== undefined ? { code: e.code } : {}) };
  return { kind: 'other', message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
}

/** The error `scanPart` threw in the worker, as the same class on this thread. */
export function rethrow(r: ErrorReply): never {
  if (r.kind === 'craft') throw new CraftSemanticsError(r.code, r.detail, r.subject);
  if (r.kind === 'fs') throw new FsError(r.path, r.detail, r.code);
  throw new Error(`part scan worker failed: ${r.message}`);
}

export const PART_WORKER_MARK = 'stagefix-part-worker';

const port = parentPort;
if (port && (workerData as { mark?: string } | undefined)?.mark === PART_WORKER_MARK) {
  port.on('message', (job: PartJob) => {
    let reply: PartReply;
    try {
      reply = { id: job.id, ok: scanPart(job) };
    } catch (e) {
      reply = { id: job.id, error: errorReply(e) };
    }
    port.postMessage(reply);
  });
}

/** A worker that scans one part per call. */
export class PartWorker {
  private pending: ((r: PartReply) => void) | undefined;

  private constructor(private readonly w: Worker) {
    this.w.on('message', (r: PartReply) => this.settle(r));
    this.w.on('error', (e) => this.settle({ id: -1, error: { kind: 'other', message: e.message } }));
  }

  /** Undefined where no worker can run (a single-file bundle): the caller scans inline. */
  static start(): PartWorker | undefined {
    const w = startWorker('part-worker', PART_WORKER_MARK);
    return w ? new PartWorker(w) : undefined;
  }

  private settle(r: PartReply): void {
    const p = this.pending;
    this.pending = undefined;
    p?.(r);
  }

  run(job: PartJob): Promise<PartReply> {
    return new Promise((resolve) => {
      this.pending = resolve;
      this.w.postMessage(job);
    });
  }

  async close(): Promise<void> {
    await this.w.terminate();
  }
}
