/**
 * Replacing a venv's absolute path inside text files (pyvenv.cfg, activate scripts) by a token, so two
 * parts' files can be compared for everything but where they were built.
 */

/** Stands for the part's install dir (the venv root) in normalised text. */
export const INSTALL_TOKEN = '@INSTALL@';
/** Stands for the venv's prompt name (the install dir's basename unless `--prompt` was given). */
export const PROMPT_TOKEN = '@PROMPT@';

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** POSIX shell single-quoting the way Python's `shlex.quote` does it (venv uses it from 3.13.1). */
export function shlexQuote(s: string): string {
  if (s !== '' && /^[\w@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

// A path char on either side means the match is part of a longer path (`/a` inside `/b/a`, `/ab`);
// `@` is included so the token itself is a boundary that cannot create new matches on a second pass.
const PATH_CHAR = '[\\w.~@+-]';

/**
 * Replaces each install path (longest first, trailing `/` ignored) where it stands as a whole path:
 * not preceded by a path char or `/`, and followed by the end, `/` or a non-path char. The shlex-quoted
 * form is replaced first, so `'/my dir/install'` becomes the bare token.
 */
export function replaceInstallPaths(text: string, installPaths: readonly string[]): string {
  const paths = [...new Set(installPaths.map((p) => (p.length > 1 ? p.replace(/\/+$/, '') : p)))]
    .filter((p) => p.startsWith('/') && p.length > 1)
    .sort((a, b) => b.length - a.length);
  let out = text;
  for (const p of paths) {
    const quoted = shlexQuote(p);
    if (quoted !== p) out = out.split(quoted).join(INSTALL_TOKEN);
    const re = new RegExp(`(?<!${PATH_CHAR}|/)${escapeRe(p)}(?!${PATH_CHAR})`, 'g');
    out = out.replace(re, INSTALL_TOKEN);
  }
  return out;
}
