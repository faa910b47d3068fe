/** undo: put back what one apply changed, byte for byte, refusing entries a user changed since. */
import { promises as fsp } from 'node:fs';
import { ApplyError } from '../errors.js';
import { listJournals, readJournal } from './journal.js';
import { acquireLock, type LockInfo } from './lock.js';
import { restoreJournal, type RestoreResult } from './restore.js';

export interface UndoOptions {
  stateDir: string;
  /** Default: the newest journal that is not yet undone or rolled back. */
  journalId?: string;
  /** Restore entries changed since apply too, moving the current version into `displaced/`. */
  force?: boolean;
  onStaleLock?: (holder: LockInfo) => void;
}

export async function undo(opts: UndoOptions): Promise<RestoreResult> {
  await fsp.mkdir(opts.stateDir, { recursive: true });
  const lock = await acquireLock(opts.stateDir, 'undo', opts.onStaleLock);
  try {
    let id = opts.journalId;
    if (id === undefined) {
      for (const j of (await listJournals(opts.stateDir)).reverse()) {
        const v = await readJournal(opts.stateDir, j);
        if (v.status === 'committed' || v.status === 'incomplete') {
          id = j;
          break;
        }
      }
      if (id === undefined) throw new ApplyError(`nothing to undo in ${opts.stateDir}`, opts.stateDir);
    }
    const view = await readJournal(opts.stateDir, id);
    if (view.status === 'undone' || view.status === 'rolled-back') throw new ApplyError(`journal ${id} is already ${view.status}`, view.dir);
    return await restoreJournal(view, { endAs: view.status === 'incomplete' ? 'rolled-back' : 'undone', ...(opts.force !== undefined ? { force: opts.force } : {}) });
  } finally {
    await lock.release();
  }
}
