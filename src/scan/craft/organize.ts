/**
 * `organize:` as craft-parts applies it (craft_parts/executor/organize.py `organize_files`). It runs at the
 * end of BUILD, inside the install dir (`PartHandler._run_build` calls `self._organize()` right after the
 * build step or `override-build` returns), so `parts/<p>/install` on disk is already organised: the scanner
 * must not apply it again. Only a hook running inside `override-build` sees an unorganised dir; this module
 * lets such a caller predict where each entry will end up. Partitions and `overwrite` (build updates) are
 * not modelled: a `(name)/` prefix is taken as a literal directory name.
 */
import { CraftSemanticsError } from './errors.js';
import { fnmatchcase } from './fnmatch.js';
import { comparePy } from './sort-parts.js';
import { type ListingEntry, ListingFs, splitPath } from './vfs.js';

export interface OrganizeProblem {
  key: string;
  message: string;
}

/** A path after lexical normalisation, or undefined when `..` climbs above the install dir. */
function lexicalInside(p: string): string[] | undefined {
  const out: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(c);
  }
  return out;
}

/**
 * Entries that would read or write outside the install dir. craft-parts strips leading `/` from
 * destinations (so `/usr/bin` means `usr/bin`), but joins sources as given: an absolute source leaves the dir.
 */
export function validateOrganize(organize: Record<string, string>): OrganizeProblem[] {
  const problems: OrganizeProblem[] = [];
  for (const [src, dst] of Object.entries(organize)) {
    if (src === '') problems.push({ key: src, message: 'organize: source path cannot be empty' });
    else if (src.startsWith('/')) problems.push({ key: src, message: `organize: source '${src}' is absolute; it must be relative to the install dir` });
    else if (lexicalInside(src) === undefined) problems.push({ key: src, message: `organize: source '${src}' escapes the install dir through '..'` });
    if (lexicalInside(dst.replace(/^\/+/, '')) === undefined) {
      problems.push({ key: src, message: `organize: destination '${dst}' (for '${src}') escapes the install dir through '..'` });
    }
  }
  return problems;
}

/** `stage:` entries that are empty, absolute (craft-parts rejects these) or climb out with `..` (it globs them). */
export function validateStage(stage: readonly string[]): OrganizeProblem[] {
  const problems: OrganizeProblem[] = [];
  for (const entry of stage) {
    const body = entry.startsWith('-') || entry.startsWith('\\') ? entry.slice(1) : entry;
    if (entry === '' || body === '') problems.push({ key: entry, message: 'stage: path cannot be empty' });
    else if (body.startsWith('/')) problems.push({ key: entry, message: `stage: '${entry}' must be a relative path (cannot start with '/')` });
    else if (lexicalInside(body) === undefined) problems.push({ key: entry, message: `stage: '${entry}' escapes the install dir through '..'` });
  }
  return problems;
}

