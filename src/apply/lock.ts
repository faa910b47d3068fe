/**
 * `STATE/lock`: one apply or undo at a time per project. The lock file is written in full to a
 * private temp name and then hard-linked to `lock`, so it appears atomically and is never seen
 * half-written; link(2) fails with EEXIST when someone holds it.
 */
import { promises as fsp } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ApplyError } from '../errors.js';
import { fsyncDir } from './durable.js';
import { errCode } from './state.js';

export interface LockInfo {
  pid: number;
  hostname: string;
  startedAt: string;
  command: string;
}

export interface Lock {
  info: LockInfo;
  release(): Promise<void>;
}

const isLockInfo = (v: unknown): v is LockInfo =>
  typeof v === 'object' && v !== null && 'pid' in v && typeof v.pid === 'number' && 'hostname' in v && typeof v.hostname === 'string';

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return errCode(e) !== 'ESRCH';
  }
}

export const describeHolder = (h: LockInfo): string => `pid ${h.pid} on ${h.hostname}, ${h.command} since ${h.startedAt}`;

/**
 * Take the lock or throw ApplyError naming the holder. A lock left by a dead process on this host is
 * taken over (reported through `onStale`); a lock from another host is never guessed about.
 */
export async function acquireLock(stateDir: string, command: string, onStale?: (holder: LockInfo) => void): Promise<Lock> {
  const lockPath = join(stateDir, 'lock');
  const info: LockInfo = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString(), command };
  const text = JSON.stringify(info) + '\n';
  const tmp = join(stateDir, `lock.${process.pid}.${randomBytes(4).toString('hex')}`);
  await fsp.writeFile(tmp, text, { flag: 'wx', mode: 0o644 });
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await fsp.link(tmp, lockPath);
        await fsyncDir(stateDir);
        return { info, release: () => releaseLock(lockPath, text) };
      } catch (e) {
        if (errCode(e) !== 'EEXIST') throw e;
      }
      const held = await fsp.readFile(lockPath, 'utf8').catch((e: unknown) => (errCode(e) === 'ENOENT' ? undefined : Promise.reject(e)));
      if (held === undefined) continue; // released between our link and our read
      let holder: unknown;
      try {
        holder = JSON.parse(held);
      } catch {
        throw new ApplyError(`${lockPath} is damaged; if no stagefix is running, delete it`, lockPath);
      }
      if (!isLockInfo(holder)) throw new ApplyError(`${lockPath} is damaged; if no stagefix is running, delete it`, lockPath);
      const local = holder.hostname === hostname();
      if (!local || pidAlive(holder.pid))
        throw new ApplyError(
          `another stagefix holds ${lockPath} (${describeHolder(holder)})` +
            (local ? '' : '; it was taken on another host, delete the lock only if you know that run is over'),
          lockPath,
        );
      // Stale. Move it aside (atomic: only one taker wins the rename), then check that what we moved
      // is still the stale lock we judged, not a fresh one someone created in between.
      const aside = join(stateDir, `lock.stale.${process.pid}.${randomBytes(4).toString('hex')}`);
      try {
        await fsp.rename(lockPath, aside);
      } catch (e) {
        if (errCode(e) === 'ENOENT') continue;
        throw e;
      }
      const moved = await fsp.readFile(aside, 'utf8');
      if (moved !== held) {
        await fsp.link(aside, lockPath).catch(() => undefined);
        await fsp.unlink(aside);
        continue;
      }
      await fsp.unlink(aside);
      onStale?.(holder);
    }
    throw new ApplyError(`could not take ${lockPath}: it keeps changing hands`, lockPath);
  } finally {
    await fsp.unlink(tmp).catch(() => undefined);
  }
}

async function releaseLock(lockPath: string, ours: string): Promise<void> {
  const held = await fsp.readFile(lockPath, 'utf8').catch(() => undefined);
  // Never remove a lock that is no longer ours (it was taken over as stale by mistake).
  if (held === ours) await fsp.unlink(lockPath);
}
