/**
 * Bringing one journal entry back to its old state. Decisions are made from what is on disk now,
 * never from the done marks, so the same code undoes a committed apply, rolls back a failed one and
 * recovers after a crash at any step (see docs/apply.md, "Recovery").
 */
import { dirname, join } from 'node:path';
import { ApplyError } from '../errors.js';
import { copyDurably, fsyncDir, nsToSeconds } from './durable.js';
import * as fs from './fs.js';
import { step } from './faults.js';
import { parentProblem } from './confine.js';
import { Journal, type JournalView, type OpRecord } from './journal.js';
import { describe, errCode, matches, observe, type Observed } from './state.js';

export interface RefusedEntry {
  n: number;
  root: string;
  path: string;
  reason: string;
}

export interface RestoreResult {
  journalId: string;
  /** Entries put back (or found already in their old state), newest first. */
  restored: { n: number; root: string; path: string; how: 'restored' | 'was-old' | 'forced' }[];
  refused: RefusedEntry[];
  /** True when every entry is back and the journal is marked ended. */
  complete: boolean;
}

async function removeIfPresent(path: string): Promise<boolean> {
  try {
    await fs.unlink(path);
    return true;
  } catch (e) {
    if (errCode(e) === 'ENOENT') return false;
    throw e;
  }
}

/** Put the old inode (or, without one, a re-made symlink) at the target, atomically. */
async function restoreOld(view: JournalView, rec: OpRecord, target: string): Promise<void> {
  const dir = dirname(target);
  const old = rec.old;
  if (old.type === 'absent') {
    await removeIfPresent(target);
    await fsyncDir(dir);
    return;
  }
  const backup = old.backup !== undefined ? join(view.dir, old.backup) : undefined;
  const backupObs: Observed = backup !== undefined ? await observe(backup) : { type: 'absent' };
  if (backup !== undefined && backupObs.type !== 'absent') {
    try {
      // The very inode apply displaced: contents, mode, owner, mtime and link count come back exactly.
      await fs.rename(backup, target);
      await fsyncDir(dir);
      await fsyncDir(dirname(backup));
      return;
    } catch (e) {
      if (errCode(e) !== 'EXDEV') throw e;
    }
    await removeIfPresent(rec.tmp);
    if (backupObs.type === 'file') {
      // The journal's mtime is the original; the copy's went through one lossy utimes already.
      await copyDurably(backup, rec.tmp, backupObs.mode, old.mtimeNs !== undefined ? BigInt(old.mtimeNs) : backupObs.mtimeNs, backupObs);
      await fs.rename(rec.tmp, target);
      await fsyncDir(dir);
      return;
    }
  }
  if (old.type === 'symlink') {
    await removeIfPresent(rec.tmp);
    await fs.symlink(old.target, rec.tmp);
    if (old.uid !== undefined && process.getuid?.() === 0) await fs.lchown(rec.tmp, old.uid, old.gid ?? old.uid);
    if (old.mtimeNs !== undefined) {
      const t = nsToSeconds(BigInt(old.mtimeNs));
      await fs.lutimes(rec.tmp, t, t);
    }
    await fs.rename(rec.tmp, target);
    await fsyncDir(dir);
    return;
  }
  throw new ApplyError(`the backup of ${target} is missing from ${view.dir}; cannot restore it`, target);
}

/**
 * Restore the entries of one journal, newest first. An entry whose target is neither what apply left
 * nor the old state was changed by someone else: refused, unless `force`, which first moves the
 * unexpected version into the journal's `displaced/` dir so that no byte is lost.
 */
export async function restoreJournal(view: JournalView, opts: { force?: boolean; endAs: 'undone' | 'rolled-back' }): Promise<RestoreResult> {
  const res: RestoreResult = { journalId: view.id, restored: [], refused: [], complete: false };
  const journal = await Journal.reopen(view);
  try {
    for (const rec of [...view.ops].reverse()) {
      if (view.restored.has(rec.n)) continue;
      const target = join(rec.root, rec.path);
      const parent = await parentProblem(rec.root, rec.path);
      if (parent !== undefined) {
        // A missing parent means the target is absent too; fine when the old state was absence.
        if (!(parent.problem === 'parent-missing' && rec.old.type === 'absent')) {
          res.refused.push({ n: rec.n, root: rec.root, path: rec.path, reason: `${parent.problem} at ${parent.at}` });
          continue;
        }
        await journal.append({ t: 'restored', n: rec.n, how: 'was-old' });
        res.restored.push({ n: rec.n, root: rec.root, path: rec.path, how: 'was-old' });
        continue;
      }
      // The temp file of an interrupted write is ours (its name carries the journal id): drop it.
      if ((await observe(rec.tmp)).type !== 'absent') {
        await removeIfPresent(rec.tmp);
        await fsyncDir(dirname(rec.tmp));
      }
      const now = await observe(target);
      let how: 'restored' | 'was-old' | 'forced';
      if (await matches(target, now, rec.new)) how = 'restored';
      else if (await matches(target, now, rec.old)) how = 'was-old';
      else if (opts.force === true) how = 'forced';
      else {
        res.refused.push({
          n: rec.n,
          root: rec.root,
          path: rec.path,
          reason: `changed since apply (now ${describe(now)}, expected what apply wrote or the original); use --force to restore anyway, keeping the current version in ${join(view.dir, 'displaced')}`,
        });
        continue;
      }
      if (how === 'forced' && now.type !== 'absent') {
        const displaced = join(view.dir, 'displaced');
        await fs.mkdir(displaced);
        const keep = join(displaced, String(rec.n).padStart(6, '0'));
        try {
          await fs.rename(target, keep);
        } catch (e) {
          if (errCode(e) !== 'EXDEV') throw e;
          try {
            await fs.copyTree(target, keep);
          } catch (c) {
            if (!(c instanceof ApplyError)) throw c;
            res.refused.push({ n: rec.n, root: rec.root, path: rec.path, reason: c.message });
            continue;
          }
          await fs.rm(target);
        }
        await fsyncDir(displaced);
      }
      // Restore also when the target shows the old state but still has the old inode in the backup
      // store (written contents equal to the old ones): nothing to do then but keep the inode.
      if (how !== 'was-old') {
        try {
          await restoreOld(view, rec, target);
        } catch (e) {
          if (!(e instanceof ApplyError)) throw e;
          res.refused.push({ n: rec.n, root: rec.root, path: rec.path, reason: e.message });
          continue;
        }
      }
      await journal.append({ t: 'restored', n: rec.n, how });
      step('restore', rec.n);
      res.restored.push({ n: rec.n, root: rec.root, path: rec.path, how });
    }
    if (res.refused.length === 0) {
      await journal.append({ t: 'end', how: opts.endAs });
      res.complete = true;
    }
  } finally {
    await journal.close();
  }
  return res;
}
