/**
 * The on-disk FileSource the classifier and the integrity rules read through. Reads are confined: a path
 * is read only when the scan saw it as a regular file and every parent component as a real directory,
 * the open refuses symlinks (O_NOFOLLOW), and the file must still be the scanned inode and size, so
 * nothing a part ships can redirect a read outside its tree.
 *
 * Reads are synchronous. An async read is four libuv round trips (open, fstat, read, close) and the
 * rules await each one in turn, so on a big scan the main thread sat idle most of the time; a read here
 * is the same four system calls, done in place on what is almost always a cached page.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { FsError } from '../errors.js';
import type { FileSource } from '../classify/types.js';
import type { Digest, Entry, PartName, Project } from '../model.js';
import { xxh64Digest, xxhashApi } from '../util/hash.js';
import { toFsPath } from '../util/fsname.js';
import { digestOf, type PartScan, type ScanResult } from './scan.js';
import { hitDerived, hitHead, type DigestCache } from './cache.js';
import { HEAD_BYTES, HashStatus, makeHasher, type HashJob, type HashResult } from './hash-worker.js';
import { jobOf } from './hash-pool.js';

/** Rules never need more than this of one file; larger reads are refused rather than exhausting memory. */
export const MAX_CLASSIFY_READ = 64 * 1024 * 1024;

/**
 * `scratchReader` reads files smaller than this into one reused buffer. Rules read about 300 MB of
 * text files on the bench's mixed tree, besides the pycs they fingerprint: as a new buffer each, the
 * dead ones piled up between collections and left the allocator holding tens of megabytes once freed.
 */
const SCRATCH_MAX = 4 * 1024 * 1024;
const SCRATCH_MIN = 64 * 1024;

/** A file the scan saw as a regular file, with the absolute path that reads it. */
export interface ConfinedFile {
  abs: string;
  entry: Entry;
}

/**
 * Where `path` of `part` may be read from, or an FsError: the path is normalised, every parent is a
 * directory in the scan and the path itself a regular file (no larger than `MAX_CLASSIFY_READ` unless
 * only its head is wanted).
 */
export function confinedFile(
  source: Pick<FileSource, 'installDir' | 'entry'> & { realDir?(part: PartName, dir: string): boolean },
  part: PartName,
  path: string,
  whole = true,
): ConfinedFile {
  const dir = source.installDir(part);
  if (path === '' || path.startsWith('/') || path.endsWith('/') || path.includes('//') || /(^|\/)\.\.?(\/|$)/.test(path)) {
    throw new FsError(join(dir, path), 'refusing a non-normalised path');
  }
  const slash = path.lastIndexOf('/');
  const parentOk = source.realDir
    ? slash < 0 || source.realDir(part, path.slice(0, slash))
    : everyParentIsDir(source, part, path);
  if (!parentOk) throw new FsError(join(dir, path), 'refusing to read through a symlinked or missing directory');
  const entry = source.entry(part, path);
  if (entry?.type !== 'file') throw new FsError(join(dir, path), 'not a regular file in the scan');
  const abs = join(dir, path);
  if (whole && entry.size > MAX_CLASSIFY_READ) throw new FsError(abs, `file is ${entry.size} bytes, larger than rules read`);
  return { abs, entry };
}

function everyParentIsDir(source: Pick<FileSource, 'entry'>, part: PartName, path: string): boolean {
  for (let slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
    if (source.entry(part, path.slice(0, slash))?.type !== 'dir') return false;
  }
  return true;
}

