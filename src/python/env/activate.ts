/**
 * venv's activation scripts (Lib/venv/scripts/{common,posix}/). `python -m venv` substitutes the venv's
 * absolute path (`__VENV_DIR__`) and prompt name (`__VENV_PROMPT__`, the dir's basename unless `--prompt`;
 * `install` for every craft part) into `activate`, `activate.csh` and `activate.fish`. Up to 3.13.0 the
 * templates quote the path themselves (`VIRTUAL_ENV="/p"`); 3.13.1 (gh-124651) substitutes `shlex.quote`d
 * values into unquoted slots instead. `Activate.ps1` finds its venv at run time and holds no path.
 */
import { posix } from 'node:path';
import { INSTALL_TOKEN, PROMPT_TOKEN, replaceInstallPaths, shlexQuote } from './paths.js';

export type ActivateKind = 'bash' | 'csh' | 'fish' | 'ps1';

/** The script kind from its file name (`activate`, `activate.csh`, `activate.fish`, `Activate.ps1`). */
export function activateKind(fileName: string): ActivateKind | undefined {
  switch (fileName) {
    case 'activate':
      return 'bash';
    case 'activate.csh':
      return 'csh';
    case 'activate.fish':
      return 'fish';
    case 'Activate.ps1':
      return 'ps1';
    default:
      return undefined;
  }
}

/** The venv scaffolding files that embed the venv's path, by install-relative path. */
export function venvFileKind(path: string): 'activate' | 'pyvenv.cfg' | undefined {
  if (path === 'pyvenv.cfg') return 'pyvenv.cfg';
  if (posix.dirname(path) === 'bin' && activateKind(posix.basename(path)) !== undefined) return 'activate';
  return undefined;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Replaces the venv path (quoted or not) and the prompt name by tokens. The prompt is replaced only in
 * the shapes the templates give it, `(name)`, `"name"`, `'name'` and `VIRTUAL_ENV_PROMPT=name`, so a
 * venv called `bin` does not rewrite every `bin` in the script.
 */
export function normalizeActivate(text: string, installPaths: readonly string[], prompts: readonly string[] = []): string {
  let out = replaceInstallPaths(text, installPaths);
  const names = new Set([...installPaths.map((p) => posix.basename(p.replace(/\/+$/, ''))), ...prompts]);
  for (const name of [...names].filter((n) => n !== '' && !n.includes('\n')).sort((a, b) => b.length - a.length)) {
    const n = escapeRe(name);
    out = out
      .replace(new RegExp(`\\(${n}\\)`, 'g'), `(${PROMPT_TOKEN})`)
      .replace(new RegExp(`"${n}"`, 'g'), `"${PROMPT_TOKEN}"`)
      .replace(new RegExp(`'${n}'`, 'g'), `'${PROMPT_TOKEN}'`)
      .replace(new RegExp(`(VIRTUAL_ENV_PROMPT[= ])${n}$`, 'gm'), `$1${PROMPT_TOKEN}`);
    if (shlexQuote(name) !== name) out = out.split(shlexQuote(name)).join(PROMPT_TOKEN);
  }
  return out;
}

/** The absolute venv path the script was generated with, from its `VIRTUAL_ENV` assignment. */
export function activateVenvPath(text: string, kind: ActivateKind): string | undefined {
  const re: Record<ActivateKind, RegExp | undefined> = {
    bash: /^\s*(?:export\s+)?VIRTUAL_ENV=(?:"([^"$`\\]+)"|'([^']+)'|(\/[^\s;'"]*))\s*$/m,
    csh: /^\s*setenv\s+VIRTUAL_ENV\s+(?:"([^"$`\\]+)"|'([^']+)'|(\/\S*))\s*$/m,
    fish: /^\s*set\s+-gx\s+VIRTUAL_ENV\s+(?:"([^"$\\]+)"|'([^']+)'|(\/\S*))\s*$/m,
    ps1: undefined,
  };
  const r = re[kind];
  const m = r ? r.exec(text) : null;
  return m ? (m[1] ?? m[2] ?? m[3]) : undefined;
}

