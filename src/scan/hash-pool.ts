/**
 * Hashes many files on every core: worker threads each read into one reused buffer (`hash-worker.ts`),
 * fed in batches so that message passing costs nothing next to the reads. Small scans hash inline, since
 * starting a worker costs more than hashing a few megabytes.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { Entry } from '../model.js';
import { xxhashApi } from '../util/hash.js';
import { makeHasher, WORKER_MARK, type HashJob, type HashResult } from './hash-worker.js';

/** A file to hash: its install dir, its relative path and what the walk saw (joined only per batch). */
export interface HashTask {
  dir: string;
  rel: string;
  entry: Entry;
}

export interface HashPoolOptions {
  /** Worker threads; default: the cores available, at most 4 (reads, not hashing, bound the rest). */
  threads?: number;
  /** Below this many bytes and files, hashing runs inline. */
  inlineBytes?: number;
  inlineFiles?: number;
  /** Called after every batch with the number of files and bytes done. */
  onProgress?: (files: number, bytes: number) => void;
}

/** Batches end at whichever comes first; two batches per worker are in flight to hide the round trip. */
const BATCH_FILES = 256;
const BATCH_BYTES = 16 << 20;

/** The worker's job for `tasks`: their paths, and the status each must still have. */
export function jobOf(tasks: readonly HashTask[]): HashJob {
  const expect = new BigInt64Array(tasks.length * 5);
  tasks.forEach(({ entry: e }, i) => {
    expect[i * 5] = BigInt.asIntN(64, e.dev);
    expect[i * 5 + 1] = BigInt.asIntN(64, e.ino);
    expect[i * 5 + 2] = BigInt(e.size);
    expect[i * 5 + 3] = e.mtimeNs;
    expect[i * 5 + 4] = e.ctimeNs;
  });
  return { paths: tasks.map((t) => join(t.dir, t.rel)), expect };
}

function batches(tasks: readonly HashTask[]): HashTask[][] {
  const out: HashTask[][] = [];
  let cur: HashTask[] = [];
  let bytes = 0;
  for (const t of tasks) {
    cur.push(t);
    bytes += t.entry.size;
    if (cur.length >= BATCH_FILES || bytes >= BATCH_BYTES) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/**
 * Starts `./<name>.js` beside this module as a worker. From TypeScript sources (tests, tsx) there is no
 * `.js`: a tiny ESM bootstrap registers tsx's loader in the worker and imports the `.ts` (Node 20 ignores
 * `--import` in a worker's execArgv). In a single-file bundle (the hook) neither exists: undefined, and
 * the caller works inline.
 */
export function startWorker(name: string, mark: string, resourceLimits?: ResourceLimits): Worker | undefined {
  const opts = { workerData: { mark }, ...(resourceLimits ? { resourceLimits } : {}) };
  // Beside this module first (the bundle in dist/bundle/ is flat), then at `name` (the module tree).
  const names = [...new Set([`./${name.slice(name.lastIndexOf('/') + 1)}`, `./${name}`])];
  for (const n of names) {
    const js = new URL(`${n}.js`, import.meta.url);
    if (existsSync(fileURLToPath(js))) return new Worker(js, opts);
  }
  const ts = names.map((n) => new URL(`${n}.ts`, import.meta.url)).find((u) => existsSync(fileURLToPath(u)));
  if (!ts) return undefined;
  let tsx: string;
  try {
    tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  } catch {
    return undefined;
  }
  const boot = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(ts.href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), opts);
}

/** One result per task, in task order. */
export interface PoolOutput {
  results: HashResult[];
  /** The batches, aligned with `results`. */
  batches: HashTask[][];
}

export async function hashFiles(tasks: readonly HashTask[], opts: HashPoolOptions = {}): Promise<PoolOutput> {
  const parts = batches(tasks);
  const totalBytes = tasks.reduce((s, t) => s + t.entry.size, 0);
  const threads = Math.max(1, Math.min(opts.threads ?? Math.min(availableParallelism(), 4), parts.length));
  const results = new Array<HashResult>(parts.length);
  let doneFiles = 0;
  let doneBytes = 0;
  const report = (b: HashTask[], r: HashResult): void => {
    doneFiles += b.length;
    for (const s of r.sizes) doneBytes += s;
    opts.onProgress?.(doneFiles, doneBytes);
  };

  if (parts.length === 0) return { results: [], batches: [] };
  const small = totalBytes < (opts.inlineBytes ?? 64 << 20) && tasks.length < (opts.inlineFiles ?? 4096);
  const workers = threads < 2 || small ? [] : Array.from({ length: threads }, () => startWorker('hash-worker', WORKER_MARK)).filter((w) => w !== undefined);
  if (workers.length === 0) {
    const hash = makeHasher(await xxhashApi());
    parts.forEach((b, i) => {
      const r = hash(jobOf(b));
      results[i] = r;
      report(b, r);
    });
    return { results, batches: parts };
  }

  try {
    let next = 0;
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            let inFlight = 0;
            const send = (): void => {
              while (inFlight < 2 && next < parts.length) {
                const id = next++;
                inFlight++;
                w.postMessage({ id, job: jobOf(parts[id] as HashTask[]) });
              }
              if (inFlight === 0) resolve();
            };
            w.on('message', (msg: { id: number; result: HashResult }) => {
              inFlight--;
              results[msg.id] = msg.result;
              report(parts[msg.id] as HashTask[], msg.result);
              send();
            });
            w.on('error', reject);
            w.on('exit', (code) => {
              if (inFlight > 0 || next < parts.length) reject(new Error(`hash worker exited (${code})`));
            });
            send();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return { results, batches: parts };
}
