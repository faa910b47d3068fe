/**
 * craft-parts' `filesets.migratable_filesets(Fileset(stage), install_dir)`: the files and directories the
 * STAGE step migrates and `collisions.py` compares. Pure: the install dir arrives as a listing.
 * Source: craft_parts/executor/filesets.py (`_get_file_list`, `_generate_include_set`,
 * `_generate_exclude_set`, `migratable_filesets`, `_ResolvedPathResolver`). See docs/craft-semantics.md.
 */
import { CraftSemanticsError } from './errors.js';
import { type GlobFs, osWalk, pathlibGlob, type PathlibVersion } from './pathlib-glob.js';
import { type ListingEntry, ListingFs, splitPath, type VfsOptions } from './vfs.js';

export type { ListingEntry, ListingType } from './vfs.js';
export type { PathlibVersion } from './pathlib-glob.js';

export interface StageSetOptions extends VfsOptions {
  /** Which CPython's pathlib to imitate; default 3.12 (snapcraft 8 runs on core24). */
  python?: PathlibVersion;
}

/** Paths are pathlib strings relative to the install dir; the install dir itself is `.`. */
export interface Migratable {
  files: Set<string>;
  dirs: Set<string>;
}

/** Includes and excludes as `_get_file_list` splits them (no partitions). */
export function splitStageEntries(stage: readonly string[] | undefined): { includes: string[]; excludes: string[] } {
  const includes: string[] = [];
  const excludes: string[] = [];
  for (const item of stage ?? ['*']) {
    if (item === '') throw new CraftSemanticsError('invalid-entry', 'path cannot be empty', item);
    if (item.startsWith('/')) throw new CraftSemanticsError('invalid-entry', 'must be a relative path (cannot start with \'/\')', item);
    if (item.startsWith('-')) {
      if (item.startsWith('-/')) throw new CraftSemanticsError('invalid-entry', 'path must be relative', item);
      excludes.push(item.slice(1));
    } else if (item.startsWith('\\')) includes.push(item.slice(1));
    else includes.push(item);
  }
  return { includes: includes.length > 0 ? includes : ['*'], excludes };
}

/**
 * True when `stage` selects what the default `["*"]` does: only `*` includes and no excludes. Most parts
 * look like that, and their stage set needs no globbing (see `defaultMigratable`).
 */
export function isDefaultStage(stage: readonly string[] | undefined): boolean {
  const { includes, excludes } = splitStageEntries(stage);
  return excludes.length === 0 && includes.every((i) => i === '*');
}

/** The top-level name of a listing path starts with a dot: the default stage leaves it out. */
const underHiddenTop = (path: string): boolean => path.startsWith('.');

/**
 * The default stage set without globbing. With includes `["*"]` and no excludes, `_generate_include_set`
 * takes every top-level name (pathlib's `*` matches dot names), removes those `.*` matches (and their
 * `*` children), and `os.walk`s each remaining real directory, which yields every entry below it; a
 * listing comes from a walk that does not enter links either. Every parent is then a real directory,
 * so `_ResolvedPathResolver` changes nothing and the parents it adds are already there. What is left:
 * every entry whose top-level component does not start with a dot, real directories as `dirs`, the
 * rest (links to directories included) as `files`. Equal to `migratableByGlob` (property-tested).
 */
export function defaultMigratable(listing: Iterable<{ path: string; type: ListingEntry['type'] }>): Migratable {
  const files = new Set<string>();
  const dirs = new Set<string>();
  for (const e of listing) {
    if (underHiddenTop(e.path)) continue;
    (e.type === 'dir' ? dirs : files).add(e.path);
  }
  return { files, dirs };
}

/**
 * `defaultStageSet`'s union for a walk's paths, in walk order. For a walk's map with no path under a
 * hidden top-level name (the common case), the map's own keys (`MapKeys`), not a copy.
 */
export function defaultStageSet(paths: Iterable<string> | ReadonlyMap<string, unknown>): ReadonlySet<string> {
  let names = paths as Iterable<string>;
  if (paths instanceof Map) {
    const walk = paths as ReadonlyMap<string, unknown>;
    let hidden = false;
    // forEach: no iterator result per path (see `CacheSnapshot.hits`).
    walk.forEach((_, p) => (hidden ||= underHiddenTop(p)));
    if (!hidden) return new MapKeys(walk);
    names = walk.keys();
  }
  const out = new Set<string>();
  for (const p of names) if (!underHiddenTop(p)) out.add(p);
  return out;
}

/**
 * A map's keys as a read-only set. A part's default stage set is usually every path its walk found: a
 * copy of them was a second hash table of every path of every part (about 14 ms and 8 MB of a warm run
 * on the bench's copies tree).
 */
export class MapKeys implements ReadonlySet<string> {
  constructor(private readonly map: ReadonlyMap<string, unknown>) {}