const VAR = '_stagefix_venv';

// Each prelude sets VAR to the venv root computed from the script's own path, falling back to the
// build-time path where the shell cannot tell (plain sh/dash, csh without tcsh's `$_`).
const preludes: Record<Exclude<ActivateKind, 'ps1'>, (fallback: string) => string> = {
  // bash: BASH_SOURCE is the sourced file; zsh: $0 is the sourced file (FUNCTION_ARGZERO, on by default).
  bash: (fallback) =>
    [
      '# stagefix: locate the venv from this script, so the staged copy works wherever it is installed.',
      'if [ -n "${BASH_SOURCE:-}" ] ; then',
      '    _stagefix_activate="${BASH_SOURCE:-}"',
      'elif [ -n "${ZSH_VERSION:-}" ] ; then',
      '    _stagefix_activate="$0"',
      'else',
      '    _stagefix_activate=""',
      'fi',
      'if [ -n "$_stagefix_activate" ] ; then',
      `    ${VAR}="$(CDPATH= cd -- "$(dirname -- "$_stagefix_activate")/.." > /dev/null && pwd)"`,
      'else',
      `    ${VAR}=${shlexQuote(fallback)}`,
      'fi',
      'unset _stagefix_activate',
      '',
    ].join('\n'),
  // tcsh: while the first line of a sourced file runs, $_ is the `source <file>` command line.
  csh: (fallback) =>
    [
      'set _stagefix_src = ($_)',
      '# stagefix: locate the venv from this script (tcsh sets $_ to "source <file>" on the first line).',
      'if ( $#_stagefix_src >= 2 ) then',
      `    set ${VAR} = \`dirname "$_stagefix_src[2]"\``,
      `    set ${VAR} = \`cd "$${VAR}/.." && pwd\``,
      'else',
      `    set ${VAR} = "${fallback}"`,
      'endif',
      'unset _stagefix_src',
      '',
    ].join('\n'),
  // fish: `status --current-filename` is the sourced file; `set -l` is local to the sourced file.
  fish: (fallback) =>
    [
      '# stagefix: locate the venv from this script, so the staged copy works wherever it is installed.',
      `set -l ${VAR} (builtin realpath (dirname (status --current-filename))/..)`,
      `or set ${VAR} ${shlexQuote(fallback)}`,
      '',
    ].join('\n'),
};

/**
 * Rewrites an activate script so that it computes the venv path from its own location instead of the
 * absolute build path. Returns the text unchanged for `Activate.ps1` (already relocatable) and when no
 * `VIRTUAL_ENV` assignment is found.
 */
export function relocatableActivate(text: string, kind: ActivateKind): string {
  if (kind === 'ps1') return text;
  const venv = activateVenvPath(text, kind);
  if (venv === undefined) return text;
  const ref = kind === 'fish' ? `$${VAR}` : `\${${VAR}}`;
  // The path appears double-quoted (<= 3.13.0) or as a shlex word (>= 3.13.1); both become "$VAR".
  let body = replaceInstallPaths(text, [venv]);
  // Right after an opening `"` the reference is already inside double quotes; elsewhere it gets its own.
  body = body.replace(new RegExp(`(")?${INSTALL_TOKEN}`, 'g'), (_m, dq: string | undefined) =>
    dq ? `"${ref}` : `"${ref}"`,
  );
  const prelude = preludes[kind](venv);
  if (kind === 'csh') return `${prelude}${body}${body.endsWith('\n') ? '' : '\n'}unset ${VAR}\n`;
  // Keep the leading comment block first; the prelude goes right after it.
  const lines = body.split('\n');
  let i = 0;
  while (i < lines.length && (lines[i] ?? '').startsWith('#')) i++;
  const head = lines.slice(0, i).join('\n');
  const rest = lines.slice(i).join('\n');
  const tail = kind === 'bash' ? `${rest.endsWith('\n') ? '' : '\n'}unset ${VAR}\n` : '';
  return `${head}${i > 0 ? '\n' : ''}${prelude}${rest}${tail}`;
}
