/**
 * DiskFileSource.head: the header read integrity rules use on every staged pyc, confined like `read`.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FsError } from '../../src/errors.js';
import { partName } from '../../src/model.js';
import { analyseTrees, type PartsFixture } from '../helpers/tree.js';

let fx: PartsFixture;
afterAll(() => fx?.cleanup());

describe('DiskFileSource.head', () => {
  it('returns the first bytes, all of a shorter file, and refuses what read refuses', async () => {
    fx = await analyseTrees({
      a: {
        'long.bin': { text: 'abcdefghijklmnopqrstuvwxyz' },
        'short.bin': { text: 'abc' },
        'other.bin': { text: 'abcdefgh' },
        'small.bin': { text: 'abcdefgh' },
        'link.bin': { symlink: 'long.bin' },
        'dir/x': { text: 'x' },
        'via': { symlink: 'dir' },
      },
    });
    const src = fx.analysis.source;
    const a = partName('a');
    expect(Buffer.from(await src.head(a, 'long.bin', 16)).toString()).toBe('abcdefghijklmnop');
    expect(Buffer.from(await src.head(a, 'short.bin', 16)).toString()).toBe('abc');
    expect(Buffer.from(await src.head(a, 'long.bin', 16))).toEqual(Buffer.from(await src.read(a, 'long.bin')).subarray(0, 16));
    await expect(src.head(a, 'link.bin', 4)).rejects.toThrow(FsError);
    await expect(src.head(a, 'via/x', 4)).rejects.toThrow(FsError);
    await expect(src.head(a, '../a/long.bin', 4)).rejects.toThrow(FsError);
  });

  it('notices a file replaced or shrunk after the scan', async () => {
    const src = fx.analysis.source;
    const a = partName('a');
    const dir = src.installDir(a);
    writeFileSync(join(dir, 'other.tmp'), 'replacement with another inode');
    renameSync(join(dir, 'other.tmp'), join(dir, 'other.bin'));
    await expect(src.head(a, 'other.bin', 4)).rejects.toThrow(/replaced/);
    writeFileSync(join(dir, 'small.bin'), 'a');
    await expect(src.head(a, 'small.bin', 16)).rejects.toThrow(/changed size/);
  });

  it('answers a header it has read once from memory, for the rest of the run', async () => {
    const src = fx.analysis.source;
    const a = partName('a');
    // long.bin was read in the first test: later changes on disk do not change this run's view of it.
    writeFileSync(join(src.installDir(a), 'long.bin'), 'ZZZZZZZZZZZZZZZZZZZZZZZZZZ');
    expect(Buffer.from(await src.head(a, 'long.bin', 4)).toString()).toBe('abcd');
  });
});
