/**
 * The walk in C (`native/walk.c`, built by `scripts/build-native.mjs`), when it was built: the same
 * result as `walkPartSync`, entry for entry and warning for warning, for about half its time on the
 * bench's parts. A warm run is mostly the walk (issue 6), and Node's lstat costs more than the system
 * call: a path lookup from the root for every entry, and a BigIntStats with four Dates to collect.
 */
import { isAscii } from 'node:buffer';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Entry, EntryType, PartName, ScanWarning } from '../model.js';
import { relPath } from '../model.js';
import { decodeName, needsBytes } from '../util/fsname.js';
import { checkInstallDir, listWarning, typeOf, unreadableInstallDir, walkPartSync, type WalkResult } from './walk.js';

/** What the C function returns: columns in walk order (each level sorted by its paths' bytes). */
export interface NativeColumns {
  /** Relative paths, each followed by a NUL byte. */
  names: Uint8Array;
  /** Symlink targets in entry order, each followed by a NUL byte. */
  links: Uint8Array;
  /** Entries before the end of each level. */
  levelEnds: Uint32Array;
  /** `st_mode`, whole. */
  modes: Uint32Array;
  sizes: Float64Array;
  /** dev and ino of each entry. */
  ids: BigUint64Array;
  /** mtime and ctime of each entry, in ns. */
  times: BigInt64Array;
  /** `[op, code, relative path]`: op is `list`, `stat` or `readlink`. */
  errors: [string, string, Uint8Array][];
}

export interface NativeWalk {
  /** A part's walk on libuv's thread pool: parts walk in parallel while this thread takes in the ones done. */
  walkAsync(root: string): Promise<NativeColumns>;
  /** glibc's `malloc_trim(0)` on libuv's thread pool; false where there is none (see `releaseFreedMemory`). */
  trimMemoryAsync(): Promise<boolean>;
}

let loaded: NativeWalk | null | undefined;
let enabled = true;

/** Whether the C walker may be used from now on (the CLI's `STAGEFIX_NATIVE=0` turns it off for its process). */
export function useNativeWalker(on: boolean): void {
  enabled = on;
}

/**
 * The C walker, or undefined when it was not built, cannot load here, or is turned off. Looked for beside the
 * compiled modules (`dist/scan`, and `dist/bundle`, both one level below `dist/native`) and, from
 * the TypeScript sources, in `dist/native`.
 */
export function nativeWalker(): NativeWalk | undefined {
  if (!enabled) return undefined;
  if (loaded === undefined) {
    loaded = null;
    const require = createRequire(import.meta.url);
    for (const rel of ['../native/walk.node', '../../dist/native/walk.node']) {
      try {
        const m = require(fileURLToPath(new URL(rel, import.meta.url))) as Partial<NativeWalk>;
        if (typeof m.walkAsync === 'function' && typeof m.trimMemoryAsync === 'function') {
          loaded = m as NativeWalk;
          break;
        }
      } catch {
        // Not built, or built for another platform: the next place, then the JavaScript walk.
      }
    }
  }
  return loaded ?? undefined;
}

let trimming = false;

/**
 * Hands memory the C allocator holds free back to the system, through the C addon when the C walker is
 * in use. glibc keeps what threads free in per-thread arenas; over a large analysis (worker messages,
 * file buffers, the compiler's scratch memory) that free memory counted in the peak RSS. Called every
 * 100 ms during the CLI's analysis, it lowered the mixed bench tree's peak by about 15 MB (median of
 * four alternating runs: 318 against 332 MB; copies 212 against 223 MB). It runs on the thread pool,
 * one trim at a time: on this thread it had cost a warm run about 17 ms. Never changes a result.
 */
export function releaseFreedMemory(): void {
  const native = nativeWalker();
  if (!native || trimming) return;
  trimming = true;
  native.trimMemoryAsync().then(
    () => (trimming = false),
    () => (trimming = false),
  );
}

const fatal = new TextDecoder('utf-8', { fatal: true });

/** NUL-terminated names, decoded losslessly: the whole buffer at once unless some name is not UTF-8. */
function splitNames(buf: Uint8Array): string[] {
  if (buf.length === 0) return [];
  try {
    const all = fatal.decode(buf);
    return all.slice(0, -1).split('\0');
  } catch {
    const out: string[] = [];
    let start = 0;
    for (let i = 0; i < buf.length; i++) {
      if (buf[i] === 0) {
        out.push(decodeName(buf.subarray(start, i)));
        start = i + 1;
      }
    }
    return out;
  }
}

