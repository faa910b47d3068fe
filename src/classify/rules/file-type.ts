/**
 * Entries of different types at one path (link vs file, directory vs file), and special files, which
 * craft-parts always counts as colliding. Whoever stages last wins, so the stage depends on part order:
 * always real.
 */
import type { Rule, RuleVerdict } from '../types.js';

const SPECIAL = new Set(['fifo', 'socket', 'char-device', 'block-device']);

export const fileTypeRule: Rule = {
  id: 'file-type',
  description: 'A path that is a different kind of entry in each part, or a special file: always real.',
  messages: {
    types: '{typeA} in {partA} but {typeB} in {partB}',
    special: 'special files ({typeA}, {typeB}) always collide in craft-parts',
  },
  applies: (ctx) => ctx.kind === 'type',
  async classify(ctx): Promise<RuleVerdict> {
    const typeA = ctx.a.entry.type;
    const typeB = ctx.b.entry.type;
    const evidence: Record<string, unknown> = { typeA, typeB };
    if (typeA === 'symlink') evidence.targetA = ctx.a.entry.linkTarget;
    if (typeB === 'symlink') evidence.targetB = ctx.b.entry.linkTarget;
    if (typeA === typeB && SPECIAL.has(typeA)) {
      return { verdict: 'real', messageId: 'special', args: { typeA, typeB }, evidence };
    }
    return { verdict: 'real', messageId: 'types', args: { typeA, typeB, partA: ctx.a.part, partB: ctx.b.part }, evidence };
  },
};
