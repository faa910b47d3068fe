/**
 * The incremental digest cache (issue 6): for repeated runs over the same build (CI re-runs, the hook),
 * a file whose identity and status are unchanged is not read again. Per file it keeps what runs read:
 * the xxh64 of a file that shares a path, and the first bytes of a file whose header a rule reads (the
 * pyc header the integrity rules check on every staged pyc).
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
import { mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { digest, type Digest, type Entry } from '../model.js';
import { replaceFileAtomically } from '../util/atomic-file.js';
import { hex16, xxhashApi } from '../util/hash.js';
import { decodeName, encodeName, needsBytes } from '../util/fsname.js';
import { HEAD_BYTES } from './hash-worker.js';
import { ColumnEntry } from './native-walk.js';
import type { WalkRows } from './walk.js';

/** Longer than the coarsest timestamp tick of a file system we may meet (FAT: 2 s). */
export const RACY_MARGIN_NS = 3_000_000_000n;

const MAGIC = 'STFXDC05';
/** A record written without a row (its entry did not come from a C walk). */
const NO_ROW = 0xffffffff;
/** dev, ino, size, mtimeNs, ctimeNs: the status an entry is valid for, compared byte for byte. */
const STATUS_BYTES = 5 * 8;
/** The most of a file's head an entry keeps (a pyc header). */
export { HEAD_BYTES };
/**
 * Status, xxh64 (big-endian, so its hex is the digest's), flags, head length, head; then a u32 length
 * and that many bytes of rule facts as JSON (0 when there are none).
 */
const FIXED_BYTES = STATUS_BYTES + 8 + 1 + 1 + HEAD_BYTES;
/** A u32, little-endian, read without a Buffer view per call (decoding calls it once per record). */
const u32At = (buf: Uint8Array, at: number): number =>
  ((buf[at] as number) | ((buf[at + 1] as number) << 8) | ((buf[at + 2] as number) << 16)) + (buf[at + 3] as number) * 0x1000000;
/** A record's whole length, from where it starts. */
const recordBytes = (buf: Uint8Array, at: number): number => FIXED_BYTES + 4 + u32At(buf, at + FIXED_BYTES);
const HAS_DIGEST = 1;
const HAS_HEAD = 2;

/** What the cache knows about one file. */
export interface Facts {
  digest?: Digest;
  /** The first `min(size, HEAD_BYTES)` bytes. */
  head?: Uint8Array;
  /**
   * What rules derived from the file's bytes (a pyc fingerprint, a RECORD's rows...), as JSON values by
   * kind. A kind names its producer and version (`pyc/1`): a rule that changes what it derives changes
   * the kind, and old values are never read again.
   */
  derived?: Record<string, unknown>;
}

/** `$XDG_CACHE_HOME/stagefix` when set to an absolute path, else `~/.cache/stagefix` (XDG base dir spec). */
export function defaultCacheDir(env: Readonly<Record<string, string | undefined>>, home: string = homedir()): string {
  const xdg = env['XDG_CACHE_HOME'];
  return xdg && xdg.startsWith('/') ? join(xdg, 'stagefix') : join(home, '.cache', 'stagefix');
}

/** Where the cache file for `installDir` lives, keyed by its canonical path. */
export function cacheFileFor(dir: string, installDir: string, checksum: (b: Uint8Array) => bigint): { canonical: string; file: string } {
  let canonical = installDir;
  try {
    canonical = realpathSync(installDir);
  } catch {
    // An unresolvable dir has nothing to look up; entries are keyed by the name given.
  }
  return { canonical, file: join(dir, 'digests', `${hex16(checksum(Buffer.from(canonical)))}.bin`) };
}

/** The racy-entry rule's limit: statuses at or after it (the scan's start less the margin) are neither stored nor trusted. */
export const racyLimitOf = (startNs: bigint): bigint => startNs - RACY_MARGIN_NS;
const isRacy = (limit: bigint, mtimeNs: bigint, ctimeNs: bigint): boolean => mtimeNs >= limit || ctimeNs >= limit;

const scratch = Buffer.alloc(STATUS_BYTES);

/** Where a cache file's records are: found without decoding a name (`index`). */
interface RecordIndex {
  /** xxh64 of the names column of the C walk the rows index, or 0n when the file has no rows. */
  namesKey: bigint;
  /** Where each record's name starts; its status starts at `at`, right after the name. */
  nameAt: Uint32Array;
  at: Uint32Array;
  /** Each record's row in that walk, or `NO_ROW`. */
  row: Uint32Array;
}

