/**
 * craft-parts `parts.sort_parts` (craft_parts/parts.py): names in reverse code-point order, then repeatedly
 * take the first part no remaining part names in `after:`, prepending it. The result is alphabetical
 * except that a part comes after everything it names.
 */
import { CraftSemanticsError } from './errors.js';

export interface SortablePart {
  name: string;
  after: readonly string[];
}

/** Python's str ordering (code points), not UTF-16 units. */
export function comparePy(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i] as string).codePointAt(0)! - (y[i] as string).codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** Part names in craft-parts order; throws `CraftSemanticsError('dependency-cycle')` on a cycle. */
export function sortParts(parts: readonly SortablePart[]): string[] {
  const remaining = [...parts].sort((a, b) => comparePy(b.name, a.name));
  const sorted: string[] = [];
  while (remaining.length > 0) {
    const idx = remaining.findIndex((p) => !remaining.some((o) => o.after.includes(p.name)));
    if (idx < 0) {
      throw new CraftSemanticsError(
        'dependency-cycle',
        'A circular dependency chain was detected. Please review the parts definition to remove dependency cycles.',
        remaining.map((p) => p.name).sort(comparePy).join(', '),
      );
    }
    sorted.unshift((remaining[idx] as SortablePart).name);
    remaining.splice(idx, 1);
  }
  return sorted;
}
