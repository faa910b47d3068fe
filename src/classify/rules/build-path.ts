/**
 * Text files that differ only in embedded build-time paths (shebangs, `direct_url.json`, `.pc`,
 * libtool `.la`, CMake config, generated scripts): benign once each part's own build, install and pip
 * temporary paths are replaced by the same tokens.
 */
import { findBuildPaths, latin1, looksLikeText, normaliseBuildPaths, firstDifferentLine } from '../build-paths.js';
import type { Rule, RuleVerdict } from '../types.js';

/** Generated text worth normalising is small; big files are data, not build scaffolding. */
const MAX_TEXT = 4 * 1024 * 1024;

export const buildPathRule: Rule = {
  id: 'build-path',
  description: "Text files equal once each part's build, install and pip temporary paths are replaced by tokens.",
  messages: {
    paths: 'differs only in build paths ({pathsA} vs {pathsB})',
    shebang: 'scripts run by different interpreters: {shebangA} vs {shebangB}',
  },
  applies: (ctx) =>
    ctx.kind === 'contents' &&
    ctx.a.entry.type === 'file' &&
    ctx.b.entry.type === 'file' &&
    ctx.a.entry.size <= MAX_TEXT &&
    ctx.b.entry.size <= MAX_TEXT,
  async classify(ctx): Promise<RuleVerdict | undefined> {
    const [ba, bb] = await Promise.all([ctx.source.read(ctx.a.part, ctx.path), ctx.source.read(ctx.b.part, ctx.path)]);
    if (!looksLikeText(ba) || !looksLikeText(bb)) return undefined;
    const ta = latin1(ba);
    const tb = latin1(bb);
    const pathsA = findBuildPaths(ta, ctx.a.part);
    const pathsB = findBuildPaths(tb, ctx.b.part);
    const na = normaliseBuildPaths(ta, ctx.a.part, ctx.source.installDir(ctx.a.part));
    const nb = normaliseBuildPaths(tb, ctx.b.part, ctx.source.installDir(ctx.b.part));
    if (na !== nb) {
      // Scripts identical but for the interpreter on line 1: real, and worth saying precisely
      // (a part built with another Python gets `#!/usr/bin/env python3.12`).
      const [la, ...ra] = na.split('\n');
      const [lb, ...rb] = nb.split('\n');
      if (la?.startsWith('#!') && lb?.startsWith('#!') && la !== lb && ra.join('\n') === rb.join('\n')) {
        return {
          verdict: 'real',
          messageId: 'shebang',
          args: { shebangA: la.slice(2).trim(), shebangB: lb.slice(2).trim() },
          evidence: { shebangA: la, shebangB: lb, buildPathsA: pathsA, buildPathsB: pathsB },
        };
      }
      // Not ours to decide: a later rule (or the fallback) reports the remaining difference.
      return undefined;
    }
    if (pathsA.length === 0 && pathsB.length === 0) return undefined;
    return {
      verdict: 'benign',
      messageId: 'paths',
      args: { pathsA: pathsA.join(', '), pathsB: pathsB.join(', ') },
      evidence: { buildPathsA: pathsA, buildPathsB: pathsB, firstDifference: firstDifferentLine(ta, tb) },
    };
  },
};
