/**
 * What is at a path right now, seen without ever following the final component: lstat, then (for a
 * regular file) a streamed xxh64 over an fd opened with O_NOFOLLOW and checked to be the same inode.
 */
import { constants } from 'node:fs';
import * as fs from './fs.js';
import { xxh64Digest, xxhashApi } from '../util/hash.js';

/** A state the journal records and undo compares against (mtime is kept, but never compared). */
export type Shape =
  | { type: 'file'; size: number; digest: string; mode: number }
  | { type: 'symlink'; target: string }
  | { type: 'absent' };

export type Observed =
  | { type: 'file'; size: number; mode: number; mtimeNs: bigint; ino: bigint; dev: bigint; uid: number; gid: number }
  | { type: 'symlink'; target: string; mtimeNs: bigint; uid: number; gid: number }
  | { type: 'absent' }
  | { type: 'other'; kind: 'dir' | 'fifo' | 'socket' | 'device' };

export const errCode = (e: unknown): string | undefined =>
  typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;

export async function observe(path: string): Promise<Observed> {
  let st;
  try {
    st = await fs.lstatBig(path);
  } catch (e) {
    if (errCode(e) === 'ENOENT') return { type: 'absent' };
    throw e;
  }
  const owner = { uid: Number(st.uid), gid: Number(st.gid) };
  if (st.isSymbolicLink()) return { type: 'symlink', target: await fs.readlink(path), mtimeNs: st.mtimeNs, ...owner };
  if (st.isFile())
    return { type: 'file', size: Number(st.size), mode: Number(st.mode & 0o7777n), mtimeNs: st.mtimeNs, ino: st.ino, dev: st.dev, ...owner };
  if (st.isDirectory()) return { type: 'other', kind: 'dir' };
  if (st.isFIFO()) return { type: 'other', kind: 'fifo' };
  if (st.isSocket()) return { type: 'other', kind: 'socket' };
  return { type: 'other', kind: 'device' };
}

/**
 * xxh64 of the regular file at `path`, refusing to follow a symlink swapped in since the lstat and
 * refusing a different inode (the file was replaced between lstat and open).
 */
export async function digestNoFollow(path: string, expectIno?: bigint): Promise<string> {
  const fh = await fs.open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = await fh.stat({ bigint: true });
    if (!st.isFile() || (expectIno !== undefined && st.ino !== expectIno)) throw Object.assign(new Error('file changed while reading'), { code: 'ECHANGED' });
    const { create64 } = await xxhashApi();
    const h = create64();
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
    }
    return xxh64Digest(h.digest());
  } finally {
    await fh.close();
  }
}

/** The comparable shape of what is there (hashing a file only when asked to). */
export async function shapeOf(path: string, obs: Observed): Promise<Shape | undefined> {
  switch (obs.type) {
    case 'file':
      return { type: 'file', size: obs.size, mode: obs.mode, digest: await digestNoFollow(path, obs.ino) };
    case 'symlink':
      return { type: 'symlink', target: obs.target };
    case 'absent':
      return { type: 'absent' };
    default:
      return undefined;
  }
}

/** Does what is at `path` (already observed) have the given shape? Hashes only when size and mode agree. */
export async function matches(path: string, obs: Observed, want: Shape): Promise<boolean> {
  if (obs.type !== want.type) return false;
  if (obs.type === 'symlink' && want.type === 'symlink') return obs.target === want.target;
  if (obs.type === 'file' && want.type === 'file') {
    if (obs.size !== want.size || obs.mode !== want.mode) return false;
    return (await digestNoFollow(path, obs.ino)) === want.digest;
  }
  return true;
}

export const sameShape = (a: Shape, b: Shape): boolean =>
  a.type === 'file' && b.type === 'file'
    ? a.size === b.size && a.digest === b.digest && a.mode === b.mode
    : a.type === 'symlink' && b.type === 'symlink'
      ? a.target === b.target
      : a.type === b.type;

export function describe(obs: Observed): string {
  return obs.type === 'other' ? obs.kind : obs.type;
}