/**
 * One install dir's cache file, read-only: what a walk consults for each file it stats. The thread that
 * walks a part (often a worker) loads it, so lookups cost the main thread nothing.
 */
export class CacheSnapshot {
  /** `racyLimitOf` the scan's start, computed once rather than per file. */
  private readonly racyLimit: bigint;
  /** Where each path's record starts, decoded only when a lookup by path needs it. */
  private byName?: Map<string, number>;

  private constructor(
    private readonly buf: Buffer,
    private readonly index: RecordIndex,
    startNs: bigint,
    /** The file existed but was damaged, truncated, foreign or of another format, and is ignored. */
    readonly damaged: boolean,
    private readonly checksum: (b: Uint8Array) => bigint,
  ) {
    this.racyLimit = racyLimitOf(startNs);
  }

  /** Entries in the file. */
  get size(): number {
    return this.index.at.length;
  }

  static load(dir: string, installDir: string, startNs: bigint, checksum: (b: Uint8Array) => bigint): CacheSnapshot {
    const { canonical, file } = cacheFileFor(dir, installDir, checksum);
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      return new CacheSnapshot(Buffer.alloc(0), EMPTY_INDEX, startNs, false, checksum);
    }
    const index = indexRecords(bytes, canonical, checksum);
    return index ? new CacheSnapshot(bytes, index, startNs, false, checksum) : new CacheSnapshot(Buffer.alloc(0), EMPTY_INDEX, startNs, true, checksum);
  }

  private names(): Map<string, number> {
    return (this.byName ??= namesOf(this.buf, this.index));
  }

  /** Where `rel`'s record starts when `e` is exactly the cached status (and not racy). */
  valid(rel: string, e: Entry): number | undefined {
    const at = this.names().get(rel);
    return at !== undefined && this.validAt(at, e) ? at : undefined;
  }

  /** True when the record at `at` holds exactly `e`'s status. */
  private validAt(at: number, e: Entry): boolean {
    // Equal status bytes, and (defensively) not an entry the racy rule should have kept out.
    if (e instanceof ColumnEntry) {
      // A warm run asks this for every file of every part: from the walk's columns, without a BigInt.
      putSize(e.size);
      if (!e.statusAt(this.buf, at, sizeBytes)) return false;
    } else {
      putStatus(scratch, e, 0);
      if (this.buf.compare(scratch, 0, STATUS_BYTES, at, at + STATUS_BYTES) !== 0) return false;
    }
    return !isRacy(this.racyLimit, e.mtimeNs, e.ctimeNs);
  }

  /** What is known of `rel` when `e` is exactly the cached status. */
  lookup(rel: string, e: Entry): Facts | undefined {
    const at = this.valid(rel, e);
    return at === undefined ? undefined : factsAt(this.buf, at);
  }

  /**
   * Every entry valid for the walk's `entries`, as offsets into the file's bytes (cheap to send to another
   * thread). Call it last: the snapshot answers only for these entries afterwards.
   *
   * When `rows` (a C walk's) has the names the file's rows were written for, each record is checked
   * against the entry at its row, and no name is decoded or looked up: on a warm run the map of every
   * cached path cost about as much as the walk's own entries. Whatever a row names, a record is used
   * only when its entry has exactly the recorded status, so the rows can only ever cost hits, never
   * give a wrong one.
   */
  hits(entries: Map<string, Entry>, rows?: WalkRows): CacheHits {
    const buf = this.buf;
    const namesKey = rows ? this.checksum(rows.names) : undefined;
    if (rows && namesKey === this.index.namesKey && namesKey !== 0n) {
      const byRow = new Int32Array(rows.entries.length).fill(-1);
      const { at, row } = this.index;
      let count = 0;
      for (let k = 0; k < at.length; k++) {
        const r = row[k] as number;
        const e = rows.entries[r];
        const o = at[k] as number;
        if (e?.type !== 'file' || !this.validAt(o, e)) continue;
        if ((byRow[r] as number) < 0) count++;
        byRow[r] = o;
      }
      return { buf, byRow, count, namesKey };
    }
    // The snapshot's own map becomes the answer, less what is not valid: a second map cost as much again.
    const at = this.names();
    let byRow: Int32Array | undefined;
    let valid = 0;
    // forEach, not for-of: unoptimised code (most of a short run) makes an iterator result and a
    // [key, value] array per entry for the latter (docs/performance.md, "Warm cache after a change").
    entries.forEach((e, rel) => {
      if (e.type !== 'file') return;
      const o = at.get(rel);
      if (o === undefined) return;
      if (!this.validAt(o, e)) {
        at.delete(rel);
        return;
      }
      valid++;
      if (e instanceof ColumnEntry) (byRow ??= new Int32Array(e.rows).fill(-1))[e.row] = o;
    });
    // Left: records of paths that are gone, or are no longer regular files.
    if (valid < at.size) at.forEach((_, rel) => entries.get(rel)?.type === 'file' || at.delete(rel));
    const out: CacheHits = { buf, at, count: valid };
    if (byRow) out.byRow = byRow;
    if (namesKey !== undefined) out.namesKey = namesKey;
    return out;
  }
}