/** Opens `abs` without following a final symlink and hands over the descriptor if it is still the scanned inode. */
function withConfinedFd<T>(abs: string, expect: { dev: bigint; ino: bigint }, use: (fd: number, size: bigint) => T): T {
  let fd: number;
  try {
    fd = openSync(toFsPath(abs), constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    throw new FsError(abs, `cannot open (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const st = fstatSync(fd, { bigint: true });
    if (st.ino !== expect.ino || st.dev !== expect.dev) throw new FsError(abs, 'file was replaced while scanning');
    return use(fd, st.size);
  } finally {
    closeSync(fd);
  }
}

/** Reads into all of `buf` from `position`; fewer bytes only at the end of the file. */
function readFully(fd: number, buf: Buffer, position: number): number {
  let off = 0;
  while (off < buf.length) {
    const got = readSync(fd, buf, off, buf.length - off, position + off);
    if (got === 0) break;
    off += got;
  }
  return off;
}

/**
 * The first `n` bytes of a file (all of it by default), checked against what the scan saw: the same
 * inode, and the same size (a whole read asks for one byte more, so growth is seen without unbounded reads).
 */
export function readConfinedSync(abs: string, expect: { dev: bigint; ino: bigint; size: number }, n = expect.size, into?: Buffer): Buffer {
  return withConfinedFd(abs, expect, (fd) => {
    const whole = n >= expect.size;
    const want = whole ? expect.size : n;
    const len = whole ? want + 1 : want;
    const buf = into && into.length >= len ? into.subarray(0, len) : Buffer.allocUnsafe(len);
    const off = readFully(fd, buf, 0);
    if (off !== want) throw new FsError(abs, `file changed size while scanning (${expect.size} → ${off === buf.length ? 'more' : off} bytes)`);
    return buf.subarray(0, off);
  });
}

/**
 * A whole confined read into one buffer reused from call to call (grown to the largest file read, up
 * to `SCRATCH_MAX`; larger files get their own): the bytes are valid until the next call.
 */
export function scratchReader(): (abs: string, expect: { dev: bigint; ino: bigint; size: number }) => Buffer {
  let scratch: Buffer | undefined;
  return (abs, expect) => {
    if (expect.size >= SCRATCH_MAX) return readConfinedSync(abs, expect);
    if (!scratch || scratch.length <= expect.size) scratch = Buffer.allocUnsafe(Math.max(SCRATCH_MIN, 2 ** Math.ceil(Math.log2(expect.size + 1))));
    return readConfinedSync(abs, expect, expect.size, scratch);
  };
}

/** `n` bytes from `offset`, which must lie within the scanned size, of a file that still has that size. */
export function readConfinedRangeSync(abs: string, expect: { dev: bigint; ino: bigint; size: number }, offset: number, n: number): Buffer {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(n) || offset < 0 || n < 0 || offset + n > expect.size) {
    throw new FsError(abs, `bytes ${offset} to ${offset + n} lie outside the file's ${expect.size}`);
  }
  return withConfinedFd(abs, expect, (fd, size) => {
    if (size !== BigInt(expect.size)) throw new FsError(abs, `file changed size while scanning (${expect.size} → ${size} bytes)`);
    const buf = Buffer.allocUnsafe(n);
    if (readFully(fd, buf, offset) !== n) throw new FsError(abs, `file changed size while scanning (${expect.size} → fewer bytes)`);
    return buf;
  });
}

export class DiskFileSource implements FileSource {
  readonly project: Project;
  readonly parts: readonly PartName[];
  private readonly byName = new Map<string, PartScan>();
  private readonly childIndex = new Map<string, Map<string, string[]>>();
  /** Per part, directories known to be real directories all the way up (or not): each is checked once. */
  private readonly dirs = new Map<string, Map<string, boolean>>();
  private hasher?: Promise<(job: HashJob) => HashResult>;
  private readScratch?: ReturnType<typeof scratchReader>;

  /** @param cache where header reads are remembered for the next run (`analyse` saves it afterwards). */
  constructor(
    result: ScanResult,
    private readonly cache?: DigestCache,
  ) {
    this.project = result.project;
    this.parts = result.parts.map((p) => p.spec.name);
    for (const p of result.parts) this.byName.set(p.spec.name, p);
  }

  private part(name: PartName): PartScan {
    const p = this.byName.get(name);
    if (!p) throw new FsError(name, 'unknown part');
    return p;
  }

  entry(part: PartName, path: string): Entry | undefined {
    return this.byName.get(part)?.entries.get(path);
  }

  installDir(part: PartName): string {
    return this.part(part).spec.installDir;
  }

  /** `dir` and every directory above it are real directories in the scan (no symlink on the way). */
  realDir(part: PartName, dir: string): boolean {
    let known = this.dirs.get(part);
    if (!known) this.dirs.set(part, (known = new Map()));
    let ok = known.get(dir);
    if (ok === undefined) {
      const slash = dir.lastIndexOf('/');
      ok = this.entry(part, dir)?.type === 'dir' && (slash < 0 || this.realDir(part, dir.slice(0, slash)));
      known.set(dir, ok);
    }
    return ok;
  }

  children(part: PartName, dir: string): string[] {
    let index = this.childIndex.get(part);
    if (!index) {
      index = new Map();
      for (const path of this.part(part).entries.keys()) {
        const slash = path.lastIndexOf('/');
        const parent = slash < 0 ? '' : path.slice(0, slash);
        const name = path.slice(slash + 1);
        const list = index.get(parent);
        if (list) list.push(name);
        else index.set(parent, [name]);
      }
      this.childIndex.set(part, index);
    }
    return index.get(dir) ?? [];
  }

  async read(part: PartName, path: string): Promise<Uint8Array> {
    const f = confinedFile(this, part, path);
    return readConfinedSync(f.abs, f.entry);
  }

  async readWith<T>(part: PartName, path: string, use: (bytes: Uint8Array) => T): Promise<T> {
    const f = confinedFile(this, part, path);
    // `use` runs before this returns, so no other read can have reused the buffer under it.
    return use((this.readScratch ??= scratchReader())(f.abs, f.entry));
  }

  async range(part: PartName, path: string, offset: number, n: number): Promise<Uint8Array> {
    const f = confinedFile(this, part, path, false);
    return readConfinedRangeSync(f.abs, f.entry, offset, n);
  }

  async head(part: PartName, path: string, n: number): Promise<Uint8Array> {
    const p = this.part(part);
    // Known from the hash pass or the cache (read while the file had exactly this status). Only walked
    // paths have one, and a walk reaches a file through real directories only: no confinement to check.
    const e = p.entries.get(path);
    const known = e?.type === 'file' ? (p.heads.get(path) ?? (p.cacheHits ? hitHead(p.cacheHits, path, e) : undefined)) : undefined;
    if (e && known && (n <= known.length || known.length === e.size)) return known.subarray(0, n);
    const f = confinedFile(this, part, path, false);
    const head = readConfinedSync(f.abs, f.entry, n);
    if (n <= HEAD_BYTES) {
      p.heads.set(path, head);
      this.cache?.record(p.spec.installDir, path, f.entry, { head });
    }
    return head;
  }

  derived(kind: string, part: PartName, path: string): unknown {
    const p = this.byName.get(part);
    return p?.cacheHits ? hitDerived(p.cacheHits, path, p.entries.get(path), kind) : undefined;
  }

  remember(kind: string, part: PartName, path: string, value: unknown): void {
    const p = this.byName.get(part);
    const e = p?.entries.get(path);
    if (p && e?.type === 'file') this.cache?.record(p.spec.installDir, path, e, { derived: { [kind]: value } });
  }

  async digest(part: PartName, path: string): Promise<Digest> {
    const p = this.part(part);
    const known = digestOf(p, path);
    if (known) return known;
    // Streamed through one reused buffer, as the scan hashes: a rule asking for the digest of a large
    // library must not hold it whole (nor leave the allocator a high-water mark of its size).
    const f = confinedFile(this, part, path, false);
    const r = (await (this.hasher ??= xxhashApi().then(makeHasher)))(jobOf([{ dir: p.spec.installDir, rel: path, entry: f.entry }]));
    if (r.status[0] === HashStatus.Unreadable) throw new FsError(f.abs, `cannot open (${r.codes[0] ?? 'error'})`);
    if (r.status[0] === HashStatus.Changed) throw new FsError(f.abs, 'file changed while scanning');
    const d = xxh64Digest(r.digests[0] as bigint);
    p.digests.set(path, d);
    // Rules ask for digests of files the scan did not hash (a different size elsewhere): kept too.
    this.cache?.record(p.spec.installDir, path, f.entry, { digest: d });
    return d;
  }
}
