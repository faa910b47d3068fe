/**
 * `pyvenv.cfg`, written by `python -m venv` (Lib/venv/__init__.py `create_configuration`) and read by
 * `site.py` (`venv()`): `key = value` lines, key case-insensitive, later keys win. venv writes `home`,
 * `include-system-site-packages`, `version`, and from 3.11 `executable` and `command` (the latter holds
 * the venv's absolute path, which is why pyvenv.cfg collides between parts from 3.11 on). virtualenv and
 * uv write `version_info` instead of `version`, plus their own keys.
 */
import { FormatError } from '../../errors.js';
import { replaceInstallPaths } from './paths.js';

export interface PyvenvCfg {
  home?: string;
  includeSystemSitePackages?: boolean;
  /** `version` (venv) or `version_info` (virtualenv, uv), as written. */
  version?: string;
  executable?: string;
  command?: string;
  prompt?: string;
  /** Every key (lowercased) → last value, as site.py sees them. */
  entries: Map<string, string>;
}

const FORMAT = 'pyvenv.cfg';

/**
 * site.py silently ignores lines without `=`; stagefix is stricter so that a file that is not a
 * pyvenv.cfg at all is reported instead of read as empty. Comments (`#`, `;`) and blank lines are skipped.
 */
export function parsePyvenvCfg(text: string): PyvenvCfg {
  const entries = new Map<string, string>();
  const lines = text.split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) throw new FormatError(FORMAT, 'expected "key = value"', `line ${i + 1}`);
    const key = line.slice(0, eq).trim().toLowerCase();
    if (key === '' || /\s/.test(key) || line.includes('\0')) {
      throw new FormatError(FORMAT, 'expected "key = value"', `line ${i + 1}`);
    }
    entries.set(key, line.slice(eq + 1).trim());
  }
  if (entries.size === 0) throw new FormatError(FORMAT, 'no keys');
  const cfg: PyvenvCfg = { entries };
  const home = entries.get('home');
  const isp = entries.get('include-system-site-packages');
  const version = entries.get('version') ?? entries.get('version_info');
  const executable = entries.get('executable');
  const command = entries.get('command');
  const prompt = entries.get('prompt');
  if (home !== undefined) cfg.home = home;
  // site.py: only "true" (any case) enables the system site-packages.
  if (isp !== undefined) cfg.includeSystemSitePackages = isp.toLowerCase() === 'true';
  if (version !== undefined) cfg.version = version;
  if (executable !== undefined) cfg.executable = executable;
  if (command !== undefined) cfg.command = command;
  if (prompt !== undefined) cfg.prompt = prompt;
  return cfg;
}

/** pyvenv.cfg with the part's own install path(s) replaced by a token, for comparing two parts' files. */
export function normalizePyvenvCfg(text: string, installPaths: readonly string[]): string {
  return replaceInstallPaths(text, installPaths);
}
