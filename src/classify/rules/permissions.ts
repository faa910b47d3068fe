/**
 * Identical contents but incompatible declared `permissions:` (craft-parts' last check): the staged
 * owner or mode would depend on part order, so it is real.
 */
import type { PermissionSpec } from '../../model.js';
import type { Rule, RuleVerdict } from '../types.js';

export const permissionsRule: Rule = {
  id: 'permissions',
  description: 'Declared permissions of the two parts disagree for this path: real.',
  messages: { incompatible: 'declared permissions disagree: {permsA} in {partA} vs {permsB} in {partB}' },
  applies: (ctx) => ctx.kind === 'permissions',
  async classify(ctx): Promise<RuleVerdict> {
    const spec = (part: string): PermissionSpec[] =>
      ctx.source.project.parts.find((p) => p.name === part)?.permissions ?? [];
    const show = (ps: PermissionSpec[]): string =>
      ps.length === 0 ? 'none' : ps.map((p) => `${p.path}:${p.owner ?? '-'}:${p.group ?? '-'}:${p.mode ?? '-'}`).join(' ');
    const pa = spec(ctx.a.part);
    const pb = spec(ctx.b.part);
    return {
      verdict: 'real',
      messageId: 'incompatible',
      args: { permsA: show(pa), permsB: show(pb), partA: ctx.a.part, partB: ctx.b.part },
      evidence: { permissionsA: pa, permissionsB: pb },
    };
  },
};