/**
 * Entry order as `walkPartSync` has it: each level sorted as JavaScript sorts strings (UTF-16 code
 * units). C sorted by bytes, which is the same order for ASCII (undefined: keep C's order); when any
 * name is not ASCII, every level is sorted again.
 */
function walkOrder(names: readonly string[], levelEnds: Uint32Array, ascii: boolean): number[] | undefined {
  if (ascii) return undefined;
  const order = names.map((_, i) => i);
  let start = 0;
  for (const end of levelEnds) {
    const level = order.slice(start, end).sort((x, y) => {
      const a = names[x] as string;
      const b = names[y] as string;
      return a < b ? -1 : a > b ? 1 : 0;
    });
    // Copied back one by one: a spread of a level of 100k+ names would overflow the argument stack.
    for (let j = 0; j < level.length; j++) order[start + j] = level[j] as number;
    start = end;
  }
  return order;
}

function failureWarning(part: PartName, [op, code, rel]: [string, string, Uint8Array]): ScanWarning {
  const path = decodeName(rel);
  if (op === 'list') return listWarning(part, path, code);
  if (op === 'stat' && code === 'ENOENT') return { code: 'changed-during-scan', part, path: relPath(path), message: 'entry vanished while scanning' };
  // A failed readlink reads as the JavaScript walk words it: its lstat step failed as a whole.
  return { code: 'unreadable', part, path: relPath(path), message: `cannot stat (${code})` };
}

/** A C walk's identity and time columns, kept for its entries (`ColumnEntry`), with byte views made once. */
class StatColumns {
  readonly idBytes: Uint8Array;
  readonly idWords: Uint32Array;
  readonly timeBytes: Uint8Array;
  constructor(
    readonly ids: BigUint64Array,
    readonly times: BigInt64Array,
  ) {
    this.idBytes = new Uint8Array(ids.buffer, ids.byteOffset, ids.byteLength);
    this.idWords = new Uint32Array(ids.buffer, ids.byteOffset, ids.byteLength / 4);
    this.timeBytes = new Uint8Array(times.buffer, times.byteOffset, times.byteLength);
  }
}

/**
 * True when two entries are one file (device and inode): for two entries of C walks, compared from
 * the columns without making four BigInts (the scan asks this for every shared file).
 */
export function sameInode(a: Entry, b: Entry): boolean {
  if (a instanceof ColumnEntry && b instanceof ColumnEntry) return a.sameInodeAs(b);
  return a.dev === b.dev && a.ino === b.ino;
}

/**
 * An entry of a C walk. Type, size and mode are its own fields; dev, ino and the two times are read
 * from the walk's columns when asked. As plain objects, each entry held four BigInts (four heap objects
 * besides its own), which outlived the scan: much of the garbage collector's work in a warm run (145 →
 * 89 ms in a profile of the copies bench tree) and about 10 MB of the mixed bench tree's live heap.
 * A spread (`{ ...e }`) does not copy the four; read them by name.
 */
export class ColumnEntry implements Entry {
  linkTarget?: string;

  constructor(
    readonly type: EntryType,
    readonly size: number,
    readonly mode: number,
    private readonly cols: StatColumns,
    /** Its place in the walk's columns. */
    readonly row: number,
  ) {}

  /** How many entries the walk found. */
  get rows(): number {
    return this.cols.ids.length / 2;
  }

  get dev(): bigint {
    return this.cols.ids[2 * this.row] as bigint;
  }

  get ino(): bigint {
    return this.cols.ids[2 * this.row + 1] as bigint;
  }

  get mtimeNs(): bigint {
    return this.cols.times[2 * this.row] as bigint;
  }

  get ctimeNs(): bigint {
    return this.cols.times[2 * this.row + 1] as bigint;
  }

  /** Device and inode equal to `o`'s, word by word. */
  sameInodeAs(o: ColumnEntry): boolean {
    const x = this.cols.idWords;
    const y = o.cols.idWords;
    const i = 4 * this.row;
    const j = 4 * o.row;
    return x[i] === y[j] && x[i + 1] === y[j + 1] && x[i + 2] === y[j + 2] && x[i + 3] === y[j + 3];
  }

