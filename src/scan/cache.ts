/**
 * The incremental digest cache (issue 6): for repeated runs over the same build (CI re-runs, the hook),
 * a file whose identity and status are unchanged is not read again.
 *
 * An entry is keyed by the canonical path (the real install dir plus the relative path) together with
 * device, inode, size, mtime and ctime in nanoseconds, and it is used only when all of them are equal.
 * ctime cannot be set by a user (utimes sets mtime and atime only) and is set to "now" when an inode is
 * created or changed, so a file rewritten in place, replaced, or deleted and recreated on a reused inode
 * has a new ctime even when its size and mtime were made equal.
 *
 * Coarse timestamps break that when the change happens in the same timestamp tick as the cached status.
 * The racy-entry rule (git's index has the same one) closes it: an entry is stored only when its mtime
 * and ctime are older than the scan's start by more than `RACY_MARGIN_NS`, longer than any file system's
 * tick we know (ext4/xfs/btrfs: 1 ns, older ones 1 s, FAT 2 s). Any change after the scan started then
 * gets a later timestamp than the stored one. Files changed shortly before a scan are simply hashed
 * again next time. Residual risk, documented in docs/performance.md: a wall clock set backwards, or a
 * network file system whose server clock lags the client by more than the margin.
 *
 * One cache file per install dir: a binary file with a checksum. A damaged, truncated, foreign or
 * unknown-version file is ignored, never trusted; it is replaced atomically (write then rename), so
 * concurrent runs each leave a whole file and the last one wins.
 */
import { mkdirSync, readFileSync, realpathSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { digest, type Digest, type Entry } from '../model.js';
import { xxhashApi } from '../util/hash.js';

/** Longer than the coarsest timestamp tick of a file system we may meet (FAT: 2 s). */
export const RACY_MARGIN_NS = 3_000_000_000n;

const MAGIC = 'STFXDC01';
const RECORD_BYTES = 6 * 8;

/** `$XDG_CACHE_HOME/stagefix` when set to an absolute path, else `~/.cache/stagefix` (XDG base dir spec). */
export function defaultCacheDir(env: Readonly<Record<string, string | undefined>>, home: string = homedir()): string {
  const xdg = env['XDG_CACHE_HOME'];
  return xdg && xdg.startsWith('/') ? join(xdg, 'stagefix') : join(home, '.cache', 'stagefix');
}

interface Cached {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  hash: bigint;
}

interface PartCache {
  installDir: string;
  file: string;
  loaded: Map<string, Cached>;
  /** What the next cache file holds: entries used or hashed in this run. */
  next: Map<string, Cached>;
}

export interface CacheStats {
  hits: number;
  misses: number;
  /** Entries written; racy ones (changed just before the scan) are not. */
  stored: number;
  /** Cache files found damaged and ignored. */
  damaged: number;
  /** Why saving failed, when it did; the scan result does not depend on it. */
  saveError?: string;
}

const sameStatus = (c: Cached, e: Entry): boolean =>
  c.ino === e.ino && c.dev === e.dev && c.size === BigInt(e.size) && c.mtimeNs === e.mtimeNs && c.ctimeNs === e.ctimeNs;

const hex16 = (n: bigint): string => n.toString(16).padStart(16, '0');

export class DigestCache {
  readonly stats: CacheStats = { hits: 0, misses: 0, stored: 0, damaged: 0 };
  private readonly parts = new Map<string, PartCache>();

  private constructor(
    readonly dir: string,
    private readonly checksum: (b: Uint8Array) => bigint,
    readonly startNs: bigint,
  ) {}

  /**
   * @param dir the cache directory (see `defaultCacheDir`).
   * @param startNs when the scan started, in ns since the epoch; entries not older than this by
   *   `RACY_MARGIN_NS` are never stored (and never trusted when read).
   */
  static async open(dir: string, startNs: bigint = BigInt(Date.now()) * 1_000_000n): Promise<DigestCache> {
    const { h64Raw } = await xxhashApi();
    return new DigestCache(dir, (b) => h64Raw(b), startNs);
  }

  private racy(mtimeNs: bigint, ctimeNs: bigint): boolean {
    const limit = this.startNs - RACY_MARGIN_NS;
    return mtimeNs >= limit || ctimeNs >= limit;
  }

  private part(installDir: string): PartCache {
    let p = this.parts.get(installDir);
    if (p) return p;
    let canonical = installDir;
    try {
      canonical = realpathSync(installDir);
    } catch {
      // An unresolvable dir has nothing to look up; entries are keyed by the name given.
    }
    const file = join(this.dir, 'digests', `${hex16(this.checksum(Buffer.from(canonical)))}.bin`);
    p = { installDir: canonical, file, loaded: this.load(file, canonical), next: new Map() };
    this.parts.set(installDir, p);
    return p;
  }

  private load(file: string, installDir: string): Map<string, Cached> {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      return new Map();
    }
    const out = decode(bytes, installDir, this.checksum);
    if (!out) {
      this.stats.damaged++;
      return new Map();
    }
    // Defensive: an entry that the racy rule should have kept out is not trusted either.
    for (const [k, c] of out) if (this.racy(c.mtimeNs, c.ctimeNs)) out.delete(k);
    return out;
  }

  /** The digest of `rel` in `installDir` when its status is exactly the cached one. */
  lookup(installDir: string, rel: string, e: Entry): Digest | undefined {
    const p = this.part(installDir);
    const c = p.loaded.get(rel);
    if (c && sameStatus(c, e)) {
      this.stats.hits++;
      p.next.set(rel, c);
      return digest(`xxh64:${hex16(c.hash)}`);
    }
    this.stats.misses++;
    return undefined;
  }

  /** Remembers a digest just computed from the file whose status the walk saw as `e`. */
  record(installDir: string, rel: string, e: Entry, d: Digest): void {
    if (!d.startsWith('xxh64:') || this.racy(e.mtimeNs, e.ctimeNs)) return;
    this.part(installDir).next.set(rel, {
      dev: e.dev,
      ino: e.ino,
      size: BigInt(e.size),
      mtimeNs: e.mtimeNs,
      ctimeNs: e.ctimeNs,
      hash: BigInt(`0x${d.slice(6)}`),
    });
  }

  /** Writes every touched part's cache file, atomically. Never throws: a cache is only an optimisation. */
  save(): CacheStats {
    try {
      mkdirSync(join(this.dir, 'digests'), { recursive: true, mode: 0o700 });
      for (const p of this.parts.values()) {
        if (p.next.size === 0 && p.loaded.size === 0) continue;
        const bytes = encode(p.installDir, this.startNs, p.next, this.checksum);
        const tmp = `${p.file}.${randomBytes(8).toString('hex')}.tmp`;
        try {
          writeFileSync(tmp, bytes, { mode: 0o600 });
          renameSync(tmp, p.file);
        } catch (e) {
          try {
            unlinkSync(tmp);
          } catch {
            // Nothing was written.
          }
          throw e;
        }
        this.stats.stored += p.next.size;
      }
    } catch (e) {
      this.stats.saveError = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    }
    return this.stats;
  }
}

