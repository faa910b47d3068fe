/**
 * The per-path verdict of craft-parts `collisions.paths_collide` split into pure pieces, so the scanner
 * only reads bytes where they decide. Source: craft_parts/executor/collisions.py (`paths_collide`,
 * `_file_collides`) and craft_parts/permissions.py (`filter_permissions`, `permissions_are_compatible`).
 */
import type { EntryType, PermissionSpec } from '../../model.js';
import { fnmatchcase } from './fnmatch.js';

/**
 * `str(pathlib.PurePosixPath(t))`: empty and `.` components dropped, trailing slashes dropped, `..` kept;
 * exactly two leading slashes stay (POSIX implementation-defined root), one or three+ become one.
 */
export function normaliseLinkTarget(t: string): string {
  const root = t.startsWith('//') && !t.startsWith('///') ? '//' : t.startsWith('/') ? '/' : '';
  const parts = t.split('/').filter((c) => c !== '' && c !== '.');
  const body = parts.join('/');
  if (root === '') return body === '' ? '.' : body;
  return root + body;
}

/** craft-parts >= 2.34 compares `Path(readlink(a)) != Path(readlink(b))`; older versions compared raw strings. */
export function linkTargetsCollide(a: string, b: string): boolean {
  return normaliseLinkTarget(a) !== normaliseLinkTarget(b);
}

/** `Path(name).suffix == ".pc"`: a bare `.pc` (a dot file) has no suffix and is compared byte-wise. */
export function isPcName(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const i = name.lastIndexOf('.');
  return i > 0 && i < name.length - 1 && name.slice(i) === '.pc';
}

/**
 * Lines as Python's text-mode file iteration yields them: universal newlines (`\r\n` and `\r` become `\n`),
 * each line keeping its `\n`; no other separator counts.
 */
export function pyTextLines(text: string): string[] {
  const t = text.replace(/\r\n?/g, '\n');
  const out: string[] = [];
  let start = 0;
  for (let i = t.indexOf('\n'); i >= 0; i = t.indexOf('\n', start)) {
    out.push(t.slice(start, i + 1));
    start = i + 1;
  }
  if (start < t.length) out.push(t.slice(start));
  return out;
}

/**
 * `_file_collides` for `.pc` files: `zip` the two line sequences (the longer file's extra lines are never
 * read), skip pairs where both lines start with `prefix=`, any other unequal pair collides.
 */
export function pcFilesCollide(aText: string, bText: string): boolean {
  const a = pyTextLines(aText);
  const b = pyTextLines(bText);
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    if (x.startsWith('prefix=') && y.startsWith('prefix=')) continue;
    if (x !== y) return true;
  }
  return false;
}

/**
 * Bytes → text as craft-parts' `open()` decodes them (UTF-8 locale, strict, BOM kept). `undefined` when the
 * bytes are not UTF-8: craft-parts would die with `UnicodeDecodeError`; the caller decides what to report.
 */
export function decodePcText(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** `Permissions.applies_to`: `*` applies to everything, otherwise `fnmatch` on the whole relative path. */
export function permissionApplies(spec: PermissionSpec, path: string): boolean {
  const pat = spec.path ?? '*';
  return pat === '*' || fnmatchcase(path, pat);
}

/** `int(mode, base=8)` for the spellings Python accepts ("755", "0755", "0o755", " +7_55 "). */
export function parseOctalMode(mode: string): number | undefined {
  const m = /^\s*([+-]?)(?:0[oO]_?)?([0-7](?:_?[0-7])*)\s*$/.exec(mode);
  if (!m) return undefined;
  const v = Number.parseInt((m[2] as string).replaceAll('_', ''), 8);
  return m[1] === '-' ? -v : v;
}

interface Squashed {
  owner: number | undefined;
  group: number | undefined;
  mode: string | undefined;
}

function squash(specs: readonly PermissionSpec[]): Squashed {
  const out: Squashed = { owner: undefined, group: undefined, mode: undefined };
  for (const s of specs) {
    if (s.owner !== undefined && s.owner !== null) out.owner = s.owner;
    if (s.group !== undefined && s.group !== null) out.group = s.group;
    if (s.mode !== undefined && s.mode !== null) out.mode = s.mode;
  }
  return out;
}

/** `permissions_are_compatible` on already-filtered lists; an empty list on either side is compatible. */
export function permissionsCompatible(left: readonly PermissionSpec[], right: readonly PermissionSpec[]): boolean {
  if (left.length === 0 || right.length === 0) return true;
  const a = squash(left);
  const b = squash(right);
  if (a.owner !== b.owner || a.group !== b.group) return false;
  if (a.mode === undefined && b.mode === undefined) return true;
  if (a.mode === undefined || b.mode === undefined) return false;
  return parseOctalMode(a.mode) === parseOctalMode(b.mode);
}

/** The final step of `paths_collide`: each part's `permissions:` filtered by `path`, then compared. */
export function permissionsCollide(aSpecs: readonly PermissionSpec[], bSpecs: readonly PermissionSpec[], path: string): boolean {
  return !permissionsCompatible(
    aSpecs.filter((s) => permissionApplies(s, path)),
    bSpecs.filter((s) => permissionApplies(s, path)),
  );
}

/**
 * What `paths_collide` needs next for two entries that both exist (`lexists`), by their lstat types:
 * - `link-targets`: both symlinks; compare targets only, permissions are never consulted;
 * - `collide`: decided (`symlink`: exactly one is a link; `type`: dir vs non-dir; `special`: a fifo,
 *   socket or device, which `filecmp.cmp` never calls equal, even to its twin);
 * - `pc-text` / `bytes`: two regular files; compare as `.pc` text or as bytes (sizes first), then permissions;
 * - `permissions`: two directories; only `permissions:` can make them collide.
 * A `.pc` name that is a fifo or device is `special`: craft-parts would open() it (and block or fail).
 */
export type TypeVerdict =
  | { next: 'link-targets' }
  | { next: 'collide'; reason: 'symlink' | 'type' | 'special' }
  | { next: 'pc-text' }
  | { next: 'bytes' }
  | { next: 'permissions' };

export function entryTypesCollide(aType: EntryType | 'other', bType: EntryType | 'other', path = ''): TypeVerdict {
  const aLink = aType === 'symlink';
  const bLink = bType === 'symlink';
  if (aLink && bLink) return { next: 'link-targets' };
  if (aLink || bLink) return { next: 'collide', reason: 'symlink' };
  const aDir = aType === 'dir';
  const bDir = bType === 'dir';
  if (aDir !== bDir) return { next: 'collide', reason: 'type' };
  if (aDir) return { next: 'permissions' };
  if (aType !== 'file' || bType !== 'file') return { next: 'collide', reason: 'special' };
  return isPcName(path) ? { next: 'pc-text' } : { next: 'bytes' };
}
