/**
 * Which installed distribution owns a file: built from the RECORD rows of every distribution in one
 * site-packages, so a finding can say "this file belongs to numpy 1.26.4".
 */
import { posix } from 'node:path';
import { parseDistDirName } from './names.js';
import { isPlainPath, resolveRecordPath, type RecordRow } from './record.js';

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

type Owners = Owner | Owner[];

function add(map: Map<string, Owners>, key: string, owner: Owner): void {
  const cur = map.get(key);
  if (cur === undefined) map.set(key, owner);
  else if (Array.isArray(cur)) {
    if (!cur.includes(owner)) cur.push(owner);
  } else if (cur !== owner) map.set(key, [cur, owner]);
}

const asList = (o: Owners | undefined): readonly Owner[] => (o === undefined ? [] : Array.isArray(o) ? o : [o]);

/**
 * Indexes every RECORD row by its install-relative path; rows escaping the install dir are left out.
 * A row that needs no normalising (nearly all) is keyed by its own path string within its site, and a
 * path asked for is looked up there without its site prefix: a joined key per row was a second copy of
 * every path (about 11 MB on the bench's mixed tree). Only the rest (`../../../bin/x`) get a key of
 * their own.
 */
export function ownerIndex(dists: readonly InstalledDist[]): OwnerIndex {
  const bySite = new Map<string, Map<string, Owners>>();
  const joined = new Map<string, Owners>();
  const order = new Map<Owner, number>();
  for (const d of dists) {
    const parsed = parseDistDirName(posix.basename(d.distInfoDir));
    const owner: Owner = {
      distribution: d.name ?? parsed?.name ?? posix.basename(d.distInfoDir),
      version: d.version ?? parsed?.version ?? '',
      distInfoDir: d.distInfoDir,
    };
    order.set(owner, order.size);
    const sitePackagesDir = posix.dirname(d.distInfoDir);
    // Rows of a site that itself needs normalising all take the joined route.
    let site: Map<string, Owners> | undefined;
    if (isPlainPath(sitePackagesDir)) {
      site = bySite.get(sitePackagesDir);
      if (!site) bySite.set(sitePackagesDir, (site = new Map()));
    }
    for (const row of d.rows) {
      if (site && isPlainPath(row.path)) {
        add(site, row.path, owner);
        continue;
      }
      const rel = resolveRecordPath(sitePackagesDir, row.path);
      if (rel !== undefined) add(joined, rel, owner);
    }
  }
  const all = (p: string): readonly Owner[] => {
    let out: Owner[] | undefined;
    let only: readonly Owner[] = [];
    const take = (o: Owners | undefined): void => {
      if (o === undefined) return;
      if (only.length === 0) only = asList(o);
      else {
        out ??= [...only];
        for (const x of asList(o)) if (!out.includes(x)) out.push(x);
      }
    };
    for (const [dir, site] of bySite) {
      if (p.length > dir.length && p.startsWith(dir) && p[dir.length] === '/') take(site.get(p.slice(dir.length + 1)));
    }
    take(joined.get(p));
    // Owners found in two maps: back in input order, as one map would have kept them.
    return out ? out.sort((x, y) => (order.get(x) ?? 0) - (order.get(y) ?? 0)) : only;
  };
  return {
    get: (p) => all(p)[0],
    all,
    shared() {
      const paths = new Set(joined.keys());
      for (const [dir, site] of bySite) for (const k of site.keys()) paths.add(`${dir}/${k}`);
      return [...paths].filter((p) => all(p).length > 1).sort();
    },
  };
}