const EMPTY_INDEX: RecordIndex = { namesKey: 0n, nameAt: new Uint32Array(0), at: new Uint32Array(0), row: new Uint32Array(0) };

/** Each record's path, decoded, and where its status starts. */
function namesOf(buf: Buffer, index: RecordIndex): Map<string, number> {
  const out = new Map<string, number>();
  const { nameAt, at } = index;
  for (let k = 0; k < at.length; k++) {
    const s = nameAt[k] as number;
    const o = at[k] as number;
    // Fast UTF-8 decoding; a name it had to replace bytes in is decoded losslessly instead.
    const name = buf.toString('utf8', s, o);
    out.set(name.includes('\uFFFD') ? decodeName(buf.subarray(s, o)) : name, o);
  }
  return out;
}

/**
 * The entries of one cache file that a walk found valid: the file's bytes and where each valid record
 * starts, by path, by a C walk's row (`ColumnEntry.row`, -1 where none), or both. Look one up with
 * the walk's entry in hand (`hitAt`).
 */
export interface CacheHits {
  buf: Uint8Array;
  at?: Map<string, number>;
  byRow?: Int32Array;
  /** Valid records. */
  count: number;
  /** xxh64 of the names column of the C walk `byRow` indexes: saved with the rows. */
  namesKey?: bigint;
}

/** Where the valid record for `rel` starts (`e`: the walk's entry there), or -1. */
export function hitAt(h: CacheHits, rel: string, e: Entry | undefined): number {
  if (h.byRow && e instanceof ColumnEntry) return h.byRow[e.row] ?? -1;
  return h.at?.get(rel) ?? -1;
}

function factsAt(buf: Uint8Array, at: number): Facts {
  const facts: Facts = {};
  const d = digestAt(buf, at);
  if (d !== undefined) facts.digest = d;
  const head = headAt(buf, at);
  if (head) facts.head = head;
  const derived = derivedAt(buf, at);
  if (derived) facts.derived = derived;
  return facts;
}

function derivedAt(buf: Uint8Array, at: number): Record<string, unknown> | undefined {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const len = b.readUInt32LE(at + FIXED_BYTES);
  if (len === 0) return undefined;
  try {
    const v: unknown = JSON.parse(b.toString('utf8', at + FIXED_BYTES + 4, at + FIXED_BYTES + 4 + len));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    // A checksummed file holds what was written; unreadable JSON is simply not used.
    return undefined;
  }
}

