/**
 * The canonical forms both `plan` (all parts at once) and `hook` (one part, blind to the others) write.
 * Each function is pure: the same input bytes and run-time prefix give the same output bytes in every
 * part, which is what makes independently canonicalised parts converge (docs/plan.md, docs/hook.md).
 */
import { posix } from 'node:path';
import { UsageError } from '../errors.js';
import { canonicalizePyc } from '../python/pyc/index.js';
import { sourceFromCache } from '../python/pyc/paths.js';
import { detectLineEnding, parseRecord, regenerateRecord, serializeRecord } from '../python/dist/record.js';
import { activateKind, activateVenvPath } from '../python/env/activate.js';
import { INSTALL_TOKEN, replaceInstallPaths } from '../python/env/paths.js';
import { buildPathRegex } from '../classify/build-paths.js';

/** Characters a run-time prefix may hold: shlex-safe, so it can replace a path in any venv script slot. */
const SAFE_PREFIX = /^\/[\w@%+=:,./-]*$/;

/** Normalises and checks a run-time prefix (`/snap/x/current`, `/`). */
export function checkRuntimePrefix(prefix: string): string {
  const p = prefix.length > 1 ? prefix.replace(/\/+$/, '') : prefix;
  if (!SAFE_PREFIX.test(p) || p.split('/').some((s) => s === '..' || s === '.')) {
    throw new UsageError(`--runtime-prefix must be an absolute path of letters, digits and @%+=:,./-_ without . or .. segments, got ${JSON.stringify(prefix)}`);
  }
  return p;
}

/** Where `rel` (relative to the install dir) lives at run time under `prefix`. */
export const runtimePath = (prefix: string, rel: string): string => (prefix === '/' ? `/${rel}` : `${prefix}/${rel}`);

/** The source a `__pycache__` pyc belongs to (importlib's `source_from_cache`). */
export const pycSource = sourceFromCache;

export interface PycInput {
  pyc: Uint8Array;
  source: Uint8Array;
  /** 3.6 only (no hash-based pycs): the source's mtime, which then ends up in the header. */
  sourceMtimeNs: bigint;
  /** The pyc's path relative to the install dir. */
  path: string;
}

/**
 * The canonical pyc: checked-hash header from the source (3.7+), co_filename at the source's run-time
 * path, marshal written in the engine's deterministic form. Throws FormatError on a pyc it cannot read.
 */
export function canonicalPyc(input: PycInput, prefix: string): Uint8Array {
  const src = pycSource(input.path);
  if (src === undefined) throw new UsageError(`${input.path}: not a __pycache__ pyc`);
  return canonicalizePyc(input.pyc, {
    filename: runtimePath(prefix, src),
    invalidation: 'checked-hash',
    source: input.source,
    sourceMtimeNs: input.sourceMtimeNs,
    sourceSize: input.source.length,
  });
}

export { venvFileKind } from '../python/env/activate.js';

/** Every spelling of a part's install dir found in `text`: craft's `.../parts/<p>/install`, the dir now. */
export function installPathsIn(text: string, part: string, installDirs: readonly string[]): string[] {
  const found = new Set<string>(installDirs.filter((d) => d.startsWith('/')));
  for (const m of text.matchAll(buildPathRegex(part))) if (m[1] === 'install') found.add(m[0]);
  return [...found];
}

const substitute = (tokenised: string, prefix: string): string =>
  tokenised.split(`${INSTALL_TOKEN}/`).join(prefix === '/' ? '/' : `${prefix}/`).split(INSTALL_TOKEN).join(prefix);

/**
 * activate scripts and pyvenv.cfg with the part's install path replaced by the run-time prefix: every
 * copy agrees and the staged venv activates at its run-time location. pyvenv.cfg `home`, `version` and
 * `executable` name the interpreter, not the venv, and are never touched (the path match is whole-path).
 */
export function normaliseVenvText(text: string, path: string, part: string, installDirs: readonly string[], prefix: string): string {
  const paths = installPathsIn(text, part, installDirs);
  const kind = activateKind(posix.basename(path));
  if (kind !== undefined) {
    const own = activateVenvPath(text, kind);
    if (own !== undefined) paths.push(own);
  }
  return substitute(replaceInstallPaths(text, paths), prefix);
}

/** Any text file: the part's build-time install path becomes the run-time prefix. */
export function rewriteInstallPaths(text: string, part: string, installDirs: readonly string[], prefix: string): string {
  return substitute(replaceInstallPaths(text, installPathsIn(text, part, installDirs)), prefix);
}

/** `a/b.dist-info/RECORD` → the site-packages dir its rows are relative to. */
export const recordSiteDir = (recordPath: string): string => posix.dirname(posix.dirname(recordPath));

export const isRecordPath = (path: string): boolean => /(^|\/)[^/]+\.dist-info\/RECORD$/.test(path);

/**
 * RECORD regenerated from the files as `lookup` gives them (new bytes for files being rewritten), order
 * and line ending kept. Returns the new text and whether anything changed.
 */
export function regenerateRecordText(
  text: string,
  recordPath: string,
  lookup: (installRel: string) => Uint8Array | 'missing',
): { text: string; changed: string[]; missing: string[] } {
  const rows = parseRecord(text);
  const res = regenerateRecord(rows, lookup, { sitePackagesDir: recordSiteDir(recordPath) });
  return { text: serializeRecord(res.rows, detectLineEnding(text)), changed: res.changed, missing: res.missing };
}

/** Install-relative paths of a RECORD's hashed rows (what its regeneration reads). */
export function recordHashedPaths(text: string, recordPath: string): string[] {
  const site = recordSiteDir(recordPath);
  const out: string[] = [];
  for (const r of parseRecord(text)) {
    if (r.algorithm === undefined) continue;
    if (r.path.startsWith('/')) continue;
    const p = posix.normalize(posix.join(site, r.path));
    if (p === '..' || p.startsWith('../')) continue;
    out.push(p);
  }
  return out;
}
