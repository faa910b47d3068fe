/**
 * Synchronous confined reads for classification. `DiskFileSource.read` costs four libuv round trips
 * (open, fstat, read, close) per file, and classification awaited each one in turn: the main thread sat
 * idle for most of a big scan. Here a read is the same four system calls, done in place on what is
 * almost always a cached page. Confinement is exactly `DiskFileSource.read`'s: the scan saw the path as
 * a regular file under real directories, the open refuses a final symlink (O_NOFOLLOW), the inode must
 * be the scanned one and the size must not have changed.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { FsError } from '../errors.js';
import type { Digest, Entry, PartName, Project } from '../model.js';
import { MAX_CLASSIFY_READ, type DiskFileSource } from '../scan/file-source.js';
import type { PartScan, ScanResult } from '../scan/scan.js';
import { toFsPath } from '../util/fsname.js';
import { xxh64Bytes } from '../util/hash.js';
import type { FileSource } from './types.js';

/** A file the scan saw as a regular file, with the absolute path that reads it. */
export interface ConfinedFile {
  abs: string;
  entry: Entry;
}

/**
 * Where `path` of `part` may be read from, or an FsError (same messages as `DiskFileSource`): the path
 * is normalised, every parent is a directory in the scan and the path itself a regular file.
 */
export function confinedFile(source: FileSource, part: PartName, path: string): ConfinedFile {
  const dir = source.installDir(part);
  if (path === '' || path.startsWith('/') || path.endsWith('/') || path.includes('//') || /(^|\/)\.\.?(\/|$)/.test(path)) {
    throw new FsError(join(dir, path), 'refusing a non-normalised path');
  }
  for (let slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
    if (source.entry(part, path.slice(0, slash))?.type !== 'dir') {
      throw new FsError(join(dir, path), 'refusing to read through a symlinked or missing directory');
    }
  }
  const entry = source.entry(part, path);
  if (entry?.type !== 'file') throw new FsError(join(dir, path), 'not a regular file in the scan');
  const abs = join(dir, path);
  if (entry.size > MAX_CLASSIFY_READ) throw new FsError(abs, `file is ${entry.size} bytes, larger than rules read`);
  return { abs, entry };
}

/** The whole file, checked against what the scan saw; throws FsError like `DiskFileSource.read`. */
export function readConfinedSync(abs: string, expect: { dev: bigint; ino: bigint; size: number }): Buffer {
  let fd: number;
  try {
    fd = openSync(toFsPath(abs), constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    throw new FsError(abs, `cannot open (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const st = fstatSync(fd, { bigint: true });
    if (st.ino !== expect.ino || st.dev !== expect.dev) throw new FsError(abs, 'file was replaced while scanning');
    // At most what the scan saw plus one byte, so growth is detected without unbounded reads.
    const buf = Buffer.allocUnsafe(expect.size + 1);
    let off = 0;
    for (;;) {
      const got = readSync(fd, buf, off, buf.length - off, off);
      if (got === 0) break;
      off += got;
      if (off === buf.length) break;
    }
    if (off !== expect.size) throw new FsError(abs, `file changed size while scanning (${expect.size} → ${off === buf.length ? 'more' : off} bytes)`);
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/**
 * A `DiskFileSource` whose `read` is synchronous underneath (see above); everything else is delegated.
 * Classification wraps the scan's source in one of these. Given the scan, `digest` also reads
 * synchronously what the scan did not hash (files of a size no other part has at that path).
 */
export class SyncDiskSource implements FileSource {
  readonly project: Project;
  readonly parts: readonly PartName[];
  private readonly scans = new Map<string, PartScan>();

  constructor(
    readonly disk: DiskFileSource,
    scan?: ScanResult,
  ) {
    this.project = disk.project;
    this.parts = disk.parts;
    for (const p of scan?.parts ?? []) this.scans.set(p.spec.name, p);
  }

  entry(part: PartName, path: string): Entry | undefined {
    return this.disk.entry(part, path);
  }

  children(part: PartName, dir: string): string[] {
    return this.disk.children(part, dir);
  }

  installDir(part: PartName): string {
    return this.disk.installDir(part);
  }

  read(part: PartName, path: string): Promise<Uint8Array> {
    try {
      const f = confinedFile(this, part, path);
      return Promise.resolve(readConfinedSync(f.abs, f.entry));
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  head(part: PartName, path: string, n: number): Promise<Uint8Array> {
    return this.disk.head(part, path, n);
  }

  async digest(part: PartName, path: string): Promise<Digest> {
    const p = this.scans.get(part);
    if (!p) return this.disk.digest(part, path);
    const known = p.digests.get(path);
    if (known) return known;
    // As DiskFileSource.digest does, kept on the part scan for whoever asks next.
    const d = await xxh64Bytes(await this.read(part, path));
    p.digests.set(path, d);
    return d;
  }
}
