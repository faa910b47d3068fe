/**
 * A read-only file system over one install dir's listing, answering the questions craft-parts asks the
 * real one (`lstat`, `stat`, `scandir`, `realpath`) with POSIX semantics: intermediate symlinks are followed,
 * `..` is physical, a non-directory in the middle of a path is ENOENT/ENOTDIR.
 */
import { CraftSemanticsError } from './errors.js';

export type ListingType = 'file' | 'dir' | 'symlink' | 'other';

/** One entry of a part's install dir, as a walk with `lstat` sees it. */
export interface ListingEntry {
  /** POSIX path relative to the install dir, no leading `./` or trailing `/`. */
  path: string;
  type: ListingType;
  /** For symlinks: the raw target as `readlink` returns it. */
  target?: string;
  /**
   * For symlinks whose target lies outside the install dir (absolute, or `..` above it): what `stat()` of
   * the link says. Links inside the tree are resolved from the listing itself. Absent means dangling.
   */
  targetType?: 'file' | 'dir' | 'other' | 'missing';
}

export interface VfsOptions {
  /**
   * The install dir's real absolute path. Absolute link targets under it are resolved inside the listing
   * (craft-parts resolves them on disk); without it every absolute target counts as outside.
   */
  installDir?: string;
}

export type StatResult =
  | { kind: 'in'; real: string; type: ListingType; target?: string }
  | { kind: 'missing' }
  | { kind: 'outside'; type: 'file' | 'dir' | 'other' | 'missing' };

const MAX_HOPS = 40; // Linux MAXSYMLINKS

export const splitPath = (p: string): string[] => p.split('/').filter((c) => c !== '' && c !== '.');

export class ListingFs {
  private readonly nodes = new Map<string, ListingEntry>();
  private readonly children = new Map<string, string[]>();
  private readonly installDir: string | undefined;

  constructor(listing: readonly ListingEntry[], opts: VfsOptions = {}) {
    this.installDir = opts.installDir?.replace(/\/+$/, '');
    this.children.set('', []);
    for (const e of listing) {
      const parts = splitPath(e.path);
      if (parts.length === 0) continue;
      this.add(parts, e);
    }
  }

  private add(parts: string[], e: ListingEntry): void {
    const key = parts.join('/');
    const existing = this.nodes.get(key);
    if (existing !== undefined && !(existing.type === 'dir' && e.type === 'dir')) {
      this.nodes.set(key, { ...e, path: key });
      return;
    }
    if (existing === undefined) {
      // Parents a listing leaves implicit are directories.
      if (parts.length > 1 && !this.nodes.has(parts.slice(0, -1).join('/'))) {
        this.add(parts.slice(0, -1), { path: '', type: 'dir' });
      }
      const parent = parts.slice(0, -1).join('/');
      (this.children.get(parent) ?? this.children.set(parent, []).get(parent))?.push(parts.at(-1) as string);
      this.nodes.set(key, { ...e, path: key });
      if (e.type === 'dir') this.children.set(key, this.children.get(key) ?? []);
    }
  }

  /** Path resolution as the kernel does it; `followLast` is stat versus lstat. */
  lookup(path: readonly string[], followLast: boolean): StatResult {
    let cur: string[] = [];
    const queue = [...path];
    let hops = 0;
    let finalLink: ListingEntry | undefined;
    const escape = (what: string): StatResult => {
      if (finalLink !== undefined) return { kind: 'outside', type: finalLink.targetType ?? 'missing' };
      throw new CraftSemanticsError('needs-host', `resolving ${what} leaves the install dir`, path.join('/'));
    };
    while (queue.length > 0) {
      const c = queue.shift() as string;
      if (c === '' || c === '.') continue;
      if (c === '..') {
        if (cur.length === 0) return escape('..');
        cur.pop();
        continue;
      }
      const key = [...cur, c].join('/');
      const node = this.nodes.get(key);
      if (node === undefined) return { kind: 'missing' };
      const isLast = queue.length === 0;
      if (node.type === 'symlink' && (!isLast || followLast)) {
        // ELOOP: Python's is_dir/exists/scandir treat it like a missing path.
        if (++hops > MAX_HOPS) return { kind: 'missing' };
        if (isLast && finalLink === undefined) finalLink = node;
        const t = node.target ?? '';
        if (t.startsWith('/')) {
          const inside = this.insideRel(t);
          if (inside === undefined) return escape(`link ${key} -> ${t}`);
          cur = [];
          queue.unshift(...inside);
        } else {
          queue.unshift(...t.split('/'));
        }
        continue;
      }
      if (!isLast && node.type !== 'dir') return { kind: 'missing' };
      cur.push(c);
    }
    if (cur.length === 0) return { kind: 'in', real: '', type: 'dir' };
    const node = this.nodes.get(cur.join('/')) as ListingEntry;
    return { kind: 'in', real: cur.join('/'), type: node.type, ...(node.target !== undefined ? { target: node.target } : {}) };
  }

