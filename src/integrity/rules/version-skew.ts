/**
 * One distribution (PEP 503 name) installed at different versions by different parts in the same
 * site-packages. The dist-info dirs have different names, so nothing collides by path, yet the stage
 * ends up with two dist-infos and a mixture of both versions' files: the later part overwrites the
 * files both versions have, and the earlier version's other files stay (issue 8).
 */
import { posix } from 'node:path';
import { normalizeName, parseDistDirName } from '../../python/dist/names.js';
import { parseRecord, resolveRecordPath } from '../../python/dist/record.js';
import type { PartName } from '../../model.js';
import { importRoots } from '../python.js';
import type { IntegrityContext, IntegrityResult, IntegrityRule } from '../types.js';

/** Files listed in evidence per version; the count in args is complete. */
const MAX_LISTED = 25;

interface Install {
  part: PartName;
  version: string;
  distInfo: string;
}

async function recordPaths(ctx: IntegrityContext, root: string, i: Install): Promise<string[] | { error: string }> {
  const path = `${i.distInfo}/RECORD`;
  if (ctx.staged.partEntry(i.part, path)?.type !== 'file') return { error: 'no RECORD' };
  try {
    const rows = parseRecord(Buffer.from(await ctx.source.read(i.part, path)).toString('utf8'));
    return rows.map((r) => resolveRecordPath(root, r.path)).filter((p): p is string => p !== undefined);
  } catch (e) {
    return { error: (e as Error).message };
  }
}

export const versionSkewRule: IntegrityRule = {
  id: 'version-skew',
  description: 'One distribution installed at different versions by different parts in the same site-packages.',
  messages: {
    skew: '{name} is installed as {versionA} by {partsA} and as {versionB} by {partsB} in {dir}; {mixed} files of {versionA} stay beside {versionB} in the stage',
  },
  async check(ctx) {
    const out: IntegrityResult[] = [];
    for (const root of importRoots(ctx)) {
      const byName = new Map<string, Install[]>();
      for (const child of ctx.staged.children(root.dir)) {
        const d = parseDistDirName(child);
        if (d?.version === undefined) continue;
        const distInfo = `${root.dir}/${child}`;
        for (const { part, entry } of ctx.staged.providers(distInfo)) {
          if (entry.type !== 'dir') continue;
          const list = byName.get(d.normalized) ?? [];
          list.push({ part, version: d.version, distInfo });
          byName.set(d.normalized, list);
        }
      }
      for (const [name, installs] of byName) {
        const versions = [...new Set(installs.map((i) => normalizeName(i.version)))];
        if (versions.length < 2) continue;
        const order = (p: PartName): number => ctx.staged.parts.indexOf(p);
        installs.sort((a, b) => order(a.part) - order(b.part));
        // The last part's version is what the stage mostly holds; the others' leftovers are the mixture.
        const winner = installs[installs.length - 1] as Install;
        const losers = installs.filter((i) => normalizeName(i.version) !== normalizeName(winner.version));
        const first = losers[0] as Install;
        const mixture: Record<string, unknown>[] = [];
        let mixed = 0;
        for (const l of losers) {
          const paths = await recordPaths(ctx, root.dir, l);
          if (!Array.isArray(paths)) {
            mixture.push({ part: l.part, version: l.version, error: paths.error });
            continue;
          }
          // Files of this version that no part of the winning version stages, and that are this part's copy in the stage.
          const left = paths.filter(
            (p) =>
              !p.startsWith(`${l.distInfo}/`) &&
              ctx.staged.get(p)?.part === l.part &&
              !installs.some((w) => normalizeName(w.version) === normalizeName(winner.version) && ctx.staged.partEntry(w.part, p)),
          );
          mixed += left.length;
          mixture.push({ part: l.part, version: l.version, distInfo: l.distInfo, files: left.length, listed: left.slice(0, MAX_LISTED) });
        }
        const partsOf = (v: string): PartName[] => [...new Set(installs.filter((i) => normalizeName(i.version) === normalizeName(v)).map((i) => i.part))];
        out.push({
          path: winner.distInfo,
          parts: [...new Set(installs.map((i) => i.part))],
          verdict: 'real',
          messageId: 'skew',
          args: {
            name: parseDistDirName(posix.basename(winner.distInfo))?.name ?? name,
            versionA: first.version,
            partsA: partsOf(first.version).join(', '),
            versionB: winner.version,
            partsB: partsOf(winner.version).join(', '),
            dir: root.dir,
            mixed,
          },
          evidence: {
            normalizedName: name,
            installs: installs.map((i) => ({ part: i.part, version: i.version, distInfo: i.distInfo })),
            stagedVersion: winner.version,
            mixture,
          },
        });
      }
    }
    return out;
  },
};