/** Python `glob.iglob(pattern, recursive=True)` relative to the root: hidden names need a dotted pattern. */
function globModule(fs: ListingFs, pattern: string): string[] {
  const parts = splitPath(pattern);
  const magic = /[*?[]/.test(pattern);
  if (!magic) return fs.lexists(parts) ? [parts.join('/')] : [];
  const out: string[] = [];
  const hidden = (n: string): boolean => n.startsWith('.');
  const rec = (i: number, parent: string[]): void => {
    const pat = parts[i];
    if (pat === undefined) {
      if (parent.length > 0) out.push(parent.join('/'));
      return;
    }
    const last = i === parts.length - 1;
    if (pat === '**') {
      const walk = (dir: string[], depth: number): void => {
        if (depth > 40) throw new CraftSemanticsError('symlink-loop', 'recursive glob too deep', pattern);
        rec(i + 1, dir);
        for (const n of fs.scandir(dir)) {
          if (hidden(n)) continue;
          const p = [...dir, n];
          if (fs.isDir(p)) walk(p, depth + 1);
          else if (last) out.push(p.join('/'));
        }
      };
      walk(parent, 0);
      return;
    }
    if (!/[*?[]/.test(pat)) {
      const p = [...parent, pat];
      if (last ? fs.lexists(p) : fs.isDir(p)) rec(i + 1, p);
      return;
    }
    for (const n of fs.scandir(parent)) {
      if (hidden(n) && !pat.startsWith('.')) continue;
      const p = [...parent, n];
      if (!last && !fs.isDir(p)) continue;
      if (fnmatchcase(n, pat)) rec(i + 1, p);
    }
  };
  rec(0, []);
  return [...new Set(out)];
}

/**
 * Where every entry of an unorganised install dir ends up: original path → organised path. Entries not
 * moved map to themselves. Throws `organize-conflict` where craft-parts raises `FileOrganizeError`.
 */
export function organizeMapping(organize: Record<string, string>, listing: readonly ListingEntry[]): Map<string, string> {
  const problems = validateOrganize(organize);
  if (problems.length > 0) throw new CraftSemanticsError('invalid-entry', (problems[0] as OrganizeProblem).message, (problems[0] as OrganizeProblem).key);
  // current path → [entry, original path]
  let tree = new Map<string, { e: ListingEntry; from: string }>();
  for (const e of listing) {
    const p = splitPath(e.path).join('/');
    if (p !== '') tree.set(p, { e: { ...e, path: p }, from: p });
  }
  const fsOf = (): ListingFs => new ListingFs([...tree.values()].map((v) => v.e));
  const under = (p: string, q: string): boolean => q === p || q.startsWith(`${p}/`);
  const move = (src: string, dst: string): void => {
    const next = new Map<string, { e: ListingEntry; from: string }>();
    for (const [p, v] of tree) {
      const np = under(src, p) ? dst + p.slice(src.length) : p;
      if (np === '') continue;
      next.set(np, { e: { ...v.e, path: np }, from: v.from });
    }
    // Parents of a new destination become directories (os.makedirs).
    const dp = dst.split('/');
    for (let n = 1; n < dp.length; n++) {
      const par = dp.slice(0, n).join('/');
      if (!next.has(par)) next.set(par, { e: { path: par, type: 'dir' }, from: par });
    }
    tree = next;
  };
  const keys = Object.keys(organize).sort((a, b) => Number(a.includes('*')) - Number(b.includes('*')) || comparePy(a, b));
  for (const key of keys) {
    const rawDst = (organize[key] as string).replace(/^\/+/, '');
    const dirDst = rawDst.endsWith('/');
    const dst = (lexicalInside(rawDst) as string[]).join('/');
    let fs = fsOf();
    if (dirDst && dst !== '' && !fs.exists(splitPath(dst))) {
      tree.set(dst, { e: { path: dst, type: 'dir' }, from: dst });
      move(dst, dst);
      fs = fsOf();
    }
    const sources = globModule(fs, key);
    let count = 0;
    for (const src of sources) {
      count++;
      fs = fsOf();
      const s = splitPath(src);
      const realDir = fs.isDir(s) && !fs.isSymlink(s);
      if (realDir && (!key.includes('*') || dst === '')) {
        const target = key.includes('*') ? [dst, s.at(-1)].filter((x) => x !== '').join('/') : dst;
        if (target !== '' && fs.lexists(splitPath(target)) && !fs.isDir(splitPath(target))) {
          throw new CraftSemanticsError('organize-conflict', `cannot overwrite non-directory '${target}' with directory '${src}'`, key);
        }
        if (target === '') {
          for (const [p, v] of [...tree]) if (under(src, p) && p !== src) tree.set(p.slice(src.length + 1), { ...v, e: { ...v.e, path: p.slice(src.length + 1) } });
          for (const p of [...tree.keys()]) if (under(src, p)) tree.delete(p);
        } else move(src, target);
        continue;
      }
      const d = splitPath(dst);
      if (dst !== '' && fs.exists(d) && !fs.isDir(d)) {
        if (dst === src) continue;
        if (count > 1) throw new CraftSemanticsError('organize-conflict', `multiple files to be organized into '${dst}'. If this is supposed to be a directory, end it with a slash.`, key);
        throw new CraftSemanticsError('organize-conflict', `trying to organize file '${key}' to '${organize[key]}', but '${dst}' already exists`, key);
      }
      if (dst === '' || fs.isDir(d)) {
        const real = [...d, s.at(-1) as string].join('/');
        if (real === src) continue;
        if (fs.exists(splitPath(real))) throw new CraftSemanticsError('organize-conflict', `trying to organize '${key}' to '${organize[key]}', but '${real}' already exists`, key);
        move(src, real);
      } else move(src, dst);
    }
  }
  const original = new Set(listing.map((e) => splitPath(e.path).join('/')));
  const out = new Map<string, string>();
  for (const [p, v] of tree) if (original.has(v.from)) out.set(v.from, p);
  return out;
}
