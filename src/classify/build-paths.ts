/**
 * Build-time paths that leak into files: the part's own `parts/<p>/{install,build,src}` (wherever the
 * project lived when it was built: `/root/parts/...` in a build VM, a checkout elsewhere), the dir the
 * scan reads it from now, and pip's temporary dirs. Replacing them with tokens shows whether two files
 * differ only in where they were built.
 */
const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A path component as it appears in build paths; excludes quotes, whitespace and separators. */
const COMPONENT = "[^\\s/'\"=:;,()<>|&]+";

export const TOKENS = { install: '${PART_INSTALL}', build: '${PART_BUILD}', src: '${PART_SRC}', piptmp: '${PIP_TMP}' } as const;

export function buildPathRegex(part: string): RegExp {
  return new RegExp(`(?:/${COMPONENT})*/parts/${escapeRe(part)}/(install|build|src)(?=$|[/\\s'"=:;,()<>|&])`, 'g');
}

const PIP_TMP = new RegExp(`/tmp/pip-(?:unpacked-wheel|install|req-build|build-env|target|ephem-wheel-cache|wheel)-${COMPONENT}`, 'g');

/** Replaces every build-time path of `part` in `text` with a token. */
export function normaliseBuildPaths(text: string, part: string, installDirNow?: string): string {
  let out = text;
  if (installDirNow) out = out.split(installDirNow).join(TOKENS.install);
  out = out.replace(buildPathRegex(part), (_m, which: 'install' | 'build' | 'src') => TOKENS[which]);
  return out.replace(PIP_TMP, TOKENS.piptmp);
}

/** The distinct build-time paths of `part` that occur in `text` (evidence). */
export function findBuildPaths(text: string, part: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(buildPathRegex(part))) found.add(m[0]);
  for (const m of text.matchAll(PIP_TMP)) found.add(m[0]);
  return [...found].sort();
}

/** Heuristic used by rules that only make sense for text: no NUL in the first 8 KiB (as git and diff do). */
export function looksLikeText(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 8192);
  for (let i = 0; i < n; i++) if (bytes[i] === 0) return false;
  return true;
}

/** Decodes bytes 1:1 to code units so that any byte sequence round-trips and compares exactly. */
export const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');

/** First differing line between two texts, for evidence. */
export function firstDifferentLine(a: string, b: string): { line: number; a: string; b: string } | undefined {
  const la = a.split('\n');
  const lb = b.split('\n');
  const n = Math.max(la.length, lb.length);
  for (let i = 0; i < n; i++) {
    if (la[i] !== lb[i]) return { line: i + 1, a: (la[i] ?? '<end of file>').slice(0, 200), b: (lb[i] ?? '<end of file>').slice(0, 200) };
  }
  return undefined;
}