  /**
   * True when `buf` holds, at `at`, this entry's status as the digest cache lays it out (dev, ino, size,
   * mtime, ctime: 64-bit each, in the host's byte order as `BigInt64Array` stores them): compared byte for
   * byte from the columns, without making a BigInt. `size` is the size's 8 bytes, made by the caller.
   */
  statusAt(buf: Uint8Array, at: number, size: Uint8Array): boolean {
    const ids = this.cols.idBytes;
    const times = this.cols.timeBytes;
    const o = 16 * this.row;
    for (let k = 0; k < 16; k++) if (buf[at + k] !== ids[o + k]) return false;
    for (let k = 0; k < 8; k++) if (buf[at + 16 + k] !== size[k]) return false;
    for (let k = 0; k < 16; k++) if (buf[at + 24 + k] !== times[o + k]) return false;
    return true;
  }
}

function fromColumns(part: PartName, c: NativeColumns): WalkResult {
  const names = splitNames(c.names);
  // Targets are in C's order; the entries may be put in another below.
  const targetOf = new Map<number, string>();
  if (c.links.length > 0) {
    const targets = splitNames(c.links);
    let link = 0;
    for (let i = 0; i < names.length; i++) if (typeOf(c.modes[i] as number) === 'symlink') targetOf.set(i, targets[link++] as string);
  }
  const entries = new Map<string, Entry>();
  const order = walkOrder(names, c.levelEnds, isAscii(c.names));
  const stats = new StatColumns(c.ids, c.times);
  const byRow = new Array<ColumnEntry>(names.length);
  for (let k = 0; k < names.length; k++) {
    const i = order ? (order[k] as number) : k;
    const mode = c.modes[i] as number;
    const e = new ColumnEntry(typeOf(mode), c.sizes[i] as number, mode & 0o7777, stats, i);
    if (e.type === 'symlink') e.linkTarget = targetOf.get(i) as string;
    entries.set(names[i] as string, e);
    byRow[i] = e;
  }
  return { entries, warnings: c.errors.map((f) => failureWarning(part, f)), rows: { names: c.names, entries: byRow } };
}

/** A part walked in C: its columns, or the JavaScript walk's result for a root the C side cannot take. */
export type Walked = { columns: NativeColumns } | { result: WalkResult };

/** A part's walk in C on libuv's thread pool, before its entries are built (`walkedResult`). */
export async function walkColumnsAsync(native: NativeWalk, part: PartName, root: string): Promise<Walked> {
  // The C side takes the root as UTF-8 text: one with undecodable bytes is walked in JavaScript.
  if (needsBytes(root)) return { result: walkPartSync(part, root) };
  checkInstallDir(root);
  try {
    return { columns: await native.walkAsync(root) };
  } catch (e) {
    throw unreadableInstallDir(root, e);
  }
}

/** The walk's entries and warnings, as `walkPartSync` has them. */
export function walkedResult(part: PartName, w: Walked): WalkResult {
  return 'result' in w ? w.result : fromColumns(part, w.columns);
}

/** `walkPartSync`'s result, walked in C on libuv's thread pool. */
export async function walkPartNativeAsync(native: NativeWalk, part: PartName, root: string): Promise<WalkResult> {
  return walkedResult(part, await walkColumnsAsync(native, part, root));
}

/** The C walk's columns as bytes, in one order: what a walk key hashes. */
export function columnBytes(c: NativeColumns): Uint8Array[] {
  return [c.names, c.links, c.levelEnds, c.modes, c.sizes, c.ids, c.times].map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

/** True when some entry's mtime or ctime is at or after `limit` (ns): too recent to vouch for its bytes. */
export function anyRecent(c: NativeColumns, limit: bigint): boolean {
  for (let i = 0; i < c.times.length; i++) if ((c.times[i] as bigint) >= limit) return true;
  return false;
}

/** The relative path and target of every symbolic link the C walk found (names decoded only here). */
export function* columnLinks(c: NativeColumns): Generator<[string, string]> {
  if (c.links.length === 0) return;
  const names = splitNames(c.names);
  const targets = splitNames(c.links);
  let link = 0;
  for (let i = 0; i < names.length; i++) if (typeOf(c.modes[i] as number) === 'symlink') yield [names[i] as string, targets[link++] as string];
}