/** A value a rule derived from the file, when the cache has one of this kind. */
export function hitDerived(h: CacheHits, rel: string, e: Entry | undefined, kind: string): unknown {
  const at = hitAt(h, rel, e);
  return at < 0 ? undefined : derivedAt(h.buf, at)?.[kind];
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** The digest a record holds, if any (read straight from the bytes: a warm run asks for every shared file's). */
function digestAt(buf: Uint8Array, at: number): Digest | undefined {
  const o = at + STATUS_BYTES;
  if (!((buf[o + 8] as number) & HAS_DIGEST)) return undefined;
  let hex = 'xxh64:';
  for (let i = o; i < o + 8; i++) hex += HEX[buf[i] as number];
  return digest(hex);
}

/**
 * Where the xxh64 of a cache hit sits in `h.buf` (8 bytes, big-endian), or -1 when `rel` is not a hit
 * or its record has no digest. A warm run compares every shared file's digest; raw bytes spare it a
 * string per file.
 */
export function hitDigestAt(h: CacheHits, rel: string, e: Entry | undefined): number {
  const at = hitAt(h, rel, e);
  return at >= 0 && (h.buf[at + STATUS_BYTES + 8] as number) & HAS_DIGEST ? at + STATUS_BYTES : -1;
}

/** The digest a cache hit records, if any. */
export function hitDigest(h: CacheHits, rel: string, e: Entry | undefined): Digest | undefined {
  const at = hitAt(h, rel, e);
  return at < 0 ? undefined : digestAt(h.buf, at);
}

/** The header a cache hit records, if any. */
export function hitHead(h: CacheHits, rel: string, e: Entry | undefined): Uint8Array | undefined {
  const at = hitAt(h, rel, e);
  return at < 0 ? undefined : headAt(h.buf, at);
}

/** The head a record holds, if any (without parsing its derived facts: integrity asks for every staged pyc's). */
function headAt(buf: Uint8Array, at: number): Uint8Array | undefined {
  const o = at + STATUS_BYTES;
  return (buf[o + 8] as number) & HAS_HEAD ? buf.subarray(o + 10, o + 10 + (buf[o + 9] as number)) : undefined;
}

/** What a walking thread tells the cache about the snapshot it loaded. */
export interface SnapshotInfo {
  size: number;
  damaged: boolean;
}

interface PartCache {
  canonical: string;
  file: string;
  /** Entries in the file as loaded (by the thread that walked the part, or here). */
  loadedSize: number;
  /** Entries still valid, as the walking thread found them (kept whole: files are unchanged). */
  kept?: CacheHits;
  /** The walk `kept` was found for: what the records' rows are rows of. */
  entries?: Map<string, Entry>;
  /** What this run learnt: new entries, or new facts for kept ones. */
  fresh: Map<string, { e: Entry; f: Facts }>;
  /** What the last `save()` wrote, when it wrote (a second save starts from it). */
  saved?: Map<string, Rec>;
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

/**
 * A status as its 40 bytes. Stored through a BigInt64Array: its element store is two's complement mod
 * 2^64 for lstat's unsigned dev/ino/size and signed times alike, and costs a fraction of Buffer's
 * `writeBigUInt64LE` (BigInt shifts in JavaScript), which the walk's lookups paid for every file.
 */
const statusScratch = new BigInt64Array(5);
const statusBytes = new Uint8Array(statusScratch.buffer);
/** The size goes in as two u32 halves (little-endian host), not as a BigInt made per file. */
const statusWords = new Uint32Array(statusScratch.buffer);

/** The size's 8 bytes as `putStatus` writes them, for `ColumnEntry.statusAt`. */
const sizeBytes = statusBytes.subarray(16, 24);
const putSize = (size: number): void => {
  statusWords[4] = size >>> 0;
  statusWords[5] = Math.floor(size / 0x100000000);
};

function putStatus(buf: Uint8Array, e: Entry, at: number): void {
  statusScratch[0] = e.dev;
  statusScratch[1] = e.ino;
  putSize(e.size);
  statusScratch[3] = e.mtimeNs;
  statusScratch[4] = e.ctimeNs;
  buf.set(statusBytes, at);
}

/**
 * A record to write: a valid one copied as it is (with its entry's row in this run's walk), or an
 * entry's status with its facts.
 */
type Rec = { raw: Uint8Array; row: number } | { e: Entry; f: Facts };

/** A C walk's row of `e`, or `NO_ROW`. */
const rowOf = (e: Entry | undefined): number => (e instanceof ColumnEntry ? e.row : NO_ROW);
/** The row a record is written with. */
const recRow = (r: Rec): number => ('raw' in r ? r.row : rowOf(r.e));

const factsOf = (r: Rec): Facts => ('raw' in r ? factsAt(r.raw, 0) : r.f);

/** Facts about one status add up; derived values merge by kind. */
function mergeFacts(a: Facts | undefined, b: Facts): Facts {
  const out: Facts = { ...a, ...b };
  if (a?.derived && b.derived) out.derived = { ...a.derived, ...b.derived };
  return out;
}

export class DigestCache {
  readonly stats: CacheStats = { hits: 0, misses: 0, stored: 0, damaged: 0 };
  private readonly parts = new Map<string, PartCache>();

  private constructor(
    readonly dir: string,
    readonly checksum: (b: Uint8Array) => bigint,
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

  private part(installDir: string, info?: SnapshotInfo): PartCache {
    let p = this.parts.get(installDir);
    if (p) return p;
    const { canonical, file } = cacheFileFor(this.dir, installDir, this.checksum);
    // A part no walk reported on (facts recorded for it first): its file is read here, for its size.
    const loaded = info ?? CacheSnapshot.load(this.dir, installDir, this.startNs, this.checksum);
    if (loaded.damaged) this.stats.damaged++;
    p = { canonical, file, loadedSize: loaded.size, fresh: new Map() };
    this.parts.set(installDir, p);
    return p;
  }

  /** Counts a digest lookup of a shared file (`hits`, or `misses` when it must be read). */
  count(hit: boolean): void {
    if (hit) this.stats.hits++;
    else this.stats.misses++;
  }

  /**
   * The entries the thread that walked `installDir` found valid (from a `CacheSnapshot` it loaded, which
   * `info` describes) in its walk's `entries`: all are kept, since their files are unchanged.
   */
  keep(installDir: string, info: SnapshotInfo, hits: CacheHits, entries: Map<string, Entry>): void {
    const p = this.part(installDir, info);
    p.kept = hits;
    p.entries = entries;
  }

  /** Remembers facts just read from the file whose status the walk saw as `e`. */
  record(installDir: string, rel: string, e: Entry, f: Facts): void {
    if ((f.digest !== undefined && !f.digest.startsWith('xxh64:')) || isRacy(racyLimitOf(this.startNs), e.mtimeNs, e.ctimeNs)) return;
    const p = this.part(installDir);
    const prev = p.fresh.get(rel);
    p.fresh.set(rel, { e, f: mergeFacts(prev?.f, f) });
  }

  /**
   * Writes every touched part's cache file, atomically, unless it would be the file already there (every
   * entry still valid and nothing new). Never throws: a cache is only an optimisation.
   */
  save(): CacheStats {
    try {
      for (const p of this.parts.values()) {
        const keptSize = p.saved ? p.saved.size : (p.kept?.count ?? 0);
        // Found by path for a C walk: the file's rows are not this walk's, and written with them the
        // next run finds its records by row (a format upgrade, files added, a JavaScript walk before).
        const rowsStale = p.kept?.at !== undefined && p.kept.namesKey !== undefined && p.kept.count > 0;
        if (p.fresh.size === 0 && keptSize === p.loadedSize && !rowsStale) continue;
        mkdirSync(join(this.dir, 'digests'), { recursive: true, mode: 0o700 });
        let next = p.saved;
        if (!next) next = keptRecords(p);
        for (const [rel, r] of p.fresh) {
          const old = next.get(rel);
          // Facts about the same status add up; a new status replaces the entry.
          next.set(rel, old ? { e: r.e, f: mergeFacts(factsOf(old), r.f) } : r);
        }
        // Rows are written only when every record has one in the walk the names key is of.
        const rows = p.kept?.namesKey !== undefined && [...next.values()].every((r) => recRow(r) !== NO_ROW);
        const bytes = encode(p.canonical, this.startNs, next, this.checksum, rows ? p.kept?.namesKey : undefined);
        replaceFileAtomically(p.file, bytes);
        this.stats.stored += next.size;
        // Saved: a second save() writes only when something is learnt after this one.
        p.loadedSize = next.size;
        p.saved = next;
        p.fresh.clear();
      }
    } catch (e) {
      this.stats.saveError = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    }
    return this.stats;
  }
}

/** The records a walk found valid, each copied as it is (the status in it is the file's), by path. */
function keptRecords(p: PartCache): Map<string, Rec> {
  const next = new Map<string, Rec>();
  const k = p.kept;
  if (!k) return next;
  const raw = (at: number): Uint8Array => k.buf.subarray(at, at + recordBytes(k.buf, at));
  if (k.at) {
    for (const [rel, at] of k.at) next.set(rel, { raw: raw(at), row: rowOf(p.entries?.get(rel)) });
  } else {
    // Found by row: the walk's entries name them.
    p.entries?.forEach((e, rel) => {
      const at = hitAt(k, rel, e);
      if (at >= 0) next.set(rel, { raw: raw(at), row: rowOf(e) });
    });
  }
  return next;
}

/**
 * Layout: MAGIC, u32 length + install dir (UTF-8), i64 written-at ns, u64 names key, u32 count, then
 * per entry a u32 row, u32 length + relative path (its bytes on disk), then dev, ino, size, mtimeNs,
 * ctimeNs (64-bit little-endian each), the xxh64 (big-endian), a flags byte (1: digest, 2: head), the
 * head's length, 16 head bytes, a u32 length and the derived facts as JSON; last, the xxh64 of
 * everything before it. The names key is the xxh64 of the names column of the C walk whose rows the
 * records give (0 and `NO_ROW` for none): a walk with the same names finds each record by its row.
 */
export function encode(installDir: string, startNs: bigint, entries: Map<string, Rec>, checksum: (b: Uint8Array) => bigint, namesKey?: bigint): Buffer {
  const dirBytes = Buffer.from(installDir);
  // Names as the bytes on disk: a lossy UTF-8 encoding would merge undecodable names. Only those need a
  // Buffer of their own; the rest are written straight into the file's.
  const escaped = new Map<string, Buffer>();
  const jsons = new Map<string, string>();
  let size = MAGIC.length + 4 + dirBytes.length + 8 + 8 + 4 + 8;
  for (const k of entries.keys()) {
    let len: number;
    if (needsBytes(k)) {
      const b = encodeName(k);
      escaped.set(k, b);
      len = b.length;
    } else len = Buffer.byteLength(k);
    const r = entries.get(k) as Rec;
    if ('raw' in r) size += 8 + len + r.raw.length;
    else {
      const json = r.f.derived ? JSON.stringify(r.f.derived) : '';
      if (json) jsons.set(k, json);
      size += 8 + len + FIXED_BYTES + 4 + Buffer.byteLength(json);
    }
  }
  const buf = Buffer.alloc(size);
  let o = buf.write(MAGIC, 0, 'latin1');
  o = buf.writeUInt32LE(dirBytes.length, o);
  o += dirBytes.copy(buf, o);
  o = buf.writeBigInt64LE(startNs, o);
  o = buf.writeBigUInt64LE(namesKey ?? 0n, o);
  o = buf.writeUInt32LE(entries.size, o);
  for (const [k, r] of entries) {
    const raw = escaped.get(k);
    const len = raw ? raw.length : Buffer.byteLength(k);
    o = buf.writeUInt32LE(namesKey === undefined ? NO_ROW : recRow(r), o);
    o = buf.writeUInt32LE(len, o);
    o += raw ? raw.copy(buf, o) : buf.write(k, o, len, 'utf8');
    if ('raw' in r) {
      buf.set(r.raw, o);
      o += r.raw.length;
      continue;
    }
    const { e, f } = r;
    putStatus(buf, e, o);
    o += STATUS_BYTES;
    let flags = 0;
    if (f.digest !== undefined) {
      buf.write(f.digest.slice(6), o, 'hex');
      flags |= HAS_DIGEST;
    }
    if (f.head !== undefined) {
      const head = f.head.subarray(0, HEAD_BYTES);
      buf[o + 9] = head.length;
      buf.set(head, o + 10);
      flags |= HAS_HEAD;
    }
    buf[o + 8] = flags;
    o += FIXED_BYTES - STATUS_BYTES;
    const json = jsons.get(k) ?? '';
    o = buf.writeUInt32LE(Buffer.byteLength(json), o);
    o += buf.write(json, o, 'utf8');
  }
  buf.writeBigUInt64LE(checksum(buf.subarray(0, o)), o);
  return buf;
}

/**
 * Where each record is, or undefined when `buf` is not a whole, current-format cache for `installDir`.
 * No name is decoded here (`namesOf` does that when a lookup by path needs it).
 */
function indexRecords(buf: Buffer, installDir: string, checksum: (b: Uint8Array) => bigint): RecordIndex | undefined {
  try {
    if (buf.length < MAGIC.length + 32 || buf.toString('latin1', 0, MAGIC.length) !== MAGIC) return undefined;
    const body = buf.subarray(0, buf.length - 8);
    if (checksum(body) !== buf.readBigUInt64LE(buf.length - 8)) return undefined;
    let o = MAGIC.length;
    const dirLen = buf.readUInt32LE(o);
    o += 4;
    if (buf.toString('utf8', o, o + dirLen) !== installDir) return undefined;
    o += dirLen + 8;
    const namesKey = buf.readBigUInt64LE(o);
    o += 8;
    const count = buf.readUInt32LE(o);
    o += 4;
    // Each record takes more than FIXED_BYTES: a count the file cannot hold is not allocated for.
    if (count > body.length / FIXED_BYTES) return undefined;
    const index: RecordIndex = { namesKey, nameAt: new Uint32Array(count), at: new Uint32Array(count), row: new Uint32Array(count) };
    for (let i = 0; i < count; i++) {
      if (o + 8 > body.length) return undefined;
      index.row[i] = u32At(buf, o);
      const n = u32At(buf, o + 4);
      o += 8;
      if (o + n + FIXED_BYTES + 4 > body.length) return undefined;
      index.nameAt[i] = o;
      index.at[i] = o + n;
      o += n + recordBytes(buf, o + n);
      if (o > body.length) return undefined;
    }
    return o === body.length ? index : undefined;
  } catch {
    return undefined;
  }
}
