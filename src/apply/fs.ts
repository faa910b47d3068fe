/**
 * The file system calls of apply, undo and the script renderer, on paths as the scan decodes them.
 * A name that is not valid UTF-8 is carried as a string with escaped bytes (`util/fsname.ts`); handed
 * to `fs` as it is, Node would encode each escape as U+FFFD, so an op on `caf\xe9` would miss its file
 * or, worse, act on another one. Here such a path goes to the kernel as its exact bytes, and a link
 * target comes back decoded the same way the scan decoded it, so preconditions compare like for like.
 * Everything in src/apply that names a path inside an install dir goes through this module.
 */
import { promises as fsp, type BigIntStats, type Stats } from 'node:fs';
import { ApplyError } from '../errors.js';
import { decodeName, needsBytes, toFsPath } from '../util/fsname.js';

export const lstat = (p: string): Promise<Stats> => fsp.lstat(toFsPath(p));
export const lstatBig = (p: string): Promise<BigIntStats> => fsp.lstat(toFsPath(p), { bigint: true });
export const stat = (p: string): Promise<Stats> => fsp.stat(toFsPath(p));
export const open = (p: string, flags: number, mode?: number): Promise<fsp.FileHandle> => fsp.open(toFsPath(p), flags, mode);
export const readFile = (p: string): Promise<Buffer> => fsp.readFile(toFsPath(p));
export const rename = (from: string, to: string): Promise<void> => fsp.rename(toFsPath(from), toFsPath(to));
export const link = (existing: string, p: string): Promise<void> => fsp.link(toFsPath(existing), toFsPath(p));
export const unlink = (p: string): Promise<void> => fsp.unlink(toFsPath(p));
export const copyFile = (from: string, to: string, mode: number): Promise<void> => fsp.copyFile(toFsPath(from), toFsPath(to), mode);
export const lchown = (p: string, uid: number, gid: number): Promise<void> => fsp.lchown(toFsPath(p), uid, gid);
export const lutimes = (p: string, atime: number, mtime: number): Promise<void> => fsp.lutimes(toFsPath(p), atime, mtime);
export const mkdir = (p: string): Promise<string | undefined> => fsp.mkdir(toFsPath(p), { recursive: true });
export const rm = (p: string): Promise<void> => fsp.rm(toFsPath(p), { recursive: true });

/** A symlink at `p` whose target is `target`'s exact bytes. */
export const symlink = (target: string, p: string): Promise<void> => fsp.symlink(toFsPath(target), toFsPath(p));

/** A link's target, decoded losslessly as the scan decodes names. */
export const readlink = async (p: string): Promise<string> => decodeName(await fsp.readlink(toFsPath(p), { encoding: 'buffer' }));

/**
 * A recursive copy keeping links and times. Node's `cp` takes paths as strings only, so a path with
 * undecodable bytes cannot be copied by it: refused by name rather than copied to the wrong place.
 */
export async function copyTree(from: string, to: string): Promise<void> {
  if (needsBytes(from) || needsBytes(to)) throw new ApplyError(`cannot copy ${from} across file systems: its name is not valid UTF-8`, from);
  await fsp.cp(from, to, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
}
