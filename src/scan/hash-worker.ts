/**
 * Hashing a batch of files with synchronous reads into one reused buffer: no per-file allocation,
 * no per-file promise, memory bounded by the buffer however large a file is. Runs in a worker thread
 * (`hash-pool.ts`) for big scans and inline for small ones. Each file is opened without following a
 * final symlink and fstat()ed after reading: the digest is kept only when the file is still the one the
 * walk saw (same inode, size, mtime and ctime), otherwise the file changed during the scan.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { toFsPath } from '../util/fsname.js';
import { parentPort, workerData } from 'node:worker_threads';
import { xxhashApi } from '../util/hash.js';

/** Per file, as the walk saw it; the worker compares its fstat against these. */
export interface HashJob {
  paths: string[];
  /** Five values per file: dev, ino, size, mtimeNs, ctimeNs (as signed 64-bit). */
  expect: BigInt64Array;
}

export const HashStatus = { Ok: 0, Unreadable: 1, Changed: 2 } as const;

export interface HashResult {
  /** xxh64 per file; meaningful only where status is Ok. */
  digests: BigUint64Array;
  status: Uint8Array;
  /** errno code per unreadable file (empty string otherwise). */
  codes: string[];
  /** Bytes read per file. */
  sizes: Float64Array;
  /** The first `HEAD_BYTES` of each file (fewer when `sizes` is smaller): rules read pyc headers. */
  heads: Uint8Array;
}

/** How much of each file's start a hash job returns (a pyc header). */
export const HEAD_BYTES = 16;

type Api = Awaited<ReturnType<typeof xxhashApi>>;

/** 1 MiB: large enough that almost every file is one read() and one h64Raw call. */
const BUFFER_BYTES = 1 << 20;

export function makeHasher(api: Api): (job: HashJob) => HashResult {
  const buf = Buffer.allocUnsafe(BUFFER_BYTES);
  const flags = constants.O_RDONLY | constants.O_NOFOLLOW;
  return (job) => {
    const n = job.paths.length;
    const out: HashResult = {
      digests: new BigUint64Array(n),
      status: new Uint8Array(n),
      codes: new Array<string>(n).fill(''),
      sizes: new Float64Array(n),
      heads: new Uint8Array(n * HEAD_BYTES),
    };
    for (let i = 0; i < n; i++) {
      let fd: number | undefined;
      try {
        fd = openSync(toFsPath(job.paths[i] as string), flags);
        let got = readSync(fd, buf, 0, BUFFER_BYTES, null);
        let total = got;
        out.heads.set(buf.subarray(0, Math.min(got, HEAD_BYTES)), i * HEAD_BYTES);
        let digest: bigint;
        if (got < BUFFER_BYTES) {
          // A short read of a regular file is its end; the fstat below confirms the size.
          digest = api.h64Raw(buf.subarray(0, got));
        } else {
          const h = api.create64();
          h.update(buf);
          while ((got = readSync(fd, buf, 0, BUFFER_BYTES, null)) > 0) {
            h.update(got === BUFFER_BYTES ? buf : buf.subarray(0, got));
            total += got;
          }
          digest = h.digest();
        }
        const st = fstatSync(fd, { bigint: true });
        const e = i * 5;
        const same =
          BigInt.asIntN(64, st.dev) === job.expect[e] &&
          BigInt.asIntN(64, st.ino) === job.expect[e + 1] &&
          st.size === job.expect[e + 2] &&
          BigInt(total) === st.size &&
          st.mtimeNs === job.expect[e + 3] &&
          st.ctimeNs === job.expect[e + 4];
        out.digests[i] = digest;
        out.sizes[i] = total;
        out.status[i] = same ? HashStatus.Ok : HashStatus.Changed;
      } catch (err) {
        out.status[i] = HashStatus.Unreadable;
        out.codes[i] = (err as NodeJS.ErrnoException).code ?? 'error';
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    }
    return out;
  };
}

/** Marks the worker entry so importing this module for `makeHasher` never starts a message loop. */
export const WORKER_MARK = 'stagefix-hash-worker';

const port = parentPort;
// Not a top-level await: the CLI's bundle, which imports this module for `makeHasher`, is CommonJS.
// Messages wait in the port until the listener is on.
if (port && (workerData as { mark?: string } | undefined)?.mark === WORKER_MARK) {
  void xxhashApi().then((api) => {
    const hash = makeHasher(api);
    port.on('message', (msg: { id: number; job: HashJob }) => {
      const r = hash(msg.job);
      port.postMessage({ id: msg.id, result: r }, [r.digests.buffer as ArrayBuffer, r.status.buffer as ArrayBuffer, r.sizes.buffer as ArrayBuffer, r.heads.buffer as ArrayBuffer]);
    });
  });
}
