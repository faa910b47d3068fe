import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyOps } from '../../src/apply/apply.js';
import { ApplyError } from '../../src/errors.js';
import { partName, relPath } from '../../src/model.js';
import type { FileOp } from '../../src/apply/ops.js';
import { expectAt, makeProject, snapshot, tempDir, SITE } from './helpers/tree.js';

let project: string;
let outside: string;
let roots: string[];
let stateDir: string;
let root: string;
beforeEach(async () => {
  project = await tempDir('confine');
  outside = await tempDir('outside');
  await fsp.writeFile(join(outside, 'victim.txt'), 'do not touch\n');
  await fsp.mkdir(join(outside, 'lib'));
  await fsp.writeFile(join(outside, 'lib', 'victim.txt'), 'do not touch either\n');
  ({ roots, stateDir } = await makeProject(project));
  root = roots[0] ?? '';
});
afterEach(async () => {
  await fsp.rm(project, { recursive: true, force: true });
  await fsp.rm(outside, { recursive: true, force: true });
});

const write = (path: string, expect: FileOp['expect'], r = root): FileOp => ({
  op: 'write',
  part: partName('a'),
  root: r,
  path: relPath(path),
  contents: Buffer.from('pwned\n'),
  expect,
  why: 'hostile',
});

describe('confinement', () => {
  it.each([
    ['..', '../../../outside.txt', /dot-segment/],
    ['absolute', '/etc/passwd', /absolute/],
    ['empty', '', /empty/],
    ['NUL', 'a\0b', /nul/],
    ['dot', `${SITE}/./json/x`, /dot-segment/],
    ['double slash', `${SITE}//json/x`, /not-normalised/],
  ])('refuses the whole plan for a %s path before touching anything', async (_name, path, why) => {
    const before = await snapshot(project);
    const ops = [write(`${SITE}/ok.txt`, { type: 'absent' }), write(path, { type: 'absent' })];
    await expect(applyOps(ops, { stateDir, allowedRoots: roots })).rejects.toThrow(why);
    await expect(applyOps(ops, { stateDir, allowedRoots: roots })).rejects.toBeInstanceOf(ApplyError);
    expect(await snapshot(project)).toEqual(before);
  });

  it('refuses a root that is not one of the allowed install dirs', async () => {
    const before = await snapshot(outside);
    const op = write('victim.txt', await expectAt(join(outside, 'victim.txt')), outside);
    await expect(applyOps([op], { stateDir, allowedRoots: roots })).rejects.toThrow(/root-not-allowed/);
    // A root spelled differently but equal after normalisation is allowed; a sibling is not.
    await expect(applyOps([write('x', { type: 'absent' }, `${root}/../install-evil`)], { stateDir, allowedRoots: roots })).rejects.toThrow(/root-not-allowed/);
    expect(await snapshot(outside)).toEqual(before);
  });

  it('refuses to write through a symlinked parent dir that points outside, and rolls back', async () => {
    await fsp.symlink(outside, join(root, SITE, 'evil'));
    const before = await snapshot(outside);
    const beforeParts = await snapshot(join(project, 'parts'));
    const ok = write(`${SITE}/fine.txt`, { type: 'absent' });
    const res = await applyOps([ok, write(`${SITE}/evil/victim.txt`, await expectAt(join(outside, 'victim.txt'))), write(`${SITE}/evil/lib/new.txt`, { type: 'absent' })], {
      stateDir,
      allowedRoots: roots,
    });
    expect(res.errors).toHaveLength(1);
    expect(res.errors[0]?.error).toMatch(/evil is a symlink \(stagefix never writes through a symlinked parent\)/);
    expect(res.rolledBack).toBe(true);
    expect(res.applied).toEqual([]);
    expect(await snapshot(outside)).toEqual(before);
    expect(await snapshot(join(project, 'parts'))).toEqual(beforeParts);
  });

  it('never follows a final-component symlink: it is replaced or removed itself', async () => {
    const link = join(root, SITE, 'json', 'out');
    await fsp.symlink(join(outside, 'victim.txt'), link);
    const before = await snapshot(outside);
    // Stale plan that thinks a regular file is there: skipped, not followed.
    const asFile = await applyOps([write(`${SITE}/json/out`, await expectAt(join(outside, 'victim.txt')))], { stateDir, allowedRoots: roots });
    expect(asFile.skipped.map((s) => s.detail)).toEqual(['expected a regular file, found symlink']);
    // A plan that knows it is a symlink replaces the link, and a remove removes the link.
    const asLink = await applyOps([write(`${SITE}/json/out`, { type: 'symlink', target: join(outside, 'victim.txt') })], { stateDir, allowedRoots: roots });
    expect(asLink.applied).toHaveLength(1);
    expect((await fsp.lstat(link)).isFile()).toBe(true);
    const dirLink = join(root, SITE, 'json', 'outdir');
    await fsp.symlink(outside, dirLink);
    const rm = await applyOps([{ op: 'remove', part: partName('a'), root, path: relPath(`${SITE}/json/outdir`), expect: { type: 'symlink', target: outside }, why: 't' }], {
      stateDir,
      allowedRoots: roots,
    });
    expect(rm.applied).toHaveLength(1);
    await expect(fsp.lstat(dirLink)).rejects.toThrow(/ENOENT/);
    expect(await snapshot(outside)).toEqual(before);
  });
});
