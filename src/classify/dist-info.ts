/**
 * Which Python distribution a file belongs to, from the `*.dist-info/RECORD` files of its part, and
 * that distribution's version from `METADATA`. Used for evidence ("numpy 1.26.4 vs 2.2.6") and by the
 * RECORD rule. Results are cached per file source.
 */
import { posix } from 'node:path';
import type { PartName } from '../model.js';
import { parseMetadata } from '../python/dist/metadata.js';
import { parseRecord } from '../python/dist/record.js';
import type { FileSource } from './types.js';
import { memoFor } from './memo.js';

export interface DistOwner {
  name: string;
  version: string;
  distInfo: string;
}

interface SiteIndex {
  /** Install-relative path → owner. */
  owners: Map<string, DistOwner>;
}

const siteIndex = memoFor<SiteIndex>();

/** The `.../site-packages` (or dist-packages) dir a path lies in, if any. */
export function sitePackagesOf(path: string): string | undefined {
  const m = /^(.*?\/(?:site|dist)-packages)(?:\/|$)/.exec(path);
  return m?.[1];
}

const decoder = new TextDecoder('utf-8', { fatal: false });

async function buildIndex(source: FileSource, part: PartName, site: string): Promise<SiteIndex> {
  const owners = new Map<string, DistOwner>();
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
    const owner: DistOwner = { name, version, distInfo };
    owners.set(`${distInfo}/RECORD`, owner);
    if (source.entry(part, `${distInfo}/RECORD`)?.type !== 'file') continue;
    try {
      const rows = parseRecord(decoder.decode(await source.read(part, `${distInfo}/RECORD`)));
      for (const row of rows) {
        const p = posix.normalize(`${site}/${row.path}`);
        if (!p.startsWith('../') && !posix.isAbsolute(p)) owners.set(p, owner);
      }
    } catch {
      // A corrupt RECORD owns nothing; the RECORD rule reports it.
    }
  }
  return { owners };
}

export async function distributionOf(source: FileSource, part: PartName, path: string): Promise<DistOwner | undefined> {
  // Scripts in bin/ belong to a distribution through a `../../../bin/x` RECORD row: search every site.
  const site = sitePackagesOf(path);
  const sites = site ? [site] : allSites(source, part);
  for (const s of sites) {
    const idx = siteIndex(source, `${part}\0${s}`, () => buildIndex(source, part, s));
    const owner = (await idx).owners.get(path);
    if (owner) return owner;
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
