/**
 * What a project's base provides at run time, for the few paths integrity rules need to judge: the
 * system interpreter. The bases' own files are not on the machine stagefix runs on, so this is a small
 * table, not a lookup. Sources: snapcraft `parts/plugins/python_common.py` (core22 `/usr/bin/python3.10`,
 * core24 `/usr/bin/python3.12`) and the Ubuntu release each base is built from (core18 18.04 → 3.6,
 * core20 20.04 → 3.8). Rocks and charms name the release (`ubuntu@22.04`; older rockcraft `ubuntu:22.04`);
 * we assume the same interpreter there (note: the plain Ubuntu OCI images do not always install python3,
 * so on a rock this is the optimistic answer). `bare` provides nothing. Every Ubuntu base is glibc.
 */

export interface BaseFacts {
  base: string;
  /** The interpreter minor `/usr/bin/python3` is, or undefined when the base ships none. */
  pythonMinor?: string;
  libc: 'gnu';
  /** Absolute paths the base is known to provide (interpreter files and their stdlib dirs). */
  provides: readonly string[];
}

const RELEASE_PYTHON: Readonly<Record<string, string>> = {
  '18.04': '3.6',
  '20.04': '3.8',
  '22.04': '3.10',
  '24.04': '3.12',
};

const CORE_RELEASE: Readonly<Record<string, string>> = {
  core18: '18.04',
  core20: '20.04',
  core22: '22.04',
  core24: '24.04',
};

/** Facts for a project's `base:` (or `build-base:`); undefined when the base is not in the table. */
export function baseFacts(base: string | undefined): BaseFacts | undefined {
  if (base === undefined) return undefined;
  if (base === 'bare') return { base, libc: 'gnu', provides: [] };
  const release = CORE_RELEASE[base] ?? /^ubuntu[@:](\d\d\.\d\d)$/.exec(base)?.[1];
  const minor = release !== undefined ? RELEASE_PYTHON[release] : undefined;
  if (minor === undefined) return undefined;
  return {
    base,
    pythonMinor: minor,
    libc: 'gnu',
    provides: ['/usr/bin/python3', `/usr/bin/python${minor}`, `/usr/lib/python${minor}`, '/usr/lib/python3'],
  };
}

/** Interpreter-like absolute paths: the only targets outside the stage a rule can judge with the table. */
export const BASE_PYTHON_PATH = /^\/usr\/(?:bin\/python\d(?:\.\d+)?|lib\/python\d(?:\.\d+)?)(?:\/|$)/;

/** Whether the base provides `abs` (the path itself or something below a provided directory). */
export function baseProvides(facts: BaseFacts, abs: string): boolean {
  return facts.provides.some((p) => abs === p || (p.startsWith('/usr/lib/') && abs.startsWith(`${p}/`)));
}
