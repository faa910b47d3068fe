/**
 * The shell rendering does what applyOps does: run it with sh on one copy of a tree and applyOps on
 * another, and the trees agree on every byte, mode and link target (mtimes differ by design: both
 * give written files the current time). Paths and targets carry quotes, spaces, newlines, `$`,
 * backslashes and non-ASCII; contents are real pycs plus every byte value.
 */
import { promises as fsp } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyOps } from '../../src/apply/apply.js';
import { factsFromDisk, renderShell } from '../../src/apply/render-sh.js';
import { partName, relPath } from '../../src/model.js';
import type { FileOp } from '../../src/apply/ops.js';
import { copyTree, expectAt, makePlan, makeProject, snapshot, tempDir, withoutTimes, SITE } from './helpers/tree.js';

let work: string;
beforeEach(async () => {
  work = await tempDir('render');
});
afterEach(async () => {
  await fsp.rm(work, { recursive: true, force: true });
});

const ODD = [`it's "odd" $HOME \`x\` \\n`, 'new\nline', 'tab\there', 'é ü 日本', '-rf', '%s%n'];

/** The same plan for a project at `project`: real pyc rewrites plus odd names, a stale op, every byte. */
async function planFor(project: string): Promise<{ ops: FileOp[]; roots: string[]; stale: number }> {
  const roots = [join(project, 'parts', 'a', 'install'), join(project, 'parts', 'b', 'install')];
  const ops = await makePlan(roots, 20, 99);
  const root = roots[0] ?? '';
  const dir = `${SITE}/json`;
  const part = partName('a');
  for (const [i, n] of ODD.entries()) {
    const path = relPath(`${dir}/${n}`);
    ops.push({ op: 'write', part, root, path, contents: Buffer.from(`${n}\n`), expect: { type: 'absent' }, why: 'odd name' });
    ops.push({ op: 'symlink', part, root, path: relPath(`${dir}/link ${i}`), target: n, expect: { type: 'absent' }, why: 'odd target' });
  }
  const all = Uint8Array.from({ length: 256 * 20 }, (_, i) => i % 256);
  ops.push({ op: 'write', part, root, path: relPath(`${dir}/${ODD[0]}`), contents: all, mode: 0o751, expect: { type: 'absent' }, why: 'second write: stale (absent no more)' });
  ops.push({ op: 'write', part, root, path: relPath(`${dir}/bytes.bin`), contents: all, mode: 0o751, expect: { type: 'absent' }, why: 'every byte' });
  ops.push({ op: 'remove', part, root, path: relPath(`${dir}/dangling`), expect: await expectAt(join(root, dir, 'dangling')), why: 'rm link' });
  // Stale: the scan saw other contents than the file now has.
  const st = ops.findIndex((o) => o.expect.type === 'file');
  const s = ops[st];
  if (s?.expect.type !== 'file') throw new Error('no file op');
  ops[st] = { ...s, expect: { ...s.expect, digest: 'xxh64:0000000000000000' } };
  return { ops, roots, stale: st };
}

describe('renderShell', () => {
  it('a script run with sh leaves the same tree as applyOps, skipping the same stale ops', async () => {
    const a = join(work, 'a');
    await makeProject(a);
    const b = join(work, 'b');
    copyTree(a, b);
    const pa = await planFor(a);
    const pb = await planFor(b);
    const facts = await factsFromDisk(pa.ops);
    expect(facts[pa.stale]).toEqual({});
    const script = renderShell(pa.ops, facts);
    await fsp.writeFile(join(work, 'plan.sh'), script);
    const beforeA = await snapshot(a);
    const run = spawnSync('sh', [join(work, 'plan.sh')], { encoding: 'utf8' });
    const shSkipped = run.stderr.match(/^stagefix: skipped op (\d+)/gm)?.map((l) => Number(l.split(' ')[3]));
    expect(run.status).toBe(3);

    const res = await applyOps(pb.ops, { stateDir: join(work, 'state'), allowedRoots: pb.roots });
    expect(res.errors).toEqual([]);
    const applySkipped = res.skipped.map((s) => pb.ops.indexOf(s.op));
    // The same skips: at least the stale digest and the second write to a path the plan created.
    expect(shSkipped).toEqual(applySkipped);
    expect(applySkipped).toEqual(expect.arrayContaining([pb.stale, pb.ops.length - 3]));

    const afterA = withoutTimes(await snapshot(a));
    const afterB = withoutTimes(await snapshot(b));
    expect(afterA).toEqual(afterB);
    expect(afterA).not.toEqual(withoutTimes(beforeA));
    expect(Object.keys(afterA).filter((k) => k.includes('.stagefix-'))).toEqual([]);
    expect(await fsp.readlink(join(pa.roots[0] ?? '', SITE, 'json', 'link 1'))).toBe('new\nline');
  });

  it('refuses to run without sha256sum, before touching anything', async () => {
    const a = join(work, 'a');
    await makeProject(a);
    const { ops } = await planFor(a);
    await fsp.writeFile(join(work, 'plan.sh'), renderShell(ops, await factsFromDisk(ops)));
    // A PATH with the tools the script uses except sha256sum.
    const bin = join(work, 'bin');
    await fsp.mkdir(bin);
    for (const t of ['wc', 'find', 'readlink', 'rm', 'mv', 'ln', 'chmod', 'chown', 'id']) await fsp.symlink(spawnSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' }).stdout.trim(), join(bin, t));
    const before = await snapshot(a);
    const run = spawnSync('/bin/sh', [join(work, 'plan.sh')], { encoding: 'utf8', env: { PATH: bin } });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/needs sha256sum/);
    expect(await snapshot(a)).toEqual(before);
  });
});
