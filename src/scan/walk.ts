/**
 * One walk per part: every entry below the install dir, with one lstat each. Nothing is followed:
 * a symlink is recorded with its raw target, which is all craft-parts looks at.
 */
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { FsError } from '../errors.js';
import type { Entry, EntryType, PartName, ScanWarning } from '../model.js';
import { relPath } from '../model.js';

export interface WalkResult {
  /** Relative POSIX path → entry, in walk order (parents before children). */
  entries: Map<string, Entry>;
  warnings: ScanWarning[];
}

function typeOf(st: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean }): EntryType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'char-device';
  return 'block-device';
}

/** lstat as an Entry, or undefined when the path vanished. */
export async function lstatEntry(abs: string): Promise<Entry | undefined> {
  let st;
  try {
    st = await lstat(abs, { bigint: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const type = typeOf(st);
  const entry: Entry = {
    type,
    size: Number(st.size),
    mode: Number(st.mode & 0o7777n),
    dev: st.dev,
    ino: st.ino,
    mtimeNs: st.mtimeNs,
    ctimeNs: st.ctimeNs,
  };
  if (type === 'symlink') entry.linkTarget = await readlink(abs);
  return entry;
}

/** How many lstat/readdir calls may be in flight; the kernel's dentry cache does the rest. */
const CONCURRENCY = 64;

export async function walkPart(part: PartName, root: string, onEntry?: (n: number) => void): Promise<WalkResult> {
  const entries = new Map<string, Entry>();
  const warnings: ScanWarning[] = [];
  const rootEntry = await lstatEntry(root).catch((e: NodeJS.ErrnoException) => {
    throw new FsError(root, `cannot read install dir: ${e.code ?? e.message}`, e.code);
  });
  if (!rootEntry) throw new FsError(root, 'install dir does not exist', 'ENOENT');
  if (rootEntry.type !== 'dir') throw new FsError(root, 'install dir is not a directory', 'ENOTDIR');

  // Breadth-first over directories; each level's lstats run concurrently.
  let level: string[] = [''];
  while (level.length > 0) {
    const next: string[] = [];
    const names: string[] = [];
    await pool(level, CONCURRENCY, async (dir) => {
      let children: string[];
      try {
        children = await readdir(dir === '' ? root : join(root, dir));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') {
          warnings.push({ code: 'changed-during-scan', part, path: relPath(dir), message: `directory vanished while scanning (${code})` });
        } else {
          warnings.push({ code: 'unreadable', part, path: relPath(dir), message: `cannot list directory (${code ?? 'error'})` });
        }
        return;
      }
      children.sort();
      for (const c of children) names.push(dir === '' ? c : `${dir}/${c}`);
    });
    names.sort();
    const results = new Array<Entry | undefined>(names.length);
    await pool(names.map((n, i) => [n, i] as const), CONCURRENCY, async ([rel, i]) => {
      try {
        results[i] = await lstatEntry(join(root, rel));
        if (!results[i]) {
          warnings.push({ code: 'changed-during-scan', part, path: relPath(rel), message: 'entry vanished while scanning' });
        }
      } catch (e) {
        warnings.push({ code: 'unreadable', part, path: relPath(rel), message: `cannot stat (${(e as NodeJS.ErrnoException).code ?? 'error'})` });
      }
    });
    names.forEach((rel, i) => {
      const e = results[i];
      if (!e) return;
      entries.set(rel, e);
      if (e.type === 'dir') next.push(rel);
    });
    onEntry?.(entries.size);
    level = next;
  }
  return { entries, warnings };
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
