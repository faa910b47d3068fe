import { readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { firstDifference } from '../../../src/classify/rules/contents.js';
import { examplePart, treeRunner, type Tree } from '../../helpers/tree.js';

const SP = 'lib/python3.11/site-packages';
const run = treeRunner(afterAll);

describe('contents', () => {
  it('finds the first differing byte', () => {
    expect(firstDifference(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 4))).toBe(2);
    expect(firstDifference(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 4))).toBe(2);
    expect(firstDifference(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBeUndefined();
  });

  it('real: a numpy extension module names numpy and both versions', async () => {
    const so = `${SP}/numpy/random/_sfc64.cpython-311-x86_64-linux-gnu.so`;
    const tree = (part: string): Tree => {
      const dist = readdirSync(examplePart(part, SP)).find((d) => /^numpy-.*\.dist-info$/.test(d)) as string;
      return {
        [so]: { from: examplePart(part, so) },
        [`${SP}/${dist}/METADATA`]: { from: examplePart(part, `${SP}/${dist}/METADATA`) },
        [`${SP}/${dist}/RECORD`]: { from: examplePart(part, `${SP}/${dist}/RECORD`) },
      };
    };
    const f = await run({ 'numpy-old': tree('numpy-old'), 'numpy-new': tree('numpy-new') });
    const finding = f.finding(so);
    expect(finding?.rule).toBe('contents');
    expect(finding?.verdict).toBe('real');
    expect(finding?.messageId).toBe('versions');
    expect(finding?.reason).toBe('numpy 2.2.6 in numpy-new vs 1.26.4 in numpy-old');
  });

  it('real/unknown: two different files that no rule explains', async () => {
    const f = await run({ a: { 'share/x': { from: examplePart('numpy-old', `${SP}/numpy/__init__.py`) } }, b: { 'share/x': { from: examplePart('numpy-new', `${SP}/numpy/__init__.py`) } } });
    const finding = f.finding('share/x');
    expect(finding?.verdict).toBe('real');
    expect(finding?.unknown).toBe(true);
    expect(finding?.evidence).toHaveProperty('firstDifferentByte');
  });

  it('benign by construction, not a finding at all: identical files never reach the fallback', async () => {
    const same = examplePart('flask-a', 'bin/flask');
    const f = await run({ a: { 'bin/flask': { from: same } }, b: { 'bin/flask': { from: same } } });
    expect(f.analysis.report.findings).toEqual([]);
  });
});
