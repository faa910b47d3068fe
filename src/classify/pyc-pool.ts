/**
 * Fingerprints the pycs of a scan on worker threads while the main thread classifies everything else
 * (issue 6: fingerprinting was most of the main thread's CPU). Files go out in batches, in the order
 * classification will ask for them; when the main thread asks for a file whose batch no worker has
 * taken yet, it takes the batch and fingerprints it itself instead of waiting. A file a worker could
 * not read is read again on the main thread, so its error reads exactly as before.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { PartName } from '../model.js';
import { startWorker } from '../scan/hash-pool.js';
import { confinedFile } from '../scan/file-source.js';
import { pycCodec, pycFacts, type PycFacts, type PycFactsProvider } from './pyc-facts.js';
import { PYC_WORKER_MARK, runPycJob, type PycJob } from './pyc-worker.js';
import type { FileSource } from './types.js';

export interface PycPoolOptions {
  /** Worker threads; default: the cores available, at most 4. */
  threads?: number;
  /** Below this many files the pool does not start (a worker costs more than it saves). */
  minFiles?: number;
  /** Each worker's V8 heap limits; default `WORKER_HEAP`. */
  heap?: { youngMb: number; oldMb: number };
}

/**
 * Fingerprinting keeps nothing between files and needs under 2 MB of heap for the largest pyc of the
 * bench trees (1.5 MB), but under V8's default generation sizes each worker's heap grew by tens of
 * megabytes of garbage before it was collected. Capped, the mixed bench tree's peak RSS fell by about
 * 45 MB (three alternating runs each: 480–510 against 540–560 MB) with wall time unchanged within
 * noise and CPU time up to 5%. A worker that runs out anyway dies, and its files are fingerprinted on
 * the main thread.
 */
export const WORKER_HEAP = { youngMb: 8, oldMb: 64 };

export interface PycPool {
  provider: PycFactsProvider;
  /** Batches fingerprinted by workers and on the main thread so far. */
  stats(): { workers: number; inline: number };
  close(): Promise<void>;
}

/** Small enough that the main thread rarely waits for the batch it needs, large enough that messages are cheap. */
const BATCH_FILES = 48;
/** Batches queued at each worker, so it has work while the main thread is busy between event-loop turns. */
const IN_FLIGHT = 3;

interface Task {
  part: PartName;
  path: string;
  batch: number;
  /** Undefined while pending; null when no worker could read the file (the main thread reads it, and reports why not). */
  facts?: PycFacts | null;
  waiters?: ((f: PycFacts | null) => void)[];
}

interface Batch {
  tasks: Task[];
  /**
   * What a worker reads, made when the batch is first sent or run and dropped once done (a worker that
   * dies leaves it to be run here). Made up front for every pyc, the absolute paths lived long enough
   * to be promoted to the old generation: about 36 MB of the mixed bench tree's main-thread heap.
   */
  job?: { job: PycJob; tasks: Task[] };
  state: 'queued' | 'sent' | 'done';
}