  get size(): number {
    return this.map.size;
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  forEach(visit: (value: string, key: string, set: ReadonlySet<string>) => void, thisArg?: unknown): void {
    this.map.forEach((_, k) => visit.call(thisArg, k, k, this));
  }

  keys(): SetIterator<string> {
    return this.map.keys();
  }

  values(): SetIterator<string> {
    return this.map.keys();
  }

  *entries(): SetIterator<[string, string]> {
    for (const k of this.map.keys()) yield [k, k];
  }

  [Symbol.iterator](): SetIterator<string> {
    return this.map.keys();
  }
}

/** The union craft-parts' collision check compares (`part_files | part_directories`). */
export function stageSet(listing: readonly ListingEntry[], stage: readonly string[] | undefined, opts: StageSetOptions = {}): ReadonlySet<string> {
  if (isDefaultStage(stage)) return defaultStageSet(listing.map((e) => e.path));
  const { files, dirs } = migratable(listing, stage, opts);
  return new Set([...files, ...dirs]);
}

export function migratable(listing: readonly ListingEntry[], stage: readonly string[] | undefined, opts: StageSetOptions = {}): Migratable {
  return isDefaultStage(stage) ? defaultMigratable(listing) : migratableByGlob(listing, stage, opts);
}

/** The general computation: craft-parts' globbing and walking over the listing. */
export function migratableByGlob(listing: readonly ListingEntry[], stage: readonly string[] | undefined, opts: StageSetOptions = {}): Migratable {
  const version = opts.python ?? '3.12';
  const fs = new ListingFs(listing, opts);
  const { includes, excludes } = splitStageEntries(stage);
  const P = (s: string): string[] => (s === '.' ? [] : s.split('/'));
  const S = (parts: readonly string[]): string => (parts.length === 0 ? '.' : parts.join('/'));

  // _generate_include_set
  const includeFiles = new Set<string>();
  for (const include of includes) {
    if (include.includes('*')) {
      for (const m of pathlibGlob(fs, include, version)) includeFiles.add(m);
      if (!include.startsWith('.')) {
        for (const hidden of pathlibGlob(fs, `.${include}`, version)) {
          includeFiles.delete(hidden);
          for (const h of globUnder(fs, hidden, include, version)) includeFiles.delete(h);
        }
      }
    } else {
      if (include.startsWith('/')) throw new CraftSemanticsError('outside-install-dir', 'absolute include', include);
      includeFiles.add(S(splitPath(include)));
    }
  }
  const includeDirs = [...includeFiles].filter((x) => fs.isDir(P(x)) && !fs.isSymlink(P(x)));
  for (const d of includeDirs) for (const p of osWalk(fs, P(d))) includeFiles.add(S(p));

  // _generate_exclude_set
  const excludeFiles = new Set<string>();
  for (const exclude of excludes) for (const m of pathlibGlob(fs, exclude, version)) excludeFiles.add(m);
  const excludeDirs = [...excludeFiles].filter((x) => fs.isDir(P(x))).map(P);

  let files = new Set([...includeFiles].filter((x) => !excludeFiles.has(x)));
  for (const ex of excludeDirs) files = new Set([...files].filter((x) => !isRelativeTo(P(x), ex)));

  const dirs = new Set([...files].filter((x) => fs.isDir(P(x)) && !fs.isSymlink(P(x))));
  for (const d of dirs) files.delete(d);
  if (files.size === 0 && dirs.size === 0) return { files, dirs };

  const cache = new Map<string, string[]>();
  const resolve = (rel: string): string => {
    const parts = P(rel);
    if (parts.length === 0) return '.';
    const parent = parts.slice(0, -1);
    if (parent.length === 0) return S(parts);
    const key = parent.join('/');
    let real = cache.get(key);
    if (real === undefined) {
      real = fs.realpath(parent);
      cache.set(key, real);
    }
    return S([...real, parts.at(-1) as string]);
  };
  const resolvedFiles = new Set([...files].map(resolve));
  for (const f of resolvedFiles) {
    const parts = P(f);
    for (let n = parts.length - 1; n > 0; n--) dirs.add(S(parts.slice(0, n)));
  }
  const resolvedDirs = new Set([...dirs].map(resolve));
  return { files: resolvedFiles, dirs: resolvedDirs };
}

/** `hidden_file.glob(include)`: results relative to the root. */
function globUnder(fs: GlobFs, base: string, pattern: string, version: PathlibVersion): Set<string> {
  const prefix = base === '.' ? '' : `${base}/`;
  // Globbing below `base` is globbing `base/pattern` with `base` taken literally (it already matched).
  const out = new Set<string>();
  for (const m of pathlibGlobAt(fs, base === '.' ? [] : base.split('/'), pattern, version)) out.add(prefix + m);
  return out;
}

function pathlibGlobAt(fs: GlobFs, base: string[], pattern: string, version: PathlibVersion): Set<string> {
  if (base.length === 0) return pathlibGlob(fs, pattern, version);
  return pathlibGlob(new SubFs(fs, base), pattern, version);
}

/** A view of the listing rooted at a subdirectory, for `Path.glob` on a child path. */
class SubFs implements GlobFs {
  constructor(
    private readonly fs: GlobFs,
    private readonly base: string[],
  ) {}
  exists(p: readonly string[]) {
    return this.fs.exists([...this.base, ...p]);
  }
  isDir(p: readonly string[]) {
    return this.fs.isDir([...this.base, ...p]);
  }
  isSymlink(p: readonly string[]) {
    return this.fs.isSymlink([...this.base, ...p]);
  }
  scandir(p: readonly string[]) {
    return this.fs.scandir([...this.base, ...p]);
  }
}

/** `PurePath.is_relative_to` on parts (lexical; `.` contains everything). */
function isRelativeTo(path: readonly string[], base: readonly string[]): boolean {
  if (base.length > path.length) return false;
  return base.every((c, i) => path[i] === c);
}
