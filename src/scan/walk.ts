/**
 * One walk per part: every entry below the install dir, with one lstat each. Nothing is followed:
 * a symlink is recorded with its raw target, which is all craft-parts looks at.
 */
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { decodeName, needsBytes, toFsPath } from '../util/fsname.js';
import { FsError } from '../errors.js';
import type { Entry, EntryType, PartName, ScanWarning } from '../model.js';
import { relPath } from '../model.js';

export interface WalkResult {
  /** Relative POSIX path → entry, in walk order (parents before children). */
  entries: Map<string, Entry>;
  warnings: ScanWarning[];
  /**
   * A C walk's entries by row, with the names column they were made from (`WalkRows`): the digest cache
   * finds its records by row when the names are the ones it was written for.
   */
  rows?: WalkRows;
}

/** A C walk's entries in the order of its columns, and the bytes of its names column. */
export interface WalkRows {
  names: Uint8Array;
  entries: readonly Entry[];
}

/** The file type from `st_mode`'s S_IFMT bits (one number instead of a BigInt test per predicate). */
export function typeOf(mode: number): EntryType {
  switch (mode & 0o170000) {
    case 0o100000:
      return 'file';
    case 0o040000:
      return 'dir';
    case 0o120000:
      return 'symlink';
    case 0o010000:
      return 'fifo';
    case 0o140000:
      return 'socket';
    case 0o020000:
      return 'char-device';
    default:
      return 'block-device';
  }
}

type BigStats = ReturnType<typeof lstatSync> & { size: bigint; mode: bigint; dev: bigint; ino: bigint; mtimeNs: bigint; ctimeNs: bigint };

function toEntry(st: BigStats, readTarget: () => string): Entry {
  const mode = Number(st.mode);
  const type = typeOf(mode);
  const entry: Entry = {
    type,
    size: Number(st.size),
    mode: mode & 0o7777,
    dev: st.dev,
    ino: st.ino,
    mtimeNs: st.mtimeNs,
    ctimeNs: st.ctimeNs,
  };
  // Targets are bytes too: decoded losslessly, like names.
  if (type === 'symlink') entry.linkTarget = readTarget();
  return entry;
}

/** lstat of a path as the kernel takes it (a string, or bytes for an escaped name), as an Entry; undefined when it vanished. */
function entryAt(fsPath: string | Buffer): Entry | undefined {
  const st = lstatSync(fsPath, { bigint: true, throwIfNoEntry: false });
  return st ? toEntry(st as BigStats, () => decodeName(readlinkSync(fsPath, { encoding: 'buffer' }))) : undefined;
}

/** lstat as an Entry, synchronously; undefined when the path vanished. */
export const lstatEntrySync = (abs: string): Entry | undefined => entryAt(toFsPath(abs));

/** The error for an install dir that cannot be read, as both walkers word it. */
export function unreadableInstallDir(root: string, e: unknown): FsError {
  const code = (e as NodeJS.ErrnoException).code;
  return new FsError(root, `cannot read install dir: ${code ?? (e as Error).message}`, code);
}

/** An FsError unless `root` is a directory (not a link to one). */
export function checkInstallDir(root: string): void {
  let rootEntry: Entry | undefined;
  try {
    rootEntry = lstatEntrySync(root);
  } catch (e) {
    throw unreadableInstallDir(root, e);
  }
  if (!rootEntry) throw new FsError(root, 'install dir does not exist', 'ENOENT');
  if (rootEntry.type !== 'dir') throw new FsError(root, 'install dir is not a directory', 'ENOTDIR');
}

/** The warning for a directory that could not be listed, as both walkers word it. */
export function listWarning(part: PartName, dir: string, code: string | undefined): ScanWarning {
  return code === 'ENOENT' || code === 'ENOTDIR'
    ? { code: 'changed-during-scan', part, path: relPath(dir), message: `directory vanished while scanning (${code})` }
    : { code: 'unreadable', part, path: relPath(dir), message: `cannot list directory (${code ?? 'error'})` };
}

/**
 * Names of a directory, decoded losslessly. Node's UTF-8 decoding is fast but turns undecodable bytes
 * into U+FFFD, so a listing with U+FFFD in any name is read again as bytes (a name really containing
 * U+FFFD is rare, and decodes to itself).
 */
function listNames(abs: string | Buffer): string[] {
  const names = readdirSync(abs);
  return names.some((n) => n.includes('\uFFFD')) ? readdirSync(abs, { encoding: 'buffer' }).map(decodeName) : names;
}

/**
 * Synchronous system calls: a promise per lstat costs more than the lstat itself (measured: about
 * 4× slower on a 19k-entry part), and one part's walk has nothing else to overlap with on its thread.
 * Parts are walked in parallel by `scan` on worker threads instead.
 */
export function walkPartSync(part: PartName, root: string, onEntry?: (n: number) => void): WalkResult {
  const entries = new Map<string, Entry>();
  const warnings: ScanWarning[] = [];
  checkInstallDir(root);
  // Joined by hand: path.join normalises every path again, which costs more than the lstat's own work.
  const base = root.endsWith('/') ? root : `${root}/`;
  // Escaped (undecodable) names go back to the kernel as bytes; the test per path is skipped until one is seen.
  let escaped = needsBytes(root);
  const fsPath = (abs: string): string | Buffer => (escaped ? toFsPath(abs) : abs);

  // Breadth-first over directories, a level at a time, names sorted: parents before children.
  let level: string[] = [''];
  while (level.length > 0) {
    const next: string[] = [];
    const names: string[] = [];
    for (const dir of level) {
      let children: string[];
      try {
        children = listNames(fsPath(dir === '' ? root : base + dir));
      } catch (e) {
        warnings.push(listWarning(part, dir, (e as NodeJS.ErrnoException).code));
        continue;
      }
      if (!escaped && children.some(needsBytes)) escaped = true;
      for (const c of children) names.push(dir === '' ? c : `${dir}/${c}`);
    }
    names.sort();
    for (const rel of names) {
      let e: Entry | undefined;
      try {
        e = entryAt(fsPath(base + rel));
      } catch (err) {
        warnings.push({ code: 'unreadable', part, path: relPath(rel), message: `cannot stat (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
        continue;
      }
      if (!e) {
        warnings.push({ code: 'changed-during-scan', part, path: relPath(rel), message: 'entry vanished while scanning' });
        continue;
      }
      entries.set(rel, e);
      if (e.type === 'dir') next.push(rel);
    }
    onEntry?.(entries.size);
    level = next;
  }
  return { entries, warnings };
}