  private insideRel(abs: string): string[] | undefined {
    const base = this.installDir;
    if (base === undefined || base === '') return undefined;
    if (abs === base || abs.startsWith(`${base}/`)) return abs.slice(base.length).split('/');
    return undefined;
  }

  /** `os.path.lexists` */
  lexists(p: readonly string[]): boolean {
    return this.lookup(p, false).kind === 'in';
  }
  /** `os.path.exists` (follows links) */
  exists(p: readonly string[]): boolean {
    const r = this.lookup(p, true);
    return r.kind === 'in' || (r.kind === 'outside' && r.type !== 'missing');
  }
  /** `Path.is_dir()` (follows links) */
  isDir(p: readonly string[]): boolean {
    const r = this.lookup(p, true);
    return (r.kind === 'in' && r.type === 'dir') || (r.kind === 'outside' && r.type === 'dir');
  }
  /** `Path.is_symlink()` */
  isSymlink(p: readonly string[]): boolean {
    const r = this.lookup(p, false);
    return r.kind === 'in' && r.type === 'symlink';
  }

  /** Names in a directory (`os.scandir`); empty for anything that is not a directory. */
  scandir(p: readonly string[]): string[] {
    const r = this.lookup(p, true);
    if (r.kind === 'outside') {
      if (r.type !== 'dir') return [];
      throw new CraftSemanticsError('needs-host', 'listing a directory outside the install dir', p.join('/'));
    }
    if (r.kind !== 'in' || r.type !== 'dir') return [];
    return this.children.get(r.real) ?? [];
  }

  /**
   * `Path.resolve()` (non-strict) of a path below the root, relative to the root's own real path, as
   * CPython's `posixpath.realpath` computes it: missing components are kept and `..` after them is lexical.
   * Throws when the result leaves the install dir (craft-parts: `ValueError` from `relative_to`) or loops.
   */
  realpath(p: readonly string[]): string[] {
    const seen = new Map<string, string[] | null>();
    const walk = (start: string[], rest: string[]): string[] => {
      let cur = start;
      for (const name of rest) {
        if (name === '' || name === '.') continue;
        if (name === '..') {
          if (cur.length === 0) throw outside();
          if (cur.at(-1) === '..') cur = [...cur, '..'];
          else cur = cur.slice(0, -1);
          continue;
        }
        const next = [...cur, name];
        const key = next.join('/');
        const node = cur.includes('..') ? undefined : this.nodes.get(key);
        if (node === undefined || node.type !== 'symlink') {
          cur = next;
          continue;
        }
        if (seen.has(key)) {
          const cached = seen.get(key);
          if (cached === null || cached === undefined) {
            throw new CraftSemanticsError('symlink-loop', 'symlink loop while resolving', p.join('/'));
          }
          cur = cached;
          continue;
        }
        seen.set(key, null);
        const t = node.target ?? '';
        if (t.startsWith('/')) {
          const inside = this.insideRel(t);
          if (inside === undefined) throw outside();
          cur = walk([], inside);
        } else {
          cur = walk(cur, t.split('/'));
        }
        seen.set(key, cur);
      }
      return cur;
    };
    const outside = (): CraftSemanticsError =>
      new CraftSemanticsError('outside-install-dir', 'resolves outside the install dir', p.join('/'));
    return walk([], [...p]);
  }
}
