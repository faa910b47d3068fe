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
import { partName } from '../../src/model.js';
import { nativeWalker, walkPartNativeAsync } from '../../src/scan/native-walk.js';
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

/** Same entries in the same order with the same fields, and the same warnings. */
function expectSameWalk(got: WalkResult, want: WalkResult): void {
  expect([...got.entries.keys()]).toEqual([...want.entries.keys()]);
  expect([...got.entries]).toEqual([...want.entries]);
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
      parts: r.parts.map((p) => ({ name: p.spec.name, entries: [...p.entries], staged: [...p.staged] })),
      collisions: r.collisions,
      warnings: r.warnings,
      modeWarnings: r.modeWarnings,
      stats: r.stats,
    });
    const [withC, withJs] = [await scan(project), await scan(project, { nativeWalk: false })];
    expect(withC.collisions.length).toBeGreaterThan(10);
    expect(view(withC)).toEqual(view(withJs));
  });
});
