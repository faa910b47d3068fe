/**
 * Which installed distribution owns a file: built from the RECORD rows of every distribution in one
 * site-packages, so a finding can say "this file belongs to numpy 1.26.4".
 */
import { posix } from 'node:path';
import { parseDistDirName } from './names.js';
import { resolveRecordPath, type RecordRow } from './record.js';

export interface InstalledDist {
  /** Install-relative path of the .dist-info (or .egg-info) dir, e.g. `lib/python3.11/site-packages/flask-3.1.3.dist-info`. */
  distInfoDir: string;
  rows: readonly RecordRow[];
  /** From METADATA when the caller has read it; else taken from the directory name. */
  name?: string;
  version?: string;
}

export interface Owner {
  distribution: string;
  version: string;
  distInfoDir: string;
}

export interface OwnerIndex {
  /** The first distribution (in input order) whose RECORD lists the install-relative path. */
  get(installRelPath: string): Owner | undefined;
  /** Every distribution listing the path (more than one means they overwrote each other's file). */
  all(installRelPath: string): readonly Owner[];
  /** Paths listed by more than one distribution. */
  shared(): string[];
}

/** Indexes every RECORD row by its install-relative path; rows escaping the install dir are left out. */
export function ownerIndex(dists: readonly InstalledDist[]): OwnerIndex {
  const byPath = new Map<string, Owner[]>();
  for (const d of dists) {
    const parsed = parseDistDirName(posix.basename(d.distInfoDir));
    const owner: Owner = {
      distribution: d.name ?? parsed?.name ?? posix.basename(d.distInfoDir),
      version: d.version ?? parsed?.version ?? '',
      distInfoDir: d.distInfoDir,
    };
    const sitePackagesDir = posix.dirname(d.distInfoDir);
    for (const row of d.rows) {
      const rel = resolveRecordPath(sitePackagesDir, row.path);
      if (rel === undefined) continue;
      const list = byPath.get(rel);
      if (!list) byPath.set(rel, [owner]);
      else if (!list.includes(owner)) list.push(owner);
    }
  }
  return {
    get: (p) => byPath.get(p)?.[0],
    all: (p) => byPath.get(p) ?? [],
    shared: () => [...byPath].filter(([, o]) => o.length > 1).map(([p]) => p).sort(),
  };
}
