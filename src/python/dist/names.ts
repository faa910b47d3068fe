/**
 * Distribution names as pip and setuptools spell them in site-packages.
 * PEP 503 normalisation: https://peps.python.org/pep-0503/#normalized-names
 * dist-info naming (PEP 427 escaping, `-` in name/version becomes `_`):
 * https://packaging.python.org/en/latest/specifications/recording-installed-packages/
 */

/** PEP 503: lowercase, runs of `-`, `_`, `.` become one `-`. */
export function normalizeName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

export interface DistDirName {
  kind: 'dist-info' | 'egg-info';
  /** The name as written in the directory (escaped: `_` where the project has `-`). */
  name: string;
  /** PEP 503 form of `name`, for matching across spellings. */
  normalized: string;
  /** Absent for a develop-mode `name.egg-info`. */
  version?: string;
  /** egg-info only: `py3.11` tag, when written. */
  pyVersion?: string;
  /** egg-info only: platform tag, when written. */
  platform?: string;
}

/**
 * Parses `flask-3.1.3.dist-info`, `zope.interface-6.0.dist-info`, `foo_bar-1.0-py3.11.egg-info`,
 * `foo.egg-info`. Returns undefined for anything else (the caller decides whether that matters).
 */
export function parseDistDirName(dirName: string): DistDirName | undefined {
  const m = /^(.+)\.(dist-info|egg-info)$/.exec(dirName);
  if (!m?.[1] || !m[2]) return undefined;
  const base = m[1];
  if (m[2] === 'dist-info') {
    // The version never contains `-` once escaped, so the last `-` separates it.
    const dash = base.lastIndexOf('-');
    if (dash <= 0 || dash === base.length - 1) return undefined;
    const name = base.slice(0, dash);
    return { kind: 'dist-info', name, normalized: normalizeName(name), version: base.slice(dash + 1) };
  }
  // egg-info: name[-version[-pyX.Y[-platform]]], each component escaped by setuptools' to_filename.
  const parts = base.split('-');
  const [name, version, pyVersion, platform, ...rest] = parts;
  if (!name || rest.length > 0 || parts.some((p) => p === '')) return undefined;
  const out: DistDirName = { kind: 'egg-info', name, normalized: normalizeName(name) };
  if (version !== undefined) out.version = version;
  if (pyVersion !== undefined) out.pyVersion = pyVersion;
  if (platform !== undefined) out.platform = platform;
  return out;
}
