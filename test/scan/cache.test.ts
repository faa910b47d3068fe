import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Entry, ProgressEvent } from '../../src/model.js';
import { CacheSnapshot, DigestCache, RACY_MARGIN_NS, defaultCacheDir, hitHead } from '../../src/scan/cache.js';
import { projectFromPartArgs } from '../../src/scan/project.js';
import { analyse } from '../../src/run.js';
import { EXAMPLE, examplePart } from '../helpers/tree.js';
import { nativeWalker } from '../../src/scan/native-walk.js';
import { digestOf, scan, type ScanOptions, type ScanResult } from '../../src/scan/scan.js';
import { lstatEntrySync } from '../../src/scan/walk.js';
import { xxh64Bytes } from '../../src/util/hash.js';

/** Every digest a scan knows (hashed in the run, or a cache hit's), by `part\0path`. */
function digestMap(r: ScanResult): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of r.parts) {
    for (const k of p.entries.keys()) {
      const d = digestOf(p, k);
      if (d !== undefined) out.set(`${p.spec.name}\0${k}`, d);
    }
  }
  return out;
}
/** Every digest of a scan as `part\0path=digest`, sorted. */
const digestsOf = (r: ScanResult): string[] => [...digestMap(r)].map(([k, d]) => `${k}=${d}`).sort();

