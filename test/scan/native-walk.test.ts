/**
 * The C walker (`native/walk.c`) gives exactly what the JavaScript walk gives: every entry in the same
 * order with every field, and the same warnings, on the example project's real venvs and on a tree of
 * awkward names and file types; and a scan gives the same result with it as without.
 */
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FsError } from '../../src/errors.js';
import { digest, partName, type Entry } from '../../src/model.js';
import { CacheSnapshot, DigestCache, RACY_MARGIN_NS, hitDigest, hitDigestAt } from '../../src/scan/cache.js';
import { ColumnEntry, nativeWalker, sameInode, walkPartNativeAsync } from '../../src/scan/native-walk.js';
import { loadProject } from '../../src/scan/project.js';
import { scan, type ScanResult } from '../../src/scan/scan.js';
import { walkPartSync, type WalkResult } from '../../src/scan/walk.js';
import { decodeName } from '../../src/util/fsname.js';
import { inCI } from '../helpers/python.js';

const EXAMPLE = join(import.meta.dirname, '../../example');
const P = partName('p');
const native = nativeWalker();
// `npm run build` builds it wherever a C compiler and Node's headers are; CI must test it.
if (!native && inCI()) throw new Error('the C walker (dist/native/walk.node) is required under CI=true; `npm run build` builds it');
const title = (t: string): string => (native ? t : `${t} [skipped: the C walker was not built; see scripts/build-native.mjs]`);

