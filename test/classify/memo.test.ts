/**
 * Memos remember a fact per file source; `forgetFileFacts` drops what every file fact memo holds about
 * one path (classification calls it once the path's collision is classified), so a later ask computes
 * the fact again, and nothing else is dropped.
 */
import { describe, expect, it } from 'vitest';
import { fileFactMemo, forgetFileFacts, memoFor } from '../../src/classify/memo.js';
import { classify } from '../../src/classify/classify.js';
import type { PartName } from '../../src/model.js';
import { DiskFileSource } from '../../src/scan/file-source.js';
import { loadProject } from '../../src/scan/project.js';
import { scan } from '../../src/scan/scan.js';
import { EXAMPLE } from '../helpers/tree.js';

const A = 'a' as PartName;
const B = 'b' as PartName;

describe('memos', () => {
  it('compute once per scope and key, and again after forget', async () => {
    const memo = memoFor<number, object>();
    const scope = {};
    let calls = 0;
    const ask = () => memo(scope, 'k', async () => ++calls);
    expect([await ask(), await ask()]).toEqual([1, 1]);
    expect(await memo({}, 'k', async () => ++calls)).toBe(2);
    memo.forget(scope, 'k');
    expect(await ask()).toBe(3);
  });

  it('forgetFileFacts drops one path in every part and keeps the others', async () => {
    const source = new DiskFileSource(await scan(loadProject(EXAMPLE)));
    const memo = fileFactMemo<string>('test/1', { encode: () => undefined, decode: () => undefined });
    const computed: string[] = [];
    const ask = (part: PartName, path: string) => memo(source, part, path, async () => (computed.push(`${part}:${path}`), path));
    for (const part of [A, B]) for (const path of ['x', 'y']) await ask(part, path);
    forgetFileFacts(source, 'x');
    for (const part of [A, B]) for (const path of ['x', 'y']) await ask(part, path);
    expect(computed).toEqual(['a:x', 'a:y', 'b:x', 'b:y', 'a:x', 'b:x']);
  });

  it('classification leaves no pyc facts behind: classifying again computes them again, with the same findings', async () => {
    const result = await scan(loadProject(EXAMPLE));
    const source = new DiskFileSource(result);
    const reads: string[] = [];
    const real = source.readWith.bind(source);
    source.readWith = ((part: PartName, path: string, use: (b: Uint8Array) => unknown) => {
      reads.push(path);
      return real(part, path, use as never);
    }) as typeof source.readWith;
    const first = await classify(source, result.collisions, { pycPool: { threads: 0 } });
    const pycReads = reads.filter((r) => r.endsWith('.pyc')).length;
    expect(pycReads).toBeGreaterThan(40);
    const second = await classify(source, result.collisions, { pycPool: { threads: 0 } });
    expect(reads.filter((r) => r.endsWith('.pyc')).length).toBe(2 * pycReads);
    expect(second).toEqual(first);
  });
});