const root = mkdtempSync(join(tmpdir(), 'stagefix-cache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Scans "later": the racy-entry rule then trusts files written moments ago (tests cannot wait 3 s). */
const LATER = BigInt(Date.now() + 3_600_000) * 1_000_000n;

let n = 0;
function twoParts(files: Record<string, string>): { dir: string; a: string; b: string; cacheDir: string; args: string[] } {
  const dir = join(root, `p${n++}`);
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  for (const d of [a, b]) {
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(join(d, rel, '..'), { recursive: true });
      writeFileSync(join(d, rel), text);
    }
  }
  return { dir, a, b, cacheDir: join(dir, 'cache'), args: [`a=${a}`, `b=${b}`] };
}

async function run(t: ReturnType<typeof twoParts>, startNs = LATER) {
  const cache = await DigestCache.open(t.cacheDir, startNs);
  const r = await scan(projectFromPartArgs(t.args, t.dir), { cache });
  return { r, stats: cache.stats };
}

/** The comparing phase's last progress event of a scan with the cache. */
async function comparing(t: ReturnType<typeof twoParts>): Promise<ProgressEvent | undefined> {
  const cache = await DigestCache.open(t.cacheDir, LATER);
  let last: ProgressEvent | undefined;
  await scan(projectFromPartArgs(t.args, t.dir), { cache, progress: (e) => void (e.phase === 'comparing' && (last = e)) });
  return last;
}

/** Pins a file's atime and mtime to one whole second, so a later file can be given exactly the same. */
const T = 1_000_000_000;
const pin = (file: string): void => utimesSync(file, T, T);

describe('digest cache', () => {
  it('a second run reads nothing and finds the same digests', async () => {
    const t = twoParts({ 'x.txt': 'same', 'lib/y.bin': 'also same', 'z': 'zz' });
    const first = await run(t);
    expect(first.stats).toMatchObject({ hits: 0, misses: 6, stored: 6, damaged: 0 });
    const files = (): Map<string, string> =>
      new Map(readdirSync(join(t.cacheDir, 'digests')).map((f) => [f, readFileSync(join(t.cacheDir, 'digests', f)).toString('hex')]));
    const before = files();
    const second = await run(t);
    // Every entry was used again and nothing is new: the cache files are left as they are.
    expect(second.stats).toMatchObject({ hits: 6, misses: 0, stored: 0 });
    expect(files()).toEqual(before);
    expect(second.r.stats.hashedBytes).toBe(0);
    expect(digestsOf(second.r)).toEqual(digestsOf(first.r));
    expect(second.r.collisions).toEqual(first.r.collisions);
  });

  it('progress counts every file to compare, read or found in the cache', async () => {
    const t = twoParts({ 'x.txt': 'same', 'lib/y.bin': 'also same', 'z': 'zz' });
    // Cold: six files to read; warm: the same six, all answered by the cache.
    expect(await comparing(t)).toMatchObject({ done: 6, total: 6 });
    expect(await comparing(t)).toMatchObject({ done: 6, total: 6, bytes: 0 });
  });

  it('worker threads consult the cache for the parts they walk, with the same answers as this thread', async () => {
    const dir = join(root, `w${n++}`);
    const names = ['a', 'b', 'c', 'd'];
    for (const p of names) {
      mkdirSync(join(dir, p, 'lib'), { recursive: true });
      for (let i = 0; i < 30; i++) writeFileSync(join(dir, p, 'lib', `f${i}`), p === 'd' && i === 3 ? 'FILE 3' : `file ${i}`);
    }
    const project = projectFromPartArgs(names.map((p) => `${p}=${join(dir, p)}`), dir);
    const cacheDir = join(dir, 'cache');
    const go = async (threads: Partial<ScanOptions>) => {
      const cache = await DigestCache.open(cacheDir, LATER);
      const r = await scan(project, { cache, ...threads });
      return { r, stats: cache.stats };
    };
    const first = await go({ parallelEntries: 1, partThreads: 2, nativeWalk: false });
    const inline = await go({ parallelEntries: Number.POSITIVE_INFINITY, nativeWalk: false });
    const threaded = await go({ parallelEntries: 1, partThreads: 2, nativeWalk: false });
    // The C walk (when built): parts on libuv's pool, the cache consulted on this thread. Its first run
    // finds the records by path and writes them again with its rows; the next finds them by row.
    const native = await go({});
    const nativeAgain = await go({});
    expect(first.stats).toMatchObject({ hits: 0, misses: 120, stored: 120 });
    expect(native.stats).toMatchObject({ hits: 120, misses: 0, stored: nativeWalker() ? 120 : 0, damaged: 0 });
    for (const run of [inline, threaded, native, nativeAgain]) {
      if (run !== native) expect(run.stats).toMatchObject({ hits: 120, misses: 0, stored: 0, damaged: 0 });
      expect(digestsOf(run.r)).toEqual(digestsOf(first.r));
      expect(run.r.collisions).toEqual(first.r.collisions);
    }
    expect(first.r.collisions.map((c) => c.path)).toEqual(['lib/f3']);
  });

  it('remembers the pyc headers the rules read, so the next run knows them without reading', async () => {
    // Two real parts from the example: numpy's pycs are in one part only (never hashed), yet the
    // integrity rules read every staged pyc's header.
    const project = projectFromPartArgs([`flask-a=${examplePart('flask-a', '')}`, `numpy-old=${examplePart('numpy-old', '')}`], EXAMPLE);
    const cacheDir = join(root, `heads${n++}`);
    const first = await analyse(project, undefined, { cache: await DigestCache.open(cacheDir, LATER) });
    expect(first.scan.cache?.stored).toBeGreaterThan(0);
    const again = await scan(project, { cache: await DigestCache.open(cacheDir, LATER) });
    const numpy = again.parts[1]!;
    const pycs = [...numpy.entries.keys()].filter((p) => p.endsWith('.pyc'));
    expect(pycs.length).toBeGreaterThan(10);
    // Every pyc header is known after the scan alone, and is the file's real first bytes.
    for (const rel of pycs) {
      const head = numpy.cacheHits ? hitHead(numpy.cacheHits, rel, numpy.entries.get(rel)) : undefined;
      expect(head && Buffer.from(head), rel).toEqual(readFileSync(join(examplePart('numpy-old', ''), rel)).subarray(0, 16));
    }
    // And the run that uses them reports the same.
    const second = await analyse(project, undefined, { cache: await DigestCache.open(cacheDir, LATER) });
    expect(second.report.findings).toEqual(first.report.findings);
    expect(second.scan.cache).toMatchObject({ stored: 0 });
  });

  it('keys names by their bytes: undecodable names that a lossy decode would merge keep their own digests', async () => {
    const t = twoParts({});
    for (const d of [t.a, t.b]) {
      mkdirSync(d, { recursive: true });
      // caf\xe9 and caf\xe8: both would decode to "caf\uFFFD" lossily.
      writeFileSync(Buffer.concat([Buffer.from(`${d}/caf`), Buffer.from([0xe9])]), 'e9 content');
      writeFileSync(Buffer.concat([Buffer.from(`${d}/caf`), Buffer.from([0xe8])]), 'e8 other content');
    }
    const first = await run(t);
    const second = await run(t);
    expect(first.stats).toMatchObject({ misses: 4, stored: 4 });
    expect(second.stats).toMatchObject({ hits: 4, misses: 0 });
    expect(digestsOf(second.r)).toEqual(digestsOf(first.r));
    expect(new Set(digestMap(second.r).values()).size).toBe(2);
  });

  it('files changed just before the scan are not stored (racy entries), so they are read again', async () => {
    const t = twoParts({ 'x.txt': 'fresh' });
    const now = BigInt(Date.now()) * 1_000_000n;
    const first = await run(t, now);
    expect(first.stats.stored).toBe(0);
    const second = await run(t, now);
    expect(second.stats.hits).toBe(0);
  });

  it('a file rewritten in place with the same size and mtime is read again (ctime changed)', async () => {
    const t = twoParts({ 'x.txt': 'AAAA' });
    const file = join(t.b, 'x.txt');
    pin(file);
    const pinned = statSync(file, { bigint: true });
    expect((await run(t)).stats.stored).toBe(2);
    writeFileSync(file, 'BBBB');
    pin(file);
    const after = statSync(file, { bigint: true });
    expect([after.size, after.mtimeNs, after.ino, after.dev]).toEqual([pinned.size, pinned.mtimeNs, pinned.ino, pinned.dev]);
    expect(after.ctimeNs).not.toBe(pinned.ctimeNs);
    const { r, stats } = await run(t);
    expect(stats).toMatchObject({ hits: 1, misses: 1 });
    expect(r.parts[1]!.digests.get('x.txt')).toBe(await xxh64Bytes(Buffer.from('BBBB')));
    expect(r.collisions.map((c) => [c.path, c.pairs[0]?.kind])).toEqual([['x.txt', 'contents']]);
  });

  it('an interpreter replaced by rename, and a path deleted and recreated (inode reuse), never reuse an entry', async () => {
    const t = twoParts({ 'bin/python3': 'interpreter one' });
    const file = join(t.b, 'bin/python3');
    pin(file);
    await run(t);
    // Replace by rename: same size, same mtime, another inode.
    writeFileSync(`${file}.new`, 'interpreter two');
    pin(`${file}.new`);
    renameSync(`${file}.new`, file);
    expect((await run(t)).r.collisions.map((c) => c.path)).toEqual(['bin/python3']);
    // Delete and recreate: ext4 hands a freed inode straight back, so inode, size and mtime repeat;
    // the new ctime alone must tell the files apart.
    let reused = 0;
    for (let i = 0; i < 6; i++) {
      const prev = statSync(file, { bigint: true });
      await run(t);
      unlinkSync(file);
      writeFileSync(file, i % 2 === 0 ? 'interpreter one' : 'interpreter two');
      pin(file);
      const now = statSync(file, { bigint: true });
      if (now.ino === prev.ino) reused++;
      expect(now.ctimeNs).not.toBe(prev.ctimeNs);
      const after = await run(t);
      expect(after.r.collisions.map((c) => c.path)).toEqual(i % 2 === 0 ? [] : ['bin/python3']);
    }
    // Which inode comes back is the file system's choice; on ext4 and tmpfs it is the freed one.
    expect(reused).toBeGreaterThan(0);
  });

  it('racy-entry rule: on a file system with coarse timestamps no later change can match a stored entry', () => {
    // Model: a change at time t (ns) stamps floor(t / g) * g. An entry is stored only when its stamps
    // are older than the scan start S by more than the margin; a change after S (the only kind the
    // stored digest could miss) then stamps a later time, whatever the tick g up to 2 s.
    const tick = fc.constantFrom(1n, 1_000_000n, 1_000_000_000n, 2_000_000_000n);
    fc.assert(
      fc.property(fc.bigInt(10n ** 18n, 2n * 10n ** 18n), fc.bigInt(0n, 10n ** 10n), fc.bigInt(0n, 10n ** 10n), tick, (S, before, after, g) => {
        const stamp = (t: bigint): bigint => (t / g) * g;
        const stored = stamp(S - before);
        const stillStored = !(stored >= S - RACY_MARGIN_NS);
        const later = stamp(S + after);
        return !stillStored || later !== stored;
      }),
    );
  });

  it('the rule in the cache itself: a status stamped within the margin is neither stored nor trusted', async () => {
    const dir = join(root, 'unit');
    const S = 2_000_000_000_000_000_000n;
    const e = (ctimeNs: bigint): Entry => ({ type: 'file', size: 4, mode: 0o644, dev: 1n, ino: 2n, mtimeNs: ctimeNs, ctimeNs });
    const d = await xxh64Bytes(Buffer.from('data'));
    const c1 = await DigestCache.open(dir, S);
    c1.record('/install', 'old', e(S - RACY_MARGIN_NS - 1n), { digest: d });
    c1.record('/install', 'racy', e(S - RACY_MARGIN_NS), { digest: d });
    expect(c1.save()).toMatchObject({ stored: 1 });
    // What a walking thread consults: the file as one snapshot, read by a scan that started at `startNs`.
    const snapshot = (startNs: bigint) => CacheSnapshot.load(dir, '/install', startNs, c1.checksum);
    const c2 = { lookup: (_dir: string, rel: string, x: Entry) => snapshot(S).lookup(rel, x)?.digest };
    expect(c2.lookup('/install', 'old', e(S - RACY_MARGIN_NS - 1n))).toBe(d);
    expect(c2.lookup('/install', 'racy', e(S - RACY_MARGIN_NS))).toBeUndefined();
    // Any field differing is a miss.
    for (const k of ['dev', 'ino', 'size', 'mtimeNs', 'ctimeNs'] as const) {
      const x = e(S - RACY_MARGIN_NS - 1n);
      const changed = { ...x, [k]: typeof x[k] === 'bigint' ? (x[k] as bigint) + 1n : (x[k] as number) + 1 };
      expect(c2.lookup('/install', 'old', changed)).toBeUndefined();
    }
    // An older cache file read by a scan that started earlier than its entries allow is not trusted.
    expect(snapshot(S - 10n * RACY_MARGIN_NS).lookup('old', e(S - RACY_MARGIN_NS - 1n))).toBeUndefined();
  });

  it("hits are exactly the walk's regular files whose status a record holds; the snapshot still counts what it loaded", async () => {
    const dir = join(root, 'hits');
    const S = 2_000_000_000_000_000_000n;
    const old = S - RACY_MARGIN_NS - 1n;
    const file = (ino: bigint): Entry => ({ type: 'file', size: 4, mode: 0o644, dev: 1n, ino, mtimeNs: old, ctimeNs: old });
    const d = await xxh64Bytes(Buffer.from('data'));
    const c = await DigestCache.open(dir, S);
    for (const [rel, ino] of [['same', 1n], ['changed', 2n], ['gone', 3n], ['now-a-dir', 4n], ['now-a-link', 5n]] as const) c.record('/install', rel, file(ino), { digest: d });
    expect(c.save()).toMatchObject({ stored: 5 });
    const walk = new Map<string, Entry>([
      ['same', file(1n)],
      ['changed', file(20n)],
      ['now-a-dir', { ...file(4n), type: 'dir' }],
      ['now-a-link', { ...file(5n), type: 'symlink', linkTarget: 'same' }],
      ['new', file(6n)],
    ]);
    const snap = CacheSnapshot.load(dir, '/install', S, c.checksum);
    const hits = snap.hits(walk);
    expect([...(hits.at?.keys() ?? [])]).toEqual(['same']);
    expect(hits.count).toBe(1);
    expect(snap.size).toBe(5);
  });

  it('a damaged, truncated, foreign or garbage cache file is ignored, never trusted, and replaced', async () => {
    const t = twoParts({ 'x.txt': 'same', 'y.txt': 'same too' });
    await run(t);
    const dir = join(t.cacheDir, 'digests');
    const files = readdirSync(dir).filter((f) => f.endsWith('.bin'));
    expect(files).toHaveLength(2);
    const target = join(dir, files[0] as string);
    const good = readFileSync(target);
    const other = readFileSync(join(dir, files[1] as string));
    const damage: [string, Buffer][] = [
      ['one flipped bit', Buffer.from(good.map((b, i) => (i === good.length - 12 ? b ^ 1 : b)))],
      ['truncated', good.subarray(0, good.length - 5)],
      ['empty', Buffer.alloc(0)],
      ['garbage', Buffer.from('not a cache at all, but long enough to be read as a header')],
      ["another install dir's cache", other],
    ];
    for (const [what, bytes] of damage) {
      writeFileSync(target, bytes);
      const { r, stats } = await run(t);
      expect({ what, hits: stats.hits, damaged: stats.damaged }).toEqual({ what, hits: 2, damaged: 1 });
      expect(r.collisions).toEqual([]);
      // The damaged file was replaced by a whole one.
      expect((await run(t)).stats).toMatchObject({ hits: 4, damaged: 0 });
    }
  });

  it('concurrent runs each leave a whole cache file (atomic replace)', async () => {
    const t = twoParts(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}`, `content ${i}`])));
    await Promise.all(Array.from({ length: 4 }, () => run(t)));
    const { stats } = await run(t);
    expect(stats).toMatchObject({ hits: 100, damaged: 0 });
    expect(readdirSync(join(t.cacheDir, 'digests')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('an unwritable cache dir costs the cache, never the scan', async () => {
    const t = twoParts({ 'x.txt': 'same' });
    writeFileSync(join(t.dir, 'blocker'), '');
    const cache = await DigestCache.open(join(t.dir, 'blocker', 'cache'), LATER);
    const r = await scan(projectFromPartArgs(t.args, t.dir), { cache });
    expect(r.collisions).toEqual([]);
    expect(r.cache?.saveError).toBe('ENOTDIR');
  });

  it('lives in $XDG_CACHE_HOME/stagefix, else ~/.cache/stagefix', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache' }, '/home/u')).toBe('/x/cache/stagefix');
    expect(defaultCacheDir({}, '/home/u')).toBe('/home/u/.cache/stagefix');
    // The XDG spec: a relative value is invalid and ignored.
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'rel' }, '/home/u')).toBe('/home/u/.cache/stagefix');
  });

  it('keys on the canonical install dir: the same part reached through a symlink shares its entries', async () => {
    const t = twoParts({ 'x.txt': 'same' });
    await run(t);
    symlinkSync(t.dir, join(root, `link${n}`));
    const cache = await DigestCache.open(t.cacheDir, LATER);
    await scan(projectFromPartArgs([`a=${t.a}`, `b=${join(root, `link${n}`, 'b')}`], t.dir), { cache });
    expect(cache.stats.hits).toBe(2);
    expect(lstatEntrySync(join(root, `link${n}`))?.type).toBe('symlink');
  });
});
