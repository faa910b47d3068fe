/**
 * The owner index keys plain rows by their own path within their site and only the rest by a joined
 * path. Whatever the layout, it must answer exactly as one map keyed by `resolveRecordPath` would,
 * owners in input order included. (Its answers on a real venv are checked in `installed.test.ts`.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ownerIndex, type InstalledDist } from '../../../src/python/dist/owner.js';
import { resolveRecordPath } from '../../../src/python/dist/record.js';

/** The index as it was specified: every row's install-relative path, owners appended in input order. */
function reference(dists: readonly InstalledDist[]): (p: string) => string[] {
  const byPath = new Map<string, string[]>();
  for (const d of dists) {
    const site = d.distInfoDir.slice(0, d.distInfoDir.lastIndexOf('/'));
    for (const r of d.rows) {
      const rel = resolveRecordPath(site, r.path);
      if (rel === undefined) continue;
      const list = byPath.get(rel) ?? [];
      if (!list.includes(d.distInfoDir)) list.push(d.distInfoDir);
      byPath.set(rel, list);
    }
  }
  return (p) => byPath.get(p) ?? [];
}

const segment = fc.constantFrom('a', 'bin', 'x.py', '', '.', '..', 'site-packages', 'lib', 'python3.11', 'é');
const rowPath = fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => s.join('/'));
// Plain sites, sites that need normalising, and one site inside another.
const site = fc.constantFrom('lib/python3.11/site-packages', 'lib/python3.11/site-packages/a', 'usr/lib/python3/dist-packages', 'lib/./x/site-packages', 'a/../lib', 'lib');
const distsArb = fc
  .array(fc.record({ site, rows: fc.array(rowPath, { maxLength: 12 }) }), { minLength: 1, maxLength: 5 })
  .map((ds) => ds.map((d, i): InstalledDist => ({ distInfoDir: `${d.site}/d${i}-1.0.dist-info`, rows: d.rows.map((path) => ({ path })), name: `d${i}`, version: '1.0' })));

describe('ownerIndex', () => {
  it('answers exactly as one map of resolved paths, in input order', () => {
    fc.assert(
      fc.property(distsArb, fc.array(rowPath, { maxLength: 5 }), (dists, extra) => {
        const idx = ownerIndex(dists);
        const ref = reference(dists);
        const asked = new Set(extra);
        for (const d of dists) {
          const s = d.distInfoDir.slice(0, d.distInfoDir.lastIndexOf('/'));
          for (const r of d.rows) {
            asked.add(`${s}/${r.path}`);
            const rel = resolveRecordPath(s, r.path);
            if (rel !== undefined) asked.add(rel);
          }
        }
        const shared: string[] = [];
        for (const p of asked) {
          const want = ref(p);
          expect(idx.all(p).map((o) => o.distInfoDir), p).toEqual(want);
          expect(idx.get(p)?.distInfoDir, p).toBe(want[0]);
          if (want.length > 1) shared.push(p);
        }
        // Every path any row resolves to was asked above, so these are all the shared ones.
        expect(idx.shared()).toEqual(shared.sort());
      }),
      { seed: 42, numRuns: 2000, interruptAfterTimeLimit: 10_000 },
    );
  });
});