/**
 * Layout: MAGIC, u32 length + install dir (UTF-8), i64 written-at ns, u32 count, then per entry
 * u32 length + relative path, dev, ino, size, mtimeNs, ctimeNs, xxh64 (64-bit each); last, the
 * xxh64 of everything before it.
 */
export function encode(installDir: string, startNs: bigint, entries: Map<string, Cached>, checksum: (b: Uint8Array) => bigint): Buffer {
  const dirBytes = Buffer.from(installDir);
  const names = [...entries.keys()].map((k) => Buffer.from(k));
  const size = MAGIC.length + 4 + dirBytes.length + 8 + 4 + names.reduce((s, n) => s + 4 + n.length + RECORD_BYTES, 0) + 8;
  const buf = Buffer.alloc(size);
  let o = buf.write(MAGIC, 0, 'latin1');
  o = buf.writeUInt32LE(dirBytes.length, o);
  o += dirBytes.copy(buf, o);
  o = buf.writeBigInt64LE(startNs, o);
  o = buf.writeUInt32LE(entries.size, o);
  let i = 0;
  for (const c of entries.values()) {
    const n = names[i++] as Buffer;
    o = buf.writeUInt32LE(n.length, o);
    o += n.copy(buf, o);
    for (const v of [c.dev, c.ino, c.size, c.mtimeNs, c.ctimeNs, c.hash]) o = buf.writeBigInt64LE(BigInt.asIntN(64, v), o);
  }
  buf.writeBigUInt64LE(checksum(buf.subarray(0, o)), o);
  return buf;
}

/** The entries, or undefined when the file is not a whole, current-format cache for `installDir`. */
export function decode(buf: Buffer, installDir: string, checksum: (b: Uint8Array) => bigint): Map<string, Cached> | undefined {
  try {
    if (buf.length < MAGIC.length + 24 || buf.toString('latin1', 0, MAGIC.length) !== MAGIC) return undefined;
    const body = buf.subarray(0, buf.length - 8);
    if (checksum(body) !== buf.readBigUInt64LE(buf.length - 8)) return undefined;
    let o = MAGIC.length;
    const dirLen = buf.readUInt32LE(o);
    o += 4;
    if (buf.toString('utf8', o, o + dirLen) !== installDir) return undefined;
    o += dirLen + 8;
    const count = buf.readUInt32LE(o);
    o += 4;
    const out = new Map<string, Cached>();
    // `readBigUInt64LE` for ino/dev/size/hash restores them as lstat reports them (unsigned).
    const u = (): bigint => {
      const v = buf.readBigUInt64LE(o);
      o += 8;
      return v;
    };
    const s = (): bigint => {
      const v = buf.readBigInt64LE(o);
      o += 8;
      return v;
    };
    for (let i = 0; i < count; i++) {
      const n = buf.readUInt32LE(o);
      o += 4;
      if (o + n + RECORD_BYTES > body.length) return undefined;
      const rel = buf.toString('utf8', o, o + n);
      o += n;
      out.set(rel, { dev: u(), ino: u(), size: u(), mtimeNs: s(), ctimeNs: s(), hash: u() });
    }
    return o === body.length ? out : undefined;
  } catch {
    return undefined;
  }
}
