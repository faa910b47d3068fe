/**
 * Symlinks that resolve to nothing at run time (issue 8), e.g. a venv's `bin/python3`. Each link is
 * followed through the staged tree, links in parent directories included (`StagedView.resolve`):
 * - ends at nothing in the stage (or loops): real;
 * - leaves the stage for an interpreter path (`/usr/bin/python3.X`, `/usr/lib/python3.X/…`): judged
 *   against the base's table (`bases.ts`); a path the base does not provide is real, and an unknown base
 *   leaves it undecided (not reported);
 * - leaves the stage for any other absolute path: the base's files are not on this machine, so it is
 *   not reported (documented in docs/rules/broken-link.md).
 */
import { baseFacts, baseProvides, BASE_PYTHON_PATH } from '../bases.js';
import type { IntegrityResult, IntegrityRule } from '../types.js';

export const brokenLinkRule: IntegrityRule = {
  id: 'broken-link',
  description: 'Symlinks that resolve to nothing in the staged tree or the base.',
  messages: {
    dangling: '{link} → {target} resolves to {missing}, which is not in the stage',
    base: '{link} → {target} leaves the stage for {resolved}, which base {base} does not provide (its Python is {basePython})',
    loop: '{link} → {target} loops or passes more than 40 links',
  },
  async check(ctx) {
    const out: IntegrityResult[] = [];
    const facts = baseFacts(ctx.project.base);
    ctx.staged.forEach((s, path) => {
      if (s.entry.type !== 'symlink') return;
      const target = s.entry.linkTarget ?? '';
      const r = ctx.staged.resolve(path);
      const base = { link: path, target };
      if (r.kind === 'missing') {
        out.push({ path, parts: [s.part], verdict: 'real', messageId: 'dangling', args: { ...base, missing: r.path }, evidence: { hops: r.hops, missing: r.path } });
      } else if (r.kind === 'loop') {
        out.push({ path, parts: [s.part], verdict: 'real', messageId: 'loop', args: base, evidence: { hops: r.hops } });
      } else if (r.kind === 'outside' && facts && BASE_PYTHON_PATH.test(r.target) && !baseProvides(facts, r.target)) {
        out.push({
          path,
          parts: [s.part],
          verdict: 'real',
          messageId: 'base',
          args: { ...base, resolved: r.target, base: facts.base, basePython: facts.pythonMinor ?? 'none' },
          evidence: { hops: r.hops, resolved: r.target, baseProvides: facts.provides },
        });
      }
    });
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  },
};