const root = mkdtempSync(join(tmpdir(), 'stagefix-native-walk-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every field of an entry, read by name: a C walk's entries read four of them from the walk's columns. */
const fields = (e: Entry): Entry => ({
  type: e.type,
  size: e.size,
  mode: e.mode,
  dev: e.dev,
  ino: e.ino,
  mtimeNs: e.mtimeNs,
  ctimeNs: e.ctimeNs,
  ...(e.linkTarget !== undefined ? { linkTarget: e.linkTarget } : {}),
});
const fieldsOf = (entries: Map<string, Entry>): [string, Entry][] => [...entries].map(([k, e]) => [k, fields(e)]);

/** Same entries in the same order with the same fields, and the same warnings. */
function expectSameWalk(got: WalkResult, want: WalkResult): void {
  expect([...got.entries.keys()]).toEqual([...want.entries.keys()]);
  expect(fieldsOf(got.entries)).toEqual(fieldsOf(want.entries));
  expect(got.warnings).toEqual(want.warnings);
}

describe.skipIf(!native)(title('the C walker'), () => {
  const walk = native as NonNullable<typeof native>;

  it("walks each of the example project's parts exactly as the JavaScript walk does", async () => {
    const parts = readdirSync(join(EXAMPLE, 'parts'));
    expect(parts.length).toBeGreaterThan(3);
    let entries = 0;
    for (const p of parts) {
      const dir = join(EXAMPLE, 'parts', p, 'install');
      const want = walkPartSync(P, dir);
      expectSameWalk(await walkPartNativeAsync(walk, P, dir), want);
      entries += want.entries.size;
    }
    expect(entries).toBeGreaterThan(1000);
  });

  it('walks awkward names and file types exactly as the JavaScript walk does', async () => {
    const d = join(root, 'awkward');
    mkdirSync(join(d, 'deep/a/b/c/d/e'), { recursive: true });
    mkdirSync(join(d, 'empty'));
    writeFileSync(join(d, 'deep/a/b/c/d/e/leaf'), 'leaf');
    // Orders that differ between UTF-8 bytes (C's sort) and UTF-16 code units (JavaScript's): U+E000
    // sorts before U+1F600 as bytes, after it as code units.
    for (const name of ['z', 'Z', 'é', '\u{1F600}.txt', '\uE000x', 'line\nbreak', 'rep\uFFFDlace', ' space', '-dash']) {
      writeFileSync(join(d, name), name);
      writeFileSync(join(d, 'deep', `in-${name}`), name);
    }
    writeFileSync(Buffer.from(`${d}/bad-\xff-name`, 'latin1'), 'undecodable');
    mkdirSync(Buffer.from(`${d}/dir-\xfe`, 'latin1'));
    writeFileSync(Buffer.from(`${d}/dir-\xfe/inside`, 'latin1'), 'x');
    writeFileSync(join(d, 'mode'), '');
    chmodSync(join(d, 'mode'), 0o4755);
    linkSync(join(d, 'z'), join(d, 'z-hardlink'));
    symlinkSync('deep/a', join(d, 'rel-link'));
    symlinkSync('/nonexistent/target', join(d, 'dangling'));
    symlinkSync(Buffer.from('target-\xff', 'latin1'), join(d, 'link-to-undecodable'));
    symlinkSync('x'.repeat(3000), join(d, 'long-target'));
    execFileSync('mkfifo', [join(d, 'fifo')]);

    const want = walkPartSync(P, d);
    expect(want.entries.get('fifo')?.type).toBe('fifo');
    expect(want.entries.has(decodeName(Buffer.from('bad-\xff-name', 'latin1')))).toBe(true);
    expect(want.entries.get('long-target')?.linkTarget).toBe('x'.repeat(3000));
    expectSameWalk(await walkPartNativeAsync(walk, P, d), want);
  });

  it('refuses what the JavaScript walk refuses, with the same error', async () => {
    const d = join(root, 'refusals');
    mkdirSync(d);
    writeFileSync(join(d, 'file'), '');
    symlinkSync(d, join(root, 'refusals-link'));
    for (const bad of [join(d, 'missing'), join(d, 'file'), join(root, 'refusals-link')]) {
      let want: unknown;
      try {
        walkPartSync(P, bad);
      } catch (e) {
        want = e;
      }
      expect(want).toBeInstanceOf(FsError);
      await expect(walkPartNativeAsync(walk, P, bad)).rejects.toEqual(want);
    }
  });

  it('walks an install dir whose own path is not UTF-8 (through the JavaScript walk)', async () => {
    const raw = Buffer.from(`${root}/install-\xff`, 'latin1');
    mkdirSync(raw);
    writeFileSync(Buffer.concat([raw, Buffer.from('/f')]), 'f');
    const dir = decodeName(raw);
    const got = await walkPartNativeAsync(walk, P, dir);
    expect([...got.entries.keys()]).toEqual(['f']);
    expectSameWalk(got, walkPartSync(P, dir));
  });

  it('gives a scan of the example project the same result as the JavaScript walk', async () => {
    const project = loadProject(EXAMPLE);
    const view = (r: ScanResult) => ({
      parts: r.parts.map((p) => ({ name: p.spec.name, entries: fieldsOf(p.entries), staged: [...p.staged] })),
      collisions: r.collisions,
      warnings: r.warnings,
      modeWarnings: r.modeWarnings,
      stats: r.stats,
    });
    const [withC, withJs] = [await scan(project), await scan(project, { nativeWalk: false })];
    expect(withC.collisions.length).toBeGreaterThan(10);
    expect(view(withC)).toEqual(view(withJs));
  });

  it("matches a C walk's entries against the digest cache exactly as their plain fields, without making their BigInts", async () => {
    const dir = join(root, 'cache-match');
    mkdirSync(join(dir, 'lib'), { recursive: true });
    for (const [name, body] of [['a', 'a'], ['lib/b.pyc', 'bytes'], ['big', 'x'.repeat(70_000)]]) writeFileSync(join(dir, name as string), body as string);
    const walked = await walkPartNativeAsync(walk, P, dir);
    const files = [...walked.entries].filter(([, e]) => e.type === 'file');
    expect(files.length).toBe(3);
    for (const [, e] of files) expect(e).toBeInstanceOf(ColumnEntry);
    // Stored from the plain fields, with each status field in turn changed by one: only the true one matches.
    const S = walked.entries.get('a')!.ctimeNs + RACY_MARGIN_NS + 1_000_000_000n;
    const variants: [string, (e: Entry) => Entry][] = [
      ['same', (e) => e],
      ...(['dev', 'ino', 'size', 'mtimeNs', 'ctimeNs'] as const).map((k): [string, (e: Entry) => Entry] => [k, (e) => ({ ...e, [k]: typeof e[k] === 'bigint' ? (e[k] as bigint) + 1n : (e[k] as number) + 1 })]),
    ];
    for (const [name, vary] of variants) {
      const cacheDir = join(root, `cache-${name}`);
      const cache = await DigestCache.open(cacheDir, S);
      for (const [rel, e] of files) cache.record(dir, rel, vary(fields(e)), { digest: digest(`xxh64:${'0'.repeat(16)}`) });
      expect(cache.save().saveError).toBeUndefined();
      for (const startNs of [S, S - 10n * RACY_MARGIN_NS]) {
        const snap = CacheSnapshot.load(cacheDir, dir, startNs, cache.checksum);
        for (const [rel, e] of files) {
          const plain = snap.valid(rel, fields(e));
          expect(snap.valid(rel, e)).toBe(plain);
          expect(plain !== undefined).toBe(name === 'same' && startNs === S);
        }
        // The hits, looked up by the entry's row and by its path: the same answer for every entry.
        const hits = snap.hits(walked.entries);
        expect(hits.byRow !== undefined).toBe(name === 'same' && startNs === S);
        for (const [rel, e] of walked.entries) expect(hitDigestAt(hits, rel, e)).toBe(hitDigestAt(hits, rel, fields(e)));
        expect(files.filter(([rel, e]) => hitDigestAt(hits, rel, e) >= 0).length).toBe(name === 'same' && startNs === S ? 3 : 0);
      }
    }
  });

  it('tells one file from another across walks exactly as device and inode do', async () => {
    const a = join(root, 'inode-a');
    const b = join(root, 'inode-b');
    mkdirSync(a);
    mkdirSync(b);
    writeFileSync(join(a, 'f'), 'same bytes');
    writeFileSync(join(a, 'g'), 'same bytes');
    linkSync(join(a, 'f'), join(a, 'f-link'));
    linkSync(join(a, 'f'), join(b, 'f'));
    writeFileSync(join(b, 'g'), 'same bytes');
    const all = [...(await walkPartNativeAsync(walk, P, a)).entries.values(), ...(await walkPartNativeAsync(walk, P, b)).entries.values()];
    expect(all.length).toBe(5);
    let linked = 0;
    for (const x of all) {
      for (const y of all) {
        const want = x.dev === y.dev && x.ino === y.ino;
        expect(sameInode(x, y)).toBe(want);
        // A plain entry (the JavaScript walk's) against a C walk's, either way round.
        expect(sameInode(fields(x), y)).toBe(want);
        expect(sameInode(x, fields(y))).toBe(want);
        if (want && x !== y) linked++;
      }
    }
    // f, f-link and b/f are one file: six ordered pairs.
    expect(linked).toBe(6);
  });

  it("finds cache records by the walk's rows while its names are the ones written, and only ever by exact status", async () => {
    const dir = join(root, 'by-row');
    mkdirSync(join(dir, 'lib'), { recursive: true });
    const bodies: Record<string, string> = { a: 'a', 'lib/b.pyc': 'bytes', 'lib/c': 'c' };
    for (const [rel, body] of Object.entries(bodies)) writeFileSync(join(dir, rel), body);
    const d = (rel: string) => digest(`xxh64:${Buffer.from(rel.padEnd(8, '_').slice(0, 8)).toString('hex')}`);
    const w1 = await walkPartNativeAsync(walk, P, dir);
    const rows = w1.rows!;
    const files = [...w1.entries].filter(([, e]) => e.type === 'file');
    const S = files.reduce((m, [, e]) => (e.ctimeNs > m ? e.ctimeNs : m), 0n) + RACY_MARGIN_NS + 1_000_000_000n;
    const info = { size: 0, damaged: false };
    // A first run: nothing cached; its walk's rows go into the file with the facts it learnt.
    const first = await DigestCache.open(join(root, 'by-row-cache'), S);
    first.keep(dir, info, CacheSnapshot.load(first.dir, dir, S, first.checksum).hits(w1.entries, rows), w1.entries);
    for (const [rel, e] of files) first.record(dir, rel, e, { digest: d(rel) });
    expect(first.save()).toMatchObject({ stored: 3 });
    const load = () => CacheSnapshot.load(first.dir, dir, S, first.checksum);

    // The same names: found by row, no map of paths built, each the digest of its own path.
    const byRow = load().hits(w1.entries, rows);
    expect(byRow.at).toBeUndefined();
    expect(byRow.count).toBe(3);
    for (const [rel, e] of files) expect(hitDigest(byRow, rel, e)).toBe(d(rel));
    // Rows that name other entries (as a damaged file could) find nothing their status does not vouch for.
    const rotated = rows.entries.map((_, i, all) => all[(i + 1) % all.length] as Entry);
    expect(load().hits(w1.entries, { names: rows.names, entries: rotated }).count).toBe(0);

    // One file rewritten: still by row, less that file; the file saved from those hits keeps its rows.
    writeFileSync(join(dir, 'lib/c'), 'C');
    const w2 = await walkPartNativeAsync(walk, P, dir);
    const later = BigInt(Date.now()) * 1_000_000n + RACY_MARGIN_NS + 1_000_000_000n;
    const second = await DigestCache.open(first.dir, later);
    const kept = CacheSnapshot.load(second.dir, dir, later, second.checksum).hits(w2.entries, w2.rows);
    expect([kept.at, kept.count]).toEqual([undefined, 2]);
    second.keep(dir, { size: 3, damaged: false }, kept, w2.entries);
    expect(second.save()).toMatchObject({ stored: 2 });
    const again = CacheSnapshot.load(second.dir, dir, later, second.checksum).hits(w2.entries, w2.rows);
    expect(again.at).toBeUndefined();
    expect(files.map(([rel]) => hitDigest(again, rel, w2.entries.get(rel)))).toEqual([d('a'), d('lib/b.pyc'), undefined]);

    // A file added changes the names: found by path instead, with the same answers.
    writeFileSync(join(dir, 'lib/added'), 'new');
    const w3 = await walkPartNativeAsync(walk, P, dir);
    const byPath = CacheSnapshot.load(second.dir, dir, later, second.checksum).hits(w3.entries, w3.rows);
    expect(byPath.at).toBeDefined();
    expect(files.map(([rel]) => hitDigest(byPath, rel, w3.entries.get(rel)))).toEqual([d('a'), d('lib/b.pyc'), undefined]);
    // Nothing new was learnt, yet the file is written again with this walk's rows: the next run finds them by row.
    const third = await DigestCache.open(first.dir, later);
    third.keep(dir, { size: 2, damaged: false }, byPath, w3.entries);
    expect(third.save()).toMatchObject({ stored: 2 });
    const next = CacheSnapshot.load(third.dir, dir, later, third.checksum).hits(w3.entries, w3.rows);
    expect([next.at, next.count]).toEqual([undefined, 2]);
    // A file whose rows are this walk's is left as it is.
    const fourth = await DigestCache.open(first.dir, later);
    fourth.keep(dir, { size: 2, damaged: false }, next, w3.entries);
    expect(fourth.save()).toMatchObject({ stored: 0 });
  });
});

// `malloc_trim` is glibc's: elsewhere the trim resolves false and does nothing (native/walk.c).
const glibc = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime !== undefined;
describe.skipIf(!native || !glibc)(native && !glibc ? `trimMemoryAsync [skipped: no glibc here, so no malloc_trim]` : title('trimMemoryAsync'), () => {
  it('hands memory the allocator holds free back to the system', () => {
    // A child with --expose-gc: a hundred thousand small C allocations (Buffers' backing stores), nine
    // in ten dropped and collected. The one in ten kept holds the heap's top, so free() cannot shrink it.
    const script = [
      `import { nativeWalker } from ${JSON.stringify(new URL('../../src/scan/native-walk.ts', import.meta.url).href)};`,
      `const keep = []; let drop = [];`,
      `for (let i = 0; i < 100000; i++) { const b = Buffer.allocUnsafeSlow(1000); b.fill(1); (i % 10 === 0 ? keep : drop).push(b); }`,
      `drop = null;`,
      `for (let i = 0; i < 4; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 50)); }`,
      `const freed = process.memoryUsage.rss();`,
      `const released = await nativeWalker().trimMemoryAsync();`,
      `console.log(JSON.stringify({ released, fell: freed - process.memoryUsage.rss(), kept: keep.length }));`,
    ].join('\n');
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    const r = JSON.parse(out) as { released: boolean; fell: number; kept: number };
    expect(r.released).toBe(true);
    // About 90 MB were freed; measured here, 60 MB of it went back.
    expect(r.fell).toBeGreaterThan(30 * 2 ** 20);
    expect(r.kept).toBe(10000);
  });
});
