/**
 * `/usr`-merge clashes (issue 8, staging.md §4): a top-level `bin`, `sbin`, `lib`, `lib64`… that is a
 * real directory in one part and a symlink (usually to `usr/<name>`) in another. craft-parts refuses the
 * pair as a type collision; this rule says why and what to organize: move the directory part's contents
 * to where the link points, so both parts agree on one layout.
 */
import { posix } from 'node:path';
import type { PartName } from '../../model.js';
import type { IntegrityResult, IntegrityRule } from '../types.js';

export const MERGED_DIRS = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'] as const;

export const usrmergeRule: IntegrityRule = {
  id: 'usrmerge',
  description: 'A top-level bin/sbin/lib dir in one part and a symlink (the /usr merge) in another.',
  messages: {
    clash: '{name} is a directory in {dirParts} and a link to {target} in {linkParts}; organize it in {dirParts}: {organize}',
  },
  async check(ctx) {
    const out: IntegrityResult[] = [];
    for (const name of MERGED_DIRS) {
      const providers = ctx.staged.providers(name);
      const dirs = providers.filter((p) => p.entry.type === 'dir').map((p) => p.part);
      const links = providers.filter((p) => p.entry.type === 'symlink');
      if (dirs.length === 0 || links.length === 0) continue;
      const first = links[0] as { part: PartName; entry: { linkTarget?: string } };
      const raw = first.entry.linkTarget ?? '';
      // The link's target as a stage path: where the directory's contents belong.
      const target = posix.normalize(posix.isAbsolute(raw) ? raw.slice(1) : posix.join(posix.dirname(name), raw)).replace(/\/$/, '');
      const organize = `organize: {"${name}/*": "${target}/"}`;
      out.push({
        path: name,
        parts: ctx.staged.parts.filter((p) => dirs.includes(p) || links.some((l) => l.part === p)),
        verdict: 'real',
        messageId: 'clash',
        args: { name, dirParts: dirs.join(', '), linkParts: links.map((l) => l.part).join(', '), target, organize },
        evidence: {
          directories: dirs,
          links: links.map((l) => ({ part: l.part, target: l.entry.linkTarget })),
          suggestion: { parts: dirs, organize: { [`${name}/*`]: `${target}/` } },
        },
      });
    }
    return out;
  },
};
