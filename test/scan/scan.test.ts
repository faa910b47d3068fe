import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, linkSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FsError } from '../../src/errors.js';
import type { PartSpec, Project } from '../../src/model.js';
import { partName } from '../../src/model.js';
import { CraftSemanticsError } from '../../src/scan/craft/errors.js';
import { hashFiles, type HashTask } from '../../src/scan/hash-pool.js';
import { HashStatus } from '../../src/scan/hash-worker.js';
import { projectFromPartArgs } from '../../src/scan/project.js';
import { scan, type ScanOptions } from '../../src/scan/scan.js';
import { lstatEntrySync } from '../../src/scan/walk.js';
import { xxh64File } from '../../src/util/hash.js';

const root = mkdtempSync(join(tmpdir(), 'stagefix-scan-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Three parts with shared identical, different, hard-linked, linked and big files. */
function project(): Project {
  const dir = join(root, 'proj');
  const names = ['a', 'b', 'c'];
  for (const [i, n] of names.entries()) {
    const d = join(dir, n);
    mkdirSync(join(d, 'lib/pkg'), { recursive: true });
    for (let f = 0; f < 40; f++) writeFileSync(join(d, 'lib/pkg', `m${f}.py`), `same ${f}\n`);
    writeFileSync(join(d, 'lib/pkg/differs.py'), `part ${n}\n`);
    writeFileSync(join(d, 'lib/pkg/size.py'), 'x'.repeat(i + 1));
    // Larger than one read buffer: streamed, and different only in the last byte for c.
    writeFileSync(join(d, 'big.bin'), Buffer.alloc(3 << 20, 7));
    if (n === 'c') appendFileSync(join(d, 'big.bin'), 'z');
    symlinkSync(n === 'a' ? 'lib' : 'lib/pkg', join(d, 'link'));
  }
  // One inode in two parts: equal without reading.
  writeFileSync(join(dir, 'a/lib/pkg/hl.py'), 'hard');
  linkSync(join(dir, 'a/lib/pkg/hl.py'), join(dir, 'b/lib/pkg/hl.py'));
  return projectFromPartArgs(names.map((n) => `${n}=${join(dir, n)}`), dir);
}

const summary = (r: Awaited<ReturnType<typeof scan>>) => ({
  collisions: r.collisions,
  digests: r.parts.flatMap((p) => [...p.digests].map(([k, d]) => `${p.spec.name}\0${k}=${d}`)).sort(),
  modeWarnings: r.modeWarnings,
  warnings: r.warnings,
  staged: r.parts.map((p) => [...p.staged].sort()),
  entries: r.parts.map((p) => [...p.entries.keys()]),
});

describe('scan on worker threads', () => {
  it('gives exactly the inline result: walk, stage sets, hashes, collisions', async () => {
    const p = project();
    // The JavaScript walk on this thread and on worker threads, and the C walk (when built) on libuv's pool.
    const inline = await scan(p, { parallelEntries: Number.POSITIVE_INFINITY, hashThreads: 1, nativeWalk: false });
    const parallel: ScanOptions = { parallelEntries: 1, partThreads: 2, hashThreads: 2, nativeWalk: false };
    const threaded = await scan(p, parallel);
    expect(summary(threaded)).toEqual(summary(inline));
    expect(summary(await scan(p, { hashThreads: 2 }))).toEqual(summary(inline));
    expect(inline.collisions.map((c) => [c.path, c.parts.join('+')])).toEqual([
      ['big.bin', 'a+b+c'],
      ['lib/pkg/differs.py', 'a+b+c'],
      ['lib/pkg/size.py', 'a+b+c'],
      ['link', 'a+b+c'],
    ]);
    expect(inline.parts[0]?.digests.has('lib/pkg/hl.py')).toBe(false);
    expect(inline.parts[0]?.digests.has('lib/pkg/m0.py')).toBe(true);
    expect(inline.collisions.find((c) => c.path === 'big.bin')?.pairs.map((x) => x.parts.join('+'))).toEqual(['a+c', 'b+c']);
    // One pair object per two parts and kind, shared by every path (the mixed bench tree has 126k pairs).
    const [differs, size] = ['lib/pkg/differs.py', 'lib/pkg/size.py'].map((path) => inline.collisions.find((c) => c.path === path)?.pairs ?? []);
    expect(differs?.length).toBe(3);
    differs?.forEach((pair, k) => expect(size?.[k]).toBe(pair));
  });

  it('rethrows a later part\'s error with its own class, in part order', async () => {
    const dir = join(root, 'errs');
    mkdirSync(join(dir, 'a/x'), { recursive: true });
    for (let i = 0; i < 20; i++) writeFileSync(join(dir, 'a/x', `f${i}`), '');
    writeFileSync(join(dir, 'b'), 'not a directory');
    const base = projectFromPartArgs([`a=${join(dir, 'a')}`, `a2=${join(dir, 'a')}`], dir);
    const spec = (name: string, installDir: string, stage?: string[]): PartSpec => ({
      ...(base.parts[0] as PartSpec),
      name: partName(name),
      installDir,
      ...(stage ? { stage } : {}),
    });
    const notDir: Project = { ...base, parts: [spec('a', join(dir, 'a')), spec('b', join(dir, 'b'))] };
    await expect(scan(notDir, { parallelEntries: 1, nativeWalk: false })).rejects.toBeInstanceOf(FsError);
    await expect(scan(notDir)).rejects.toBeInstanceOf(FsError);
    const badGlob: Project = { ...base, parts: [spec('a', join(dir, 'a')), spec('c', join(dir, 'a'), ['x/**f'])] };
    const inline = await scan(badGlob, { parallelEntries: Number.POSITIVE_INFINITY, nativeWalk: false }).catch((e: unknown) => e);
    const threaded = await scan(badGlob, { parallelEntries: 1, nativeWalk: false }).catch((e: unknown) => e);
    const native = await scan(badGlob).catch((e: unknown) => e);
    for (const e of [inline, threaded, native]) {
      expect(e).toBeInstanceOf(CraftSemanticsError);
      expect((e as CraftSemanticsError).code).toBe((inline as CraftSemanticsError).code);
    }
  });
});

describe('hash pool', () => {
  const dir = join(root, 'pool');
  mkdirSync(dir, { recursive: true });
  const files = Array.from({ length: 300 }, (_, i) => {
    const f = join(dir, `f${i}`);
    writeFileSync(f, Buffer.alloc(i * 9000, i));
    return f;
  });
  const task = (abs: string): HashTask => ({ dir, rel: abs.slice(dir.length + 1), entry: lstatEntrySync(abs)! });

  it('agrees with the streaming xxh64 on every file, inline and on two threads', async () => {
    const tasks = files.map(task);
    for (const threads of [1, 2]) {
      const out = await hashFiles(tasks, { threads, inlineBytes: 0, inlineFiles: 0 });
      const got = out.results.flatMap((r) => [...r.digests].map((d) => `xxh64:${d.toString(16).padStart(16, '0')}`));
      const status = out.results.flatMap((r) => [...r.status]);
      expect(status.every((s) => s === HashStatus.Ok)).toBe(true);
      expect(got).toEqual(await Promise.all(files.map(async (f) => (await xxh64File(f)).digest)));
    }
  });

  it('reports a file changed since the walk, a vanished one and a symlink (never followed)', async () => {
    const changed = join(dir, 'changed');
    writeFileSync(changed, 'before');
    const t1 = task(changed);
    writeFileSync(changed, 'after!');
    const gone = join(dir, 'gone');
    writeFileSync(gone, 'x');
    const t2 = task(gone);
    rmSync(gone);
    const link = join(dir, 'link');
    symlinkSync(files[1] as string, link);
    const t3 = { ...task(files[1] as string), rel: 'link' };
    const out = await hashFiles([t1, t2, t3]);
    const r = out.results[0]!;
    expect([...r.status]).toEqual([HashStatus.Changed, HashStatus.Unreadable, HashStatus.Unreadable]);
    expect(r.codes.slice(1)).toEqual(['ENOENT', 'ELOOP']);
  });
});

describe('shared paths decided without the pair loop', () => {
  const three = (name: string, files: (n: string, d: string) => void): Project => {
    const dir = join(root, name);
    const names = ['a', 'b', 'c'];
    for (const n of names) {
      const d = join(dir, n);
      mkdirSync(d, { recursive: true });
      files(n, d);
    }
    return projectFromPartArgs(names.map((n) => `${n}=${join(dir, n)}`), dir);
  };

  it('identical files with different modes: no collision, one mode warning with every part in order', async () => {
    const p = three('modes', (n, d) => {
      writeFileSync(join(d, 'tool'), '#!/bin/sh\n', { mode: n === 'b' ? 0o755 : 0o644 });
      writeFileSync(join(d, 'same'), 'same\n', { mode: 0o644 });
    });
    const r = await scan(p);
    expect(r.collisions).toEqual([]);
    expect(r.modeWarnings).toEqual([{ path: 'tool', modes: [{ part: 'a', mode: 0o644 }, { part: 'b', mode: 0o755 }, { part: 'c', mode: 0o644 }] }]);
    expect(r.warnings).toEqual([]);
  });

  it('finds the parts of each shared path in order, with few parts (a bit each) and many (lists)', async () => {
    for (const count of [30, 40]) {
      const dir = join(root, `many-${count}`);
      const names = Array.from({ length: count }, (_, i) => `p${String(i).padStart(2, '0')}`);
      // `f` differs in these parts; `same` is identical in all; `one` is in a single part.
      const holders = [0, 1, 29, ...(count > 30 ? [30, 39] : [])];
      names.forEach((n, i) => {
        const d = join(dir, n);
        mkdirSync(d, { recursive: true });
        writeFileSync(join(d, 'same'), 'same\n');
        if (holders.includes(i)) writeFileSync(join(d, 'f'), `${n}\n`);
        if (i === 7) writeFileSync(join(d, 'one'), 'one\n');
      });
      const r = await scan(projectFromPartArgs(names.map((n) => `${n}=${join(dir, n)}`), dir));
      const expectedParts = holders.map((i) => names[i]);
      const expectedPairs = expectedParts.flatMap((b, j) => expectedParts.slice(0, j).map((a) => `${a}+${b}`));
      expect(r.collisions.map((c) => [c.path, c.parts, c.pairs.map((x) => x.parts.join('+'))]), String(count)).toEqual([['f', expectedParts, expectedPairs]]);
      expect(r.stats.sharedPaths, String(count)).toBe(2);
    }
  });

  it('a file named just ".pc" (no suffix for pathlib) is compared as bytes, read once per part', async () => {
    const p = three('dotpc', (n, d) => {
      writeFileSync(join(d, '.pc'), 'same\n');
      mkdirSync(join(d, 'lib'));
      writeFileSync(join(d, 'lib', '.pc'), n === 'c' ? 'other\n' : 'same\n');
    });
    const r = await scan(p);
    // `.pc` at the top is hidden (not staged by the default `*`); lib/.pc is staged and differs in c.
    expect(r.collisions.map((c) => [c.path, c.pairs.map((x) => x.parts.join('+'))])).toEqual([['lib/.pc', ['a+c', 'b+c']]]);
    expect(r.parts[0]?.digests.has('lib/.pc')).toBe(true);
    expect(r.warnings).toEqual([]);
  });
});
