/**
 * DiskFileSource reads (synchronous underneath) are confined: each way a read can be refused (symlink,
 * symlinked parent, replaced file, changed size, not in the scan, non-normalised path) has its own
 * message, the bytes read are the file's, and a digest the scan did not compute is kept on the part.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PartName } from '../../src/model.js';
import { DiskFileSource } from '../../src/scan/file-source.js';
import { projectFromPartArgs } from '../../src/scan/project.js';
import { scan } from '../../src/scan/scan.js';
import { xxh64Bytes } from '../../src/util/hash.js';
import { examplePart } from '../helpers/tree.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const PYC = 'lib/python3.11/site-packages/flask/__pycache__/app.cpython-311.pyc';

async function fixture() {
  const dir = mkdtempSync(join(tmpdir(), 'stagefix-sync-'));
  dirs.push(dir);
  const root = join(dir, 'a');
  const pyc = readFileSync(examplePart('flask-a', PYC));
  for (const rel of ['pkg/real.pyc', 'pkg/grows.pyc', 'pkg/replaced.pyc', 'real/inner.pyc']) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), pyc);
  }
  symlinkSync('real.pyc', join(root, 'pkg/link.pyc'));
  symlinkSync('real', join(root, 'linked'));
  const result = await scan(projectFromPartArgs([`a=${root}`], dir));
  const disk = new DiskFileSource(result);
  return { root, pyc, result, disk };
}

async function message(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the read to be refused');
}

describe('DiskFileSource confined reads', () => {
  it('reads the file and refuses each unsafe or changed read with its own message', async () => {
    const { root, pyc, disk } = await fixture();
    const a = 'a' as PartName;
    expect(Buffer.from(await disk.read(a, 'pkg/real.pyc')).equals(pyc)).toBe(true);

    appendFileSync(join(root, 'pkg/grows.pyc'), 'x');
    writeFileSync(join(root, 'pkg/new.pyc'), pyc);
    renameSync(join(root, 'pkg/new.pyc'), join(root, 'pkg/replaced.pyc'));
    const refused = ['pkg/link.pyc', 'linked/inner.pyc', 'pkg/grows.pyc', 'pkg/replaced.pyc', 'pkg/absent.pyc', 'pkg/../pkg/real.pyc', 'pkg'];
    const seen = new Set<string>();
    for (const path of refused) {
      const got = await message(disk.read(a, path));
      // Every message names the file it refused.
      expect(got.startsWith(join(root, path)) || got.includes(path), got).toBe(true);
      seen.add(got.replace(/^.*: /, ''));
    }
    // Every kind of refusal occurred (not one message for everything).
    expect(seen).toEqual(
      new Set([
        'not a regular file in the scan',
        'refusing to read through a symlinked or missing directory',
        `file changed size while scanning (${pyc.length} → more bytes)`,
        'file was replaced while scanning',
        'refusing a non-normalised path',
      ]),
    );
  });

  it('digests a file the scan did not hash, and keeps it on the part scan', async () => {
    const { pyc, result, disk } = await fixture();
    const a = 'a' as PartName;
    const part = result.parts[0];
    expect(part?.digests.has('real/inner.pyc')).toBe(false);
    const d = await disk.digest(a, 'real/inner.pyc');
    expect(d).toBe(await xxh64Bytes(pyc));
    expect(part?.digests.get('real/inner.pyc')).toBe(d);
  });

  it('reads a range of the scanned bytes, and refuses one outside the file or of a file that changed', async () => {
    const { root, pyc, disk } = await fixture();
    const a = 'a' as PartName;
    expect(Buffer.from(await disk.range(a, 'pkg/real.pyc', 16, 100)).equals(pyc.subarray(16, 116))).toBe(true);
    expect((await disk.range(a, 'pkg/real.pyc', pyc.length, 0)).length).toBe(0);
    expect(await message(disk.range(a, 'pkg/real.pyc', pyc.length - 1, 2))).toBe(`${join(root, 'pkg/real.pyc')}: bytes ${pyc.length - 1} to ${pyc.length + 1} lie outside the file's ${pyc.length}`);
    appendFileSync(join(root, 'pkg/grows.pyc'), 'x');
    expect(await message(disk.range(a, 'pkg/grows.pyc', 0, 16))).toBe(`${join(root, 'pkg/grows.pyc')}: file changed size while scanning (${pyc.length} → ${pyc.length + 1} bytes)`);
    writeFileSync(join(root, 'pkg/new.pyc'), pyc);
    renameSync(join(root, 'pkg/new.pyc'), join(root, 'pkg/replaced.pyc'));
    expect(await message(disk.range(a, 'pkg/replaced.pyc', 0, 16))).toBe(`${join(root, 'pkg/replaced.pyc')}: file was replaced while scanning`);
    expect(await message(disk.range(a, 'pkg/link.pyc', 0, 16))).toMatch(/not a regular file in the scan$/);
  });

  it('digests a file larger than its read buffer in pieces, and refuses one rewritten since the scan', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stagefix-sync-'));
    dirs.push(dir);
    const root = join(dir, 'a');
    mkdirSync(root);
    // Three and a half read buffers (1 MiB each) of a real file's bytes.
    const pyc = readFileSync(examplePart('flask-a', PYC));
    const big = Buffer.concat(Array.from({ length: Math.ceil((3.5 * 2 ** 20) / pyc.length) }, () => pyc)).subarray(0, 3.5 * 2 ** 20);
    writeFileSync(join(root, 'big'), big);
    writeFileSync(join(root, 'rewritten'), big);
    const result = await scan(projectFromPartArgs([`a=${root}`], dir));
    const disk = new DiskFileSource(result);
    const a = 'a' as PartName;
    expect(result.parts[0]?.digests.has('big')).toBe(false);
    expect(await disk.digest(a, 'big')).toBe(await xxh64Bytes(big));
    // Same size, same inode, new bytes: only the times tell.
    const changed = Buffer.from(big);
    changed[0] = (changed[0] as number) ^ 1;
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(join(root, 'rewritten'), changed);
    expect(await message(disk.digest(a, 'rewritten'))).toBe(`${join(root, 'rewritten')}: file changed while scanning`);
  });

  it('readWith gives each use its own file whole, even reads in flight together, and refuses what read refuses', async () => {
    const { pyc, disk } = await fixture();
    const a = 'a' as PartName;
    const copies = await Promise.all(['pkg/real.pyc', 'real/inner.pyc', 'pkg/real.pyc'].map((p) => disk.readWith(a, p, (b) => Buffer.from(b))));
    for (const c of copies) expect(c.equals(pyc)).toBe(true);
    for (const path of ['pkg/link.pyc', 'linked/inner.pyc', 'pkg/../pkg/real.pyc']) {
      expect(await message(disk.readWith(a, path, () => 0))).toBe(await message(disk.read(a, path)));
    }
  });

  it('readWith after a larger file gives exactly the smaller one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stagefix-sync-'));
    dirs.push(dir);
    const pyc = readFileSync(examplePart('flask-a', PYC));
    mkdirSync(join(dir, 'a'));
    writeFileSync(join(dir, 'a', 'big'), Buffer.concat([pyc, pyc, pyc]));
    writeFileSync(join(dir, 'a', 'small'), pyc.subarray(0, 100));
    const disk = new DiskFileSource(await scan(projectFromPartArgs([`a=${join(dir, 'a')}`], dir)));
    const a = 'a' as PartName;
    expect(await disk.readWith(a, 'big', (b) => b.length)).toBe(3 * pyc.length);
    expect(Buffer.from(await disk.readWith(a, 'small', (b) => Buffer.from(b))).equals(pyc.subarray(0, 100))).toBe(true);
  });
});
