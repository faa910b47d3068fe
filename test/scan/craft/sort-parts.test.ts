import { describe, expect, it } from 'vitest';
import { CraftSemanticsError } from '../../../src/scan/craft/errors.js';
import { sortParts } from '../../../src/scan/craft/sort-parts.js';

const p = (name: string, after: string[] = []) => ({ name, after });

describe('sortParts (craft_parts/parts.py sort_parts)', () => {
  it('is alphabetical without after:', () => {
    expect(sortParts([p('numpy'), p('cluster'), p('openstack')])).toEqual(['cluster', 'numpy', 'openstack']);
  });
  it('puts a part after what it names, pulling the dependency to the front', () => {
    expect(sortParts([p('a', ['c']), p('b'), p('c')])).toEqual(['c', 'a', 'b']);
  });
  it('follows the prepend-from-reverse order, not a minimal move (chain a->b->c)', () => {
    expect(sortParts([p('a', ['b']), p('b', ['c']), p('c'), p('d')])).toEqual(['c', 'b', 'a', 'd']);
  });
  it('ignores after: entries naming unknown parts', () => {
    expect(sortParts([p('b', ['zzz']), p('a')])).toEqual(['a', 'b']);
  });
  it('orders by code point like Python (uppercase before lowercase)', () => {
    expect(sortParts([p('b'), p('B'), p('a')])).toEqual(['B', 'a', 'b']);
  });
  it('raises a dependency-cycle error (PartDependencyCycle)', () => {
    let err: unknown;
    try {
      sortParts([p('a', ['b']), p('b', ['a']), p('c')]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CraftSemanticsError);
    expect((err as CraftSemanticsError).code).toBe('dependency-cycle');
    expect((err as CraftSemanticsError).subject).toBe('a, b');
  });
});