/** Starts workers for `files` (in the order they will be asked for), or undefined to fingerprint inline. */
export function startPycPool(
  source: FileSource,
  files: readonly { part: PartName; path: string }[],
  opts: PycPoolOptions = {},
): PycPool | undefined {
  const threads = opts.threads ?? Math.min(availableParallelism(), 4);
  if (threads < 1 || files.length < (opts.minFiles ?? 512)) return undefined;

  const byKey = new Map<string, Task>();
  const batches: Batch[] = [];
  let cur: Task[] = [];
  for (const { part, path } of files) {
    const key = `${part}\0${path}`;
    if (byKey.has(key)) continue;
    const task: Task = { part, path, batch: batches.length };
    byKey.set(key, task);
    cur.push(task);
    if (cur.length >= BATCH_FILES) {
      batches.push({ tasks: cur, state: 'queued' });
      cur = [];
    }
  }
  if (cur.length > 0) batches.push({ tasks: cur, state: 'queued' });
  if (batches.length === 0) return undefined;

  /** The batch's job; a file not readable as confined gets no facts here, and the main thread reports it when asked. */
  const jobOf = (b: Batch): { job: PycJob; tasks: Task[] } => {
    if (b.job) return b.job;
    const job: PycJob = { abs: [], dev: [], ino: [], size: [] };
    const tasks: Task[] = [];
    for (const t of b.tasks) {
      let confined;
      try {
        confined = confinedFile(source, t.part, t.path);
      } catch {
        t.facts = null;
        continue;
      }
      tasks.push(t);
      job.abs.push(confined.abs);
      job.dev.push(confined.entry.dev);
      job.ino.push(confined.entry.ino);
      job.size.push(confined.entry.size);
    }
    return (b.job = { job, tasks });
  };

  const workers: Worker[] = [];
  const heap = opts.heap ?? WORKER_HEAP;
  for (let i = 0; i < Math.min(threads, batches.length); i++) {
    const w = startWorker('../classify/pyc-worker', PYC_WORKER_MARK, { maxYoungGenerationSizeMb: heap.youngMb, maxOldGenerationSizeMb: heap.oldMb });
    if (!w) break;
    workers.push(w);
  }
  if (workers.length === 0) return undefined;

  const finish = (b: Batch, facts: readonly unknown[]): void => {
    const sent = b.job?.tasks ?? [];
    b.state = 'done';
    b.job = undefined;
    sent.forEach((t, i) => {
      const w = facts[i];
      // Null, or (never for what a worker encoded) undecodable: the main thread reads the file itself.
      t.facts = w === null || w === undefined ? null : (pycCodec.decode(w) ?? null);
    });
    for (const t of b.tasks) {
      for (const resolve of t.waiters ?? []) resolve(t.facts ?? null);
      t.waiters = undefined;
    }
  };
  const counts = { workers: 0, inline: 0 };
  const runHere = (b: Batch): void => {
    counts.inline++;
    finish(b, runPycJob(jobOf(b).job));
  };

  let next = 0;
  const inFlight = new Map<Worker, Map<number, Batch>>();
  const send = (w: Worker): void => {
    const mine = inFlight.get(w);
    if (!mine) return;
    while (mine.size < IN_FLIGHT) {
      while (next < batches.length && (batches[next] as Batch).state !== 'queued') next++;
      if (next >= batches.length) return;
      const id = next++;
      const b = batches[id] as Batch;
      b.state = 'sent';
      mine.set(id, b);
      w.postMessage({ id, job: jobOf(b).job });
    }
  };
  const fail = (w: Worker): void => {
    // A worker that dies leaves its batches to the main thread, which cannot be wrong, only slower.
    const mine = inFlight.get(w);
    inFlight.delete(w);
    for (const b of mine?.values() ?? []) if (b.state === 'sent') runHere(b);
  };
  for (const w of workers) {
    inFlight.set(w, new Map());
    w.on('message', (msg: { id: number; facts: unknown[] }) => {
      const b = batches[msg.id] as Batch;
      inFlight.get(w)?.delete(msg.id);
      if (b.state === 'sent') {
        counts.workers++;
        finish(b, msg.facts);
      }
      send(w);
    });
    w.on('error', () => fail(w));
    w.on('exit', () => fail(w));
    send(w);
  }

  const provider: PycFactsProvider = (part, path) => {
    const key = `${part}\0${path}`;
    const t = byKey.get(key);
    if (!t) return undefined;
    // Asked once (the facts memo keeps the answer while it is needed): the pool need not keep it too.
    byKey.delete(key);
    const b = batches[t.batch] as Batch;
    if (b.state === 'queued') runHere(b);
    const fallback = (f: PycFacts | null): Promise<PycFacts> => (f ? Promise.resolve(f) : source.readWith(part, path, pycFacts));
    if (t.facts !== undefined) return fallback(t.facts);
    return new Promise<PycFacts | null>((resolve) => (t.waiters ??= []).push(resolve)).then(fallback);
  };

  return {
    provider,
    stats: () => ({ ...counts }),
    async close() {
      const all = [...inFlight.keys()];
      inFlight.clear();
      await Promise.all(all.map((w) => w.terminate()));
    },
  };
}
