/**
 * The fallback: two regular files that differ and that no specific rule explained. Always real, with
 * the evidence a person needs to decide: sizes, the first differing byte, and the Python distribution
 * (with both versions) the file belongs to.
 */
import { distributionOf } from '../dist-info.js';
import type { Rule, RuleVerdict } from '../types.js';
import { memoFor } from '../memo.js';

/** Past this size the first differing offset is not worth reading for (evidence only). */
const MAX_DIFF_READ = 16 * 1024 * 1024;

/** First-difference offsets by digest pair: many part pairs share the same two versions of a file. */
const offsets = memoFor<number | undefined>();

export function firstDifference(a: Uint8Array, b: Uint8Array): number | undefined {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? undefined : n;
}

export const contentsRule: Rule = {
  id: 'contents',
  description: 'Files that differ in a way no other rule explains: real, with sizes, offset and distribution versions.',
  messages: {
    versions: '{dist} {versionA} in {partA} vs {versionB} in {partB}',
    differs: 'contents differ and no rule explains why ({sizeA} vs {sizeB} bytes, first difference at byte {offset})',
    unknown: 'no rule could decide: {detail}',
  },
  applies: () => true,
  async classify(ctx): Promise<RuleVerdict> {
    const { a, b } = ctx;
    const evidence: Record<string, unknown> = { sizeA: a.entry.size, sizeB: b.entry.size, typeA: a.entry.type, typeB: b.entry.type };
    if (a.entry.type !== 'file' || b.entry.type !== 'file') {
      return { verdict: 'real', unknown: true, messageId: 'unknown', args: { detail: `${a.entry.type} vs ${b.entry.type}` }, evidence };
    }
    let offset: number | undefined;
    if (a.entry.size <= MAX_DIFF_READ && b.entry.size <= MAX_DIFF_READ) {
      try {
        const [da, db] = await Promise.all([ctx.source.digest(a.part, ctx.path), ctx.source.digest(b.part, ctx.path)]);
        const o = offsets(ctx.source, `${da}\0${db}`, async () => {
          // Kept across runs on a's copy, for the bytes b's digest names (`firstdiff/1:<digest>`).
          const kind = `firstdiff/1:${db}`;
          const known = ctx.source.derived?.(kind, a.part, ctx.path);
          if (known === null || typeof known === 'number') return known ?? undefined;
          const [ba, bb] = await Promise.all([ctx.source.read(a.part, ctx.path), ctx.source.read(b.part, ctx.path)]);
          const found = firstDifference(ba, bb);
          ctx.source.remember?.(kind, a.part, ctx.path, found ?? null);
          return found;
        });
        offset = await o;
        evidence.firstDifferentByte = offset;
      } catch (e) {
        evidence.readError = (e as Error).message;
      }
    }
    const [oa, ob] = await Promise.all([distributionOf(ctx.source, a.part, ctx.path), distributionOf(ctx.source, b.part, ctx.path)]);
    if (oa) evidence.distributionA = oa;
    if (ob) evidence.distributionB = ob;
    if (oa && ob && oa.version !== ob.version) {
      return {
        verdict: 'real',
        messageId: 'versions',
        args: { dist: oa.name, versionA: oa.version, versionB: ob.version, partA: a.part, partB: b.part },
        evidence,
      };
    }
    return {
      verdict: 'real',
      unknown: true,
      messageId: 'differs',
      args: { sizeA: a.entry.size, sizeB: b.entry.size, offset: offset ?? '?' },
      evidence,
    };
  },
};
