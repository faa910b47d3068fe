/**
 * The per-file fingerprint must agree with the structural comparison on every pair: equal fingerprints
 * exactly when comparePycs finds the same code (identical, header-only, equivalent or filename-only).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { comparePycs } from '../../../src/python/pyc/compare.js';
import { fingerprintPyc } from '../../../src/python/pyc/fingerprint.js';
import { EXAMPLE } from '../../helpers/tree.js';

const SAME = new Set(['identical', 'header-only', 'equivalent', 'filename-only']);

function pycs(root: string, dir = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...pycs(root, rel));
    else if (e.isFile() && e.name.endsWith('.pyc')) out.push(rel);
  }
  return out;
}

describe('fingerprintPyc', () => {
  it('agrees with comparePycs on every pyc shared by two parts of the example', () => {
    const parts = readdirSync(join(EXAMPLE, 'parts'));
    const root = (p: string): string => join(EXAMPLE, 'parts', p, 'install');
    let pairs = 0;
    let same = 0;
    for (const rel of pycs(root('numpy-new'))) {
      const having = parts.filter((p) => existsSync(join(root(p), rel)));
      for (let i = 0; i < having.length; i++) {
        for (let j = i + 1; j < having.length; j++) {
          const a = readFileSync(join(root(having[i] as string), rel));
          const b = readFileSync(join(root(having[j] as string), rel));
          const cmp = comparePycs(a, b);
          const fa = fingerprintPyc(a);
          const fb = fingerprintPyc(b);
          expect(fa.code === fb.code, `${rel} ${cmp.kind}`).toBe(SAME.has(cmp.kind));
          if (cmp.kind === 'filename-only') expect(fa.filenames).toEqual(cmp.filenames.a);
          pairs++;
          if (fa.code === fb.code) same++;
        }
      }
    }
    expect(pairs).toBeGreaterThan(40);
    // Both outcomes occur: numpy's changed modules differ, the unchanged and the pip ones do not.
    expect(same).toBeGreaterThan(0);
    expect(same).toBeLessThan(pairs);
  });
});
