/**
 * Test trees for the apply engine: real CPython artifacts (sources and the pycs compileall made when
 * pyenv built 3.11.7) copied into two parts' install dirs, symlinks made at test time, and a snapshot
 * that sees every byte, mode, mtime and link target.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { xxh64File } from '../../../src/util/hash.js';
import { partName, relPath } from '../../../src/model.js';
import type { Expect, FileOp } from '../../../src/apply/ops.js';

export const PY_LIB = '/root/.pyenv/versions/3.11.7/lib/python3.11';
export const SITE = 'lib/python3.11/site-packages';

export interface SnapEntry {
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode: number;
  uid: number;
  gid: number;
  /** Files and symlinks only: directory mtimes move with every entry created inside them. */
  mtimeNs?: string;
  size?: number;
  sha256?: string;
  target?: string;
}

/** Every entry below `dir`, keyed by relative path (the root itself is ''). */
export async function snapshot(dir: string): Promise<Record<string, SnapEntry>> {
  const out: Record<string, SnapEntry> = {};
  async function walk(rel: string): Promise<void> {
    const abs = rel === '' ? dir : join(dir, rel);
    const st = await fsp.lstat(abs, { bigint: true });
    const mode = Number(st.mode & 0o7777n);
    const own = { uid: Number(st.uid), gid: Number(st.gid) };
    if (st.isSymbolicLink()) out[rel] = { type: 'symlink', mode, ...own, mtimeNs: st.mtimeNs.toString(), target: await fsp.readlink(abs) };
    else if (st.isFile()) {
      const bytes = await fsp.readFile(abs);
      out[rel] = { type: 'file', mode, ...own, mtimeNs: st.mtimeNs.toString(), size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
    } else if (st.isDirectory()) {
      out[rel] = { type: 'dir', mode, ...own };
      for (const name of (await fsp.readdir(abs)).sort()) await walk(rel === '' ? name : `${rel}/${name}`);
    } else out[rel] = { type: 'other', mode, ...own };
  }
  await walk('');
  return out;
}

/** The snapshot without mtimes: what two independently written trees can agree on. */
export const withoutTimes = (s: Record<string, SnapEntry>): Record<string, SnapEntry> =>
  Object.fromEntries(Object.entries(s).map(([k, { mtimeNs: _t, ...rest }]) => [k, rest]));

export async function tempDir(prefix: string): Promise<string> {
  return fsp.mkdtemp(join(tmpdir(), `stagefix-${prefix}-`));
}

/**
 * PROJECT with parts `a` and `b`, each shipping CPython's json package (sources and pycs) under
 * site-packages, plus symlinks: a relative one to a sibling source and one dangling.
 */
export async function makeProject(project: string): Promise<{ roots: string[]; stateDir: string }> {
  const roots: string[] = [];
  for (const p of ['a', 'b']) {
    const root = join(project, 'parts', p, 'install');
    const pkg = join(root, SITE, 'json');
    await fsp.mkdir(join(root, SITE), { recursive: true });
    await fsp.cp(join(PY_LIB, 'json'), pkg, { recursive: true, preserveTimestamps: true });
    await fsp.copyFile(join(PY_LIB, 'this.py'), join(root, SITE, 'this.py'));
    await fsp.symlink('decoder.py', join(pkg, 'alias.py'));
    await fsp.symlink('missing-target', join(pkg, 'dangling'));
    await fsp.chmod(join(pkg, 'tool.py'), 0o755);
    // As root, give part b to another user, as a tree built in a container or by a build user is.
    if (p === 'b' && process.getuid?.() === 0) execFileSync('chown', ['-hR', '1234:2345', root]);
    roots.push(root);
  }
  return { roots, stateDir: join(project, '.stagefix') };
}

/** A copy of a whole project dir, with modes, mtimes and symlinks (cp -a). */
export function copyTree(from: string, to: string): void {
  execFileSync('cp', ['-a', from, to]);
}

export async function expectAt(abs: string): Promise<Expect> {
  try {
    const st = await fsp.lstat(abs);
    if (st.isSymbolicLink()) return { type: 'symlink', target: await fsp.readlink(abs) };
    const { digest, size } = await xxh64File(abs);
    return { type: 'file', size, digest, mode: st.mode & 0o7777 };
  } catch {
    return { type: 'absent' };
  }
}

/** A tiny deterministic PRNG (mulberry32), so plans are reproducible from a seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function filesUnder(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const d of await fsp.readdir(join(root, rel), { withFileTypes: true })) {
    const r = rel === '' ? d.name : `${rel}/${d.name}`;
    if (d.isDirectory()) out.push(...(await filesUnder(root, r)));
    else out.push(r);
  }
  return out.sort();
}

/**
 * A plan of `count` ops over the project's parts, chosen by `seed`: pycs rewritten with another
 * optimisation level's bytes (a real pyc, different contents), files removed, files and symlinks
 * replaced by symlinks, new files written, a mode change. Each path is used at most once.
 */
export async function makePlan(roots: string[], count: number, seed: number): Promise<FileOp[]> {
  const r = rng(seed);
  const ops: FileOp[] = [];
  const used = new Set<string>();
  const candidates = (await Promise.all(roots.map(async (root) => (await filesUnder(root)).map((p) => ({ root, p }))))).flat();
  let fresh = 0;
  while (ops.length < count) {
    const pick = candidates[Math.floor(r() * candidates.length)];
    if (pick === undefined) break;
    const { root, p } = pick;
    const part = partName(root.split('/').at(-2) ?? 'x');
    const abs = join(root, p);
    const kind = r();
    if (kind < 0.15) {
      // A new file beside an existing one.
      const path = `${p}.new${fresh++}`;
      ops.push({ op: 'write', part, root, path: relPath(path), contents: await fsp.readFile(join(PY_LIB, 'this.py')), expect: { type: 'absent' }, why: 'test: create' });
      continue;
    }
    if (used.has(abs)) continue;
    used.add(abs);
    const expect = await expectAt(abs);
    if (kind < 0.5 && expect.type === 'file') {
      const other = p.endsWith('.opt-1.pyc') ? p.replace('.opt-1.pyc', '.pyc') : p.replace(/(\.opt-\d)?\.pyc$/, '.opt-1.pyc');
      const src = p.endsWith('.pyc') ? join(root, other) : join(PY_LIB, 'this.py');
      let contents = await fsp.readFile(src).catch(() => Buffer.from(`# rewritten by test ${seed}\n`));
      // opt-1 equals the plain pyc for a module without asserts: then use the docstring-free opt-2.
      if (contents.equals(await fsp.readFile(abs))) contents = await fsp.readFile(join(root, p.replace(/(\.opt-\d)?\.pyc$/, '.opt-2.pyc')));
      if (contents.equals(await fsp.readFile(abs))) contents = Buffer.from(`# rewritten by test ${seed}\n`);
      ops.push({ op: 'write', part, root, path: relPath(p), contents, ...(r() < 0.3 ? { mode: 0o600 } : {}), expect, why: 'test: rewrite' });
    } else if (kind < 0.75) {
      ops.push({ op: 'remove', part, root, path: relPath(p), expect, why: 'test: remove' });
    } else {
      ops.push({ op: 'symlink', part, root, path: relPath(p), target: r() < 0.5 ? '../this.py' : `target-${Math.floor(r() * 100)}`, expect, why: 'test: link' });
    }
  }
  return ops;
}
