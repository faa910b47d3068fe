/**
 * The on-disk FileSource the classifier reads through. Reads are confined: a path is read only when
 * the scan saw it as a regular file and every parent component as a real directory, and the final
 * open refuses symlinks (O_NOFOLLOW), so nothing a part ships can redirect a read outside its tree.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { FsError } from '../errors.js';
import type { FileSource } from '../classify/types.js';
import type { Digest, Entry, PartName, Project } from '../model.js';
import { xxh64Bytes } from '../util/hash.js';
import { toFsPath } from '../util/fsname.js';
import type { PartScan, ScanResult } from './scan.js';
import { hitHead, type DigestCache } from './cache.js';
import { HEAD_BYTES } from './hash-worker.js';

/** Rules never need more than this of one file; larger reads are refused rather than exhausting memory. */
export const MAX_CLASSIFY_READ = 64 * 1024 * 1024;

export class DiskFileSource implements FileSource {
  readonly project: Project;
  readonly parts: readonly PartName[];
  private readonly byName = new Map<string, PartScan>();
  private readonly childIndex = new Map<string, Map<string, string[]>>();

  /** @param cache where header reads are remembered for the next run (`analyse` saves it afterwards). */
  constructor(
    private readonly result: ScanResult,
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

  private checkConfined(p: PartScan, path: string): Entry {
    const parts = path.split('/');
    if (parts.some((c) => c === '' || c === '.' || c === '..')) {
      throw new FsError(join(p.spec.installDir, path), 'refusing a non-normalised path');
    }
    for (let i = 1; i < parts.length; i++) {
      const parent = p.entries.get(parts.slice(0, i).join('/'));
      if (parent?.type !== 'dir') {
        throw new FsError(join(p.spec.installDir, path), 'refusing to read through a symlinked or missing directory');
      }
    }
    const e = p.entries.get(path);
    if (e?.type !== 'file') throw new FsError(join(p.spec.installDir, path), 'not a regular file in the scan');
    return e;
  }

  async read(part: PartName, path: string): Promise<Uint8Array> {
    const p = this.part(part);
    const e = this.checkConfined(p, path);
    const abs = join(p.spec.installDir, path);
    if (e.size > MAX_CLASSIFY_READ) throw new FsError(abs, `file is ${e.size} bytes, larger than rules read`);
    let fh;
    try {
      fh = await open(toFsPath(abs), constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (err) {
      throw new FsError(abs, `cannot open (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    try {
      const st = await fh.stat({ bigint: true });
      if (st.ino !== e.ino || st.dev !== e.dev) throw new FsError(abs, 'file was replaced while scanning');
      // Read at most what the scan saw plus one byte, so growth is detected without unbounded reads.
      const buf = Buffer.alloc(e.size + 1);
      let off = 0;
      for (;;) {
        const { bytesRead } = await fh.read(buf, off, buf.length - off, off);
        if (bytesRead === 0) break;
        off += bytesRead;
        if (off === buf.length) break;
      }
      if (off !== e.size) throw new FsError(abs, `file changed size while scanning (${e.size} → ${off === buf.length ? 'more' : off} bytes)`);
      return buf.subarray(0, off);
    } finally {
      await fh.close();
    }
  }

  /**
   * Synchronous on purpose: a header read is four system calls on a cached page, and a promise per call
   * costs several times that (integrity rules read the header of every staged pyc).
   */
  async head(part: PartName, path: string, n: number): Promise<Uint8Array> {
    const p = this.part(part);
    const e = this.checkConfined(p, path);
    // Known from the hash pass or the cache (read while the file had exactly this status).
    const known = p.heads.get(path) ?? (p.cacheHits ? hitHead(p.cacheHits, path) : undefined);
    if (known && (n <= known.length || known.length === e.size)) return known.subarray(0, n);
    const abs = join(p.spec.installDir, path);
    let fd: number;
    try {
      fd = openSync(toFsPath(abs), constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (err) {
      throw new FsError(abs, `cannot open (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    try {
      const st = fstatSync(fd, { bigint: true });
      if (st.ino !== e.ino || st.dev !== e.dev) throw new FsError(abs, 'file was replaced while scanning');
      const buf = Buffer.alloc(Math.min(n, e.size));
      let off = 0;
      while (off < buf.length) {
        const got = readSync(fd, buf, off, buf.length - off, off);
        if (got === 0) break;
        off += got;
      }
      if (off < buf.length) throw new FsError(abs, `file changed size while scanning (${e.size} → ${off} bytes)`);
      if (n <= HEAD_BYTES) {
        const head = buf.subarray(0, Math.min(n, HEAD_BYTES));
        p.heads.set(path, head);
        this.cache?.record(p.spec.installDir, path, e, { head });
      }
      return buf;
    } finally {
      closeSync(fd);
    }
  }

  async digest(part: PartName, path: string): Promise<Digest> {
    const p = this.part(part);
    const known = p.digests.get(path);
    if (known) return known;
    const d = await xxh64Bytes(await this.read(part, path));
    p.digests.set(path, d);
    return d;
  }
}
