/**
 * Two symlinks at one path with different targets (craft-parts compares normalised target strings).
 * Benign when both resolve to the same place: inside the part, inside the stage, or the same absolute
 * path. Real when they lead to different places — notably different interpreters.
 */
import { posix } from 'node:path';
import type { FileSource, PairContext, Rule, RuleVerdict } from '../types.js';
import type { PartName } from '../../model.js';

/** Linux's own limit on link chains (MAXSYMLINKS is 40). */
const MAX_HOPS = 40;

export interface Resolution {
  /** `stage:<relative path>` when the chain ends inside the tree, `abs:<path>` when it leaves it. */
  final: string;
  hops: string[];
  /** True when the chain ends at nothing the parts ship (for `stage:`) — not necessarily broken at run time. */
  dangling: boolean;
  loop?: boolean;
}

/** Follows a link chain in the part's own tree (the tree it was built in), without touching the disk. */
export function resolveLink(source: FileSource, part: PartName, path: string): Resolution {
  const hops: string[] = [];
  let current = path;
  for (let i = 0; i < MAX_HOPS; i++) {
    const e = source.entry(part, current);
    if (e?.type !== 'symlink') {
      return { final: `stage:${current}`, hops, dangling: e === undefined };
    }
    const target = e.linkTarget ?? '';
    hops.push(target);
    if (posix.isAbsolute(target)) {
      const norm = posix.normalize(target);
      // An absolute link into the part's own install dir names a path inside the tree.
      const inTree = /\/parts\/[^/]+\/install(\/|$)/.exec(norm);
      if (inTree) {
        current = norm.slice(inTree.index + inTree[0].length).replace(/\/$/, '');
        continue;
      }
      return { final: `abs:${norm}`, hops, dangling: false };
    }
    const joined = posix.normalize(posix.join(posix.dirname(current), target));
    if (joined.startsWith('../') || joined === '..') {
      // Leaves the stage upwards: at run time that is relative to the snap's root; treat as absolute.
      return { final: `abs:/${joined}`, hops, dangling: false };
    }
    current = joined.replace(/\/$/, '') || '.';
  }
  return { final: `loop:${path}`, hops, dangling: true, loop: true };
}

const INTERPRETER = /(?:^|\/)(python\d+(?:\.\d+)?[a-z]*)$/;

export const symlinkRule: Rule = {
  id: 'symlink',
  description: 'Symlinks whose targets are spelled differently: benign when they resolve to the same place.',
  messages: {
    equivalent: 'both links resolve to {resolved} ({targetA} vs {targetB})',
    interpreters: 'links to different interpreters: {interpA} ({targetA}) vs {interpB} ({targetB})',
    different: 'links resolve to different places: {resolvedA} vs {resolvedB}',
    loop: 'link chain loops or is too long ({targetA} vs {targetB})',
  },
  applies: (ctx) => ctx.a.entry.type === 'symlink' && ctx.b.entry.type === 'symlink',
  async classify(ctx: PairContext): Promise<RuleVerdict> {
    const ra = resolveLink(ctx.source, ctx.a.part, ctx.path);
    const rb = resolveLink(ctx.source, ctx.b.part, ctx.path);
    const targetA = ctx.a.entry.linkTarget ?? '';
    const targetB = ctx.b.entry.linkTarget ?? '';
    const evidence = { targetA, targetB, resolvedA: ra, resolvedB: rb };
    if (ra.loop || rb.loop) {
      return { verdict: 'real', messageId: 'loop', args: { targetA, targetB }, evidence };
    }
    if (ra.final === rb.final) {
      const resolved = ra.final.replace(/^(stage|abs):/, '');
      return { verdict: 'benign', messageId: 'equivalent', args: { resolved, targetA, targetB }, evidence };
    }
    const ia = INTERPRETER.exec(ra.final)?.[1] ?? INTERPRETER.exec(targetA)?.[1];
    const ib = INTERPRETER.exec(rb.final)?.[1] ?? INTERPRETER.exec(targetB)?.[1];
    if (ia && ib && ia !== ib) {
      return { verdict: 'real', messageId: 'interpreters', args: { interpA: ia, interpB: ib, targetA, targetB }, evidence };
    }
    return {
      verdict: 'real',
      messageId: 'different',
      args: { resolvedA: ra.final.replace(/^(stage|abs):/, ''), resolvedB: rb.final.replace(/^(stage|abs):/, '') },
      evidence,
    };
  },
};
