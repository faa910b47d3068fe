/**
 * The fallback: two regular files that differ and that no specific rule explained. Always real, with
 * the evidence a person needs to decide: sizes, the first differing byte, and the Python distribution
 * (with both versions) the file belongs to.
 */
import { distributionOf } from '../dist-info.js';
import type { FileSource, Rule, RuleVerdict, Side } from '../types.js';
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

/** Pieces grow from 64 KiB to 1 MiB: two versions of a file mostly differ within their first kilobytes. */
const FIRST_PIECE = 64 * 1024;
const LAST_PIECE = 1024 * 1024;

/**
 * The first differing offset of two parts' copies, read piece by piece and no further than it: on the
 * bench's mixed tree, reading both copies whole read 730 MB to report offsets that were mostly early.
 */
export async function firstDifferenceIn(source: FileSource, path: string, a: Side, b: Side): Promise<number | undefined> {
  const common = Math.min(a.entry.size, b.entry.size);
  let piece = FIRST_PIECE;
  for (let at = 0; at < common; at += piece, piece = Math.min(2 * piece, LAST_PIECE)) {
    const n = Math.min(piece, common - at);
    const [pa, pb] = await Promise.all([source.range(a.part, path, at, n), source.range(b.part, path, at, n)]);
    const d = firstDifference(pa, pb);
    if (d !== undefined) return at + d;
  }
  return a.entry.size === b.entry.size ? undefined : common;
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
          const found = await firstDifferenceIn(ctx.source, ctx.path, a, b);
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
