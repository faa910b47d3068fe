/**
 * Which Python distribution a file belongs to, from the `*.dist-info/RECORD` files of its part, and
 * that distribution's version from `METADATA`. Used for evidence ("numpy 1.26.4 vs 2.2.6") and by the
 * RECORD rule. Results are cached per file source.
 */
import type { PartName } from '../model.js';
import { parseMetadata } from '../python/dist/metadata.js';
import type { RecordRow } from '../python/dist/record.js';
import { ownerIndex, type InstalledDist, type OwnerIndex } from '../python/dist/owner.js';
import type { FileSource } from './types.js';
import { memoFor } from './memo.js';
import { recordRowsOnce } from './record-rows.js';

export interface DistOwner {
  name: string;
  version: string;
  distInfo: string;
}

const siteIndex = memoFor<OwnerIndex>();

/** The `.../site-packages` (or dist-packages) dir a path lies in, if any. */
export function sitePackagesOf(path: string): string | undefined {
  const m = /^(.*?\/(?:site|dist)-packages)(?:\/|$)/.exec(path);
  return m?.[1];
}

const decoder = new TextDecoder('utf-8', { fatal: false });

async function buildIndex(source: FileSource, part: PartName, site: string): Promise<OwnerIndex> {
  const dists: InstalledDist[] = [];
  for (const child of source.children(part, site).filter((c) => c.endsWith('.dist-info')).sort()) {
    const distInfo = `${site}/${child}`;
    let name = child.replace(/-[^-]*\.dist-info$/, '');
    let version = /-([^-]*)\.dist-info$/.exec(child)?.[1] ?? '?';
    try {
      if (source.entry(part, `${distInfo}/METADATA`)?.type === 'file') {
        const meta = parseMetadata(decoder.decode(await source.read(part, `${distInfo}/METADATA`)));
        name = meta.name ?? name;
        version = meta.version ?? version;
      }
    } catch {
      // A corrupt METADATA leaves the name and version from the directory name; RECORD still counts.
    }
    // RECORD belongs to its distribution even when it cannot be read or does not list itself.
    const rows: RecordRow[] = [{ path: `${child}/RECORD` }];
    if (source.entry(part, `${distInfo}/RECORD`)?.type === 'file') {
      try {
        rows.push(...(await recordRowsOnce(source, part, `${distInfo}/RECORD`)));
      } catch {
        // A corrupt RECORD owns nothing else; the RECORD rule reports it.
      }
    }
    dists.push({ distInfoDir: distInfo, rows, name, version });
  }
  return ownerIndex(dists);
}

export async function distributionOf(source: FileSource, part: PartName, path: string): Promise<DistOwner | undefined> {
  // Scripts in bin/ belong to a distribution through a `../../../bin/x` RECORD row: search every site.
  const site = sitePackagesOf(path);
  const sites = site ? [site] : allSites(source, part);
  for (const s of sites) {
    const idx = await siteIndex(source, `${part}\0${s}`, () => buildIndex(source, part, s));
    // Several distributions may list one file (one overwrote the other); which is unknowable here, so the
    // choice is only deterministic: the last in name order.
    const owner = idx.all(path).at(-1);
    if (owner) return { name: owner.distribution, version: owner.version, distInfo: owner.distInfoDir };
  }
  return undefined;
}

function allSites(source: FileSource, part: PartName): string[] {
  const out: string[] = [];
  for (const lib of ['lib', 'lib64', 'usr/lib', 'usr/local/lib']) {
    for (const py of source.children(part, lib).filter((c) => /^python3(\.\d+)?$/.test(c))) {
      for (const sp of ['site-packages', 'dist-packages']) {
        const dir = `${lib}/${py}/${sp}`;
        if (source.entry(part, dir)?.type === 'dir') out.push(dir);
      }
    }
  }
  return out;
}
