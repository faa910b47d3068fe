/**
 * Names that are not valid UTF-8. The scan carries them as strings with escaped bytes (surrogateescape,
 * `util/fsname.ts`); apply, undo and the shell script must act on exactly those bytes. The tree holds
 * traps a lossy encoding would fall into: `caf\xe9.txt` beside `caf\xe8.txt` (both fold onto
 * `caf\uFFFD.txt`), and a real `caf\uFFFD.txt` (UTF-8 EF BF BD) with the same contents as the target,
 * so a precondition checked on the wrong file would pass.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyOps } from '../../src/apply/apply.js';
import type { FileOp } from '../../src/apply/ops.js';
import { factsFromDisk, renderShell } from '../../src/apply/render-sh.js';
import { undo } from '../../src/apply/undo.js';
import { partName, relPath } from '../../src/model.js';
import { decodeName } from '../../src/util/fsname.js';
import { xxh64Bytes } from '../../src/util/hash.js';

const base = mkdtempSync(join(tmpdir(), 'stagefix-bytes-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** A path under `root` from latin-1 text: each char is one byte, so `\xe9` is the byte 0xE9. */
const raw = (root: string, rel: string): Buffer => Buffer.concat([Buffer.from(`${root}/`), Buffer.from(rel, 'latin1')]);
/** The name as the scan decodes it. */
const decoded = (rel: string): string => decodeName(Buffer.from(rel, 'latin1'));

let n = 0;
function makeTree(): { root: string; stateDir: string } {
  const dir = join(base, String(n++));
  const root = join(dir, 'install');
  mkdirSync(join(root, 'lib'), { recursive: true });
  writeFileSync(raw(root, 'lib/caf\xe9.txt'), 'one');
  writeFileSync(raw(root, 'lib/caf\xe8.txt'), 'two');
  writeFileSync(join(root, 'lib', 'caf\uFFFD.txt'), 'one');
  mkdirSync(raw(root, 'd\xfe'));
  writeFileSync(raw(root, 'd\xfe/x.txt'), 'three');
  symlinkSync(Buffer.from('caf\xe9.txt', 'latin1'), raw(root, 'lib/link\xff'));
  return { root, stateDir: join(dir, '.stagefix') };
}

/** Every entry under `root` as `latin-1 path → contents or -> target`, read by bytes. */
function bytesView(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: Buffer): void => {
    const abs = Buffer.concat([Buffer.from(root), rel]);
    for (const name of readdirSync(abs, { encoding: 'buffer' })) {
      const r = Buffer.concat([rel, Buffer.from('/'), name]);
      const p = Buffer.concat([Buffer.from(root), r]);
      const st = lstatSync(p);
      const key = r.toString('latin1');
      if (st.isSymbolicLink()) out[key] = `-> ${readlinkSync(p, { encoding: 'buffer' }).toString('latin1')}`;
      else if (st.isDirectory()) walk(r);
      else out[key] = readFileSync(p, 'latin1');
    }
  };
  walk(Buffer.alloc(0));
  return out;
}

async function opsFor(root: string): Promise<FileOp[]> {
  const part = partName('p');
  const file = async (s: string) => ({ type: 'file' as const, size: s.length, digest: await xxh64Bytes(Buffer.from(s)) });
  return [
    { op: 'write', part, root, path: relPath(decoded('lib/caf\xe9.txt')), contents: Buffer.from('ONE'), expect: await file('one'), why: 'test' },
    { op: 'remove', part, root, path: relPath(decoded('d\xfe/x.txt')), expect: await file('three'), why: 'test' },
    { op: 'symlink', part, root, path: relPath(decoded('lib/link\xff')), target: decoded('caf\xe8.txt'), expect: { type: 'symlink', target: decoded('caf\xe9.txt') }, why: 'test' },
  ];
}

// What the three ops leave; every other entry (the traps above all) is as it was.
const AFTER = {
  '/lib/caf\xe9.txt': 'ONE',
  '/lib/caf\xe8.txt': 'two',
  '/lib/caf\xef\xbf\xbd.txt': 'one',
  '/lib/link\xff': '-> caf\xe8.txt',
};

describe('names that are not valid UTF-8', () => {
  it('apply acts on the exact bytes, and undo puts every byte back', async () => {
    const { root, stateDir } = makeTree();
    const before = bytesView(root);
    const res = await applyOps(await opsFor(root), { stateDir, allowedRoots: [root] });
    expect(res.errors).toEqual([]);
    expect(res.skipped).toEqual([]);
    expect(res.applied).toHaveLength(3);
    expect(bytesView(root)).toEqual(AFTER);
    expect(existsSync(raw(root, 'd\xfe'))).toBe(true);

    const u = await undo({ stateDir });
    expect(u.refused).toEqual([]);
    expect(u.complete).toBe(true);
    expect(bytesView(root)).toEqual(before);
  });

  it('a precondition is checked on the exact file: a changed byte-named file is skipped', async () => {
    const { root, stateDir } = makeTree();
    writeFileSync(raw(root, 'lib/caf\xe9.txt'), 'uno');
    const res = await applyOps(await opsFor(root), { stateDir, allowedRoots: [root] });
    expect(res.skipped.map((s) => [s.op.op, s.reason])).toEqual([['write', 'changed']]);
    expect(readFileSync(raw(root, 'lib/caf\xe9.txt'), 'latin1')).toBe('uno');
    expect(readFileSync(join(root, 'lib', 'caf\uFFFD.txt'), 'utf8')).toBe('one');
  });

  it('the dry-run shell script does what apply does', async () => {
    const { root } = makeTree();
    const ops = await opsFor(root);
    const script = renderShell(ops, await factsFromDisk(ops));
    const file = join(base, `script-${n}.sh`);
    writeFileSync(file, script);
    execFileSync('sh', [file], { stdio: 'pipe' });
    expect(bytesView(root)).toEqual(AFTER);
  });
});
