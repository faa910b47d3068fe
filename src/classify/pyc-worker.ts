/**
 * Fingerprints a batch of pycs in a worker thread (`pyc-pool.ts`): reads each file itself, confined
 * like the main thread's reads (`readConfinedSync`: the path is one the scan saw as a regular file, no
 * final symlink, same inode and size), and sends back only the small facts, never file contents.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { scratchReader } from '../scan/file-source.js';
import { pycCodec, pycFacts } from './pyc-facts.js';

/** Files to fingerprint: absolute paths checked by the main thread, and what the scan saw of each. */
export interface PycJob {
  abs: string[];
  dev: bigint[];
  ino: bigint[];
  size: number[];
}

/** Facts are derived from a pyc's bytes at once and keep none of them, so one buffer serves every read. */
const readScratch = scratchReader();

/** Per file, its facts as `pycCodec` encodes them, or null: unreadable here, the main thread reads it. */
export function runPycJob(job: PycJob): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < job.abs.length; i++) {
    let bytes: Uint8Array;
    try {
      bytes = readScratch(job.abs[i] as string, { dev: job.dev[i] as bigint, ino: job.ino[i] as bigint, size: job.size[i] as number });
    } catch {
      // The main thread repeats the read and reports the error exactly as it would have.
      out.push(null);
      continue;
    }
    out.push(pycCodec.encode(pycFacts(bytes)));
  }
  return out;
}

/** Marks the worker entry so importing this module for `runPycJob` never starts a message loop. */
export const PYC_WORKER_MARK = 'stagefix-pyc-worker';

const port = parentPort;
if (port && (workerData as { mark?: string } | undefined)?.mark === PYC_WORKER_MARK) {
  port.on('message', (msg: { id: number; job: PycJob }) => {
    port.postMessage({ id: msg.id, facts: runPycJob(msg.job) });
  });
}
