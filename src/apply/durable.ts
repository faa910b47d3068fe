/** Small durability primitives: fsync of files and directories, copies that survive a power cut. */
import { constants } from 'node:fs';
import * as fs from './fs.js';

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Create `path` exclusively (never through a symlink or over an existing file), write `bytes`, set
 * `mode` (explicitly, so the umask cannot change it) and fsync.
 */
export async function writeNewFile(path: string, bytes: Uint8Array, mode: number, owner?: { uid: number; gid: number }, beforeChunk?: () => void): Promise<void> {
  const fh = await fs.open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    let off = 0;
    while (off < bytes.length) {
      beforeChunk?.();
      const { bytesWritten } = await fh.write(bytes, off, Math.min(bytes.length - off, 1 << 20));
      off += bytesWritten;
    }
    if (owner !== undefined) await fh.chown(owner.uid, owner.gid);
    // chmod after chown: chown clears setuid/setgid bits.
    await fh.chmod(mode);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Copy a regular file to a new path with its mode and mtime, fsync'd. Used only across file systems,
 * where rename/link fail with EXDEV. The mtime goes through utimes' double-precision seconds, so it is
 * exact to about a microsecond, not to the nanosecond (Node has no timespec API).
 */
export async function copyDurably(from: string, to: string, mode: number, mtimeNs: bigint, owner?: { uid: number; gid: number }): Promise<void> {
  await fs.copyFile(from, to, constants.COPYFILE_EXCL);
  const fh = await fs.open(to, constants.O_WRONLY | constants.O_NOFOLLOW);
  try {
    if (owner !== undefined && process.getuid?.() === 0) await fh.chown(owner.uid, owner.gid);
    await fh.chmod(mode);
    const t = nsToSeconds(mtimeNs);
    await fh.utimes(t, t);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export const nsToSeconds = (ns: bigint): number => Number(ns / 1_000_000_000n) + Number(ns % 1_000_000_000n) / 1e9;
