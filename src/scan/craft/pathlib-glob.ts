/**
 * `pathlib.Path.glob` of CPython 3.10–3.12 over a listing, the globbing craft-parts' filesets use.
 * Unlike the `glob` module, `*` matches names starting with a dot; `**` is a whole component that matches
 * the directory itself and every real (non-symlink) directory below it; wildcard components that are not
 * last only descend into names that are directories after following links.
 * Version differences (checked against the interpreters):
 * - 3.11+: a pattern ending in `/` matches directories only; 3.10 ignores the slash.
 * - 3.12: a literal component matches when `scandir` lists it (a dangling link matches); 3.10/3.11 need
 *   `exists()`, which follows links.
 * - all: `**` mixed with other characters in one component raises `ValueError`.
 */
import { CraftSemanticsError } from './errors.js';
import { fnmatchcase, isWildcard } from './fnmatch.js';
import { splitPath } from './vfs.js';

/** The file-system questions pathlib's glob asks. */
export interface GlobFs {
  exists(p: readonly string[]): boolean;
  isDir(p: readonly string[]): boolean;
  isSymlink(p: readonly string[]): boolean;
  scandir(p: readonly string[]): string[];
}

/** The CPython minor whose pathlib semantics to follow. craft tools on core24 run 3.12, on core22 3.10. */
export type PathlibVersion = '3.10' | '3.11' | '3.12';

/** Glob `pattern` relative to the listing root; results are relative paths in pathlib's spelling. */
export function pathlibGlob(fs: GlobFs, pattern: string, version: PathlibVersion): Set<string> {
  if (pattern === '') throw new CraftSemanticsError('invalid-pattern', 'Unacceptable pattern', pattern);
  if (pattern.startsWith('/')) throw new CraftSemanticsError('invalid-pattern', 'Non-relative patterns are unsupported', pattern);
  const parts = splitPath(pattern);
  if (parts.length === 0) throw new CraftSemanticsError('invalid-pattern', 'Unacceptable pattern', pattern);
  if (version !== '3.10' && pattern.endsWith('/')) parts.push('');
  for (const p of parts) {
    if (p !== '**' && p.includes('**')) {
      throw new CraftSemanticsError('invalid-pattern', "Invalid pattern: '**' can only be an entire path component", pattern);
    }
  }
  const out = new Set<string>();
  select(fs, parts, 0, [], version, out);
  return out;
}

function select(fs: GlobFs, parts: string[], i: number, parent: string[], v: PathlibVersion, out: Set<string>): void {
  const pat = parts[i];
  if (pat === undefined || pat === '') {
    out.add(parent.length === 0 ? '.' : parent.join('/'));
    return;
  }
  const dironly = i < parts.length - 1;
  if (pat === '**') {
    for (const d of iterDirs(fs, parent)) select(fs, parts, i + 1, d, v, out);
    return;
  }
  const literal = !isWildcard(pat);
  if (literal && (v !== '3.12' || pat === '..')) {
    const path = [...parent, pat];
    // 3.12's _ParentSelector yields `..` unconditionally; older precise selectors test it.
    const ok = v === '3.12' ? true : dironly ? fs.isDir(path) : fs.exists(path);
    if (ok) select(fs, parts, i + 1, path, v, out);
    return;
  }
  for (const name of fs.scandir(parent)) {
    const path = [...parent, name];
    if (dironly && !fs.isDir(path)) continue;
    if (literal ? name === pat : fnmatchcase(name, pat)) select(fs, parts, i + 1, path, v, out);
  }
}

/** `**`: the directory itself and every directory below it, not descending into symlinks. */
function* iterDirs(fs: GlobFs, top: string[]): Generator<string[]> {
  yield top;
  for (const name of fs.scandir(top)) {
    const path = [...top, name];
    if (fs.isDir(path) && !fs.isSymlink(path)) yield* iterDirs(fs, path);
  }
}

/** `os.walk(top)` (followlinks=False): every entry below top, relative paths, not entering linked dirs. */
export function* osWalk(fs: GlobFs, top: string[]): Generator<string[]> {
  for (const name of fs.scandir(top)) {
    const path = [...top, name];
    yield path;
    if (fs.isDir(path) && !fs.isSymlink(path)) yield* osWalk(fs, path);
  }
}
