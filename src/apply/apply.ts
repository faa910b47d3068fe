/**
 * applyOps: execute low-level file ops with a lock, a write-ahead journal, atomic replacement and
 * confinement to the allowed install dirs. Design and guarantees: docs/apply.md.
 */
import { promises as fsp } from 'node:fs';
import * as fs from './fs.js';
import { dirname, join } from 'node:path';
import { ApplyError } from '../errors.js';
import { xxh64Bytes } from '../util/hash.js';
import { parentProblem } from './confine.js';
import { copyDurably, fsyncDir, writeNewFile } from './durable.js';
import { step } from './faults.js';
import { Journal, listJournals, readJournal, type OldState } from './journal.js';
import { acquireLock, type LockInfo } from './lock.js';
import { DEFAULT_NEW_MODE, lexicalProblem, normaliseRoot, type FileOp } from './ops.js';
import { restoreJournal, type RestoreResult } from './restore.js';
import { digestNoFollow, errCode, observe, sameShape, type Observed, type Shape } from './state.js';

export type ApplyEvent =
  | { type: 'lock-taken-over'; holder: LockInfo }
  | { type: 'recovered'; result: RestoreResult }
  | { type: 'op'; index: number; total: number; outcome: 'applied' | 'skipped' | 'failed' }
  | { type: 'rolled-back'; result: RestoreResult };

export interface ApplyOptions {
  /** `PROJECT/.stagefix/`; created when missing. */
  stateDir: string;
  /** The install dirs ops may touch; an op with another root is refused. */
  allowedRoots: readonly string[];
  /** Check confinement and preconditions only; take no lock, write nothing. */
  dryRun?: boolean;
  onEvent?: (e: ApplyEvent) => void;
}

/** Why an op did not run: the tree moved since the scan (`changed`, `parent-*`) or nothing to do. */
export type SkipReason = 'changed' | 'parent-missing' | 'parent-not-dir' | 'already-done';

export interface ApplyResult {
  /** The journal to undo; null when nothing was (or, in a dry run, would be) journaled. */
  journalId: string | null;
  applied: FileOp[];
  skipped: { op: FileOp; reason: SkipReason; detail: string }[];
  errors: { op: FileOp; error: string; code?: string }[];
  /** Set when an error stopped the apply and everything it had done was undone. */
  rolledBack: boolean;
  /** Interrupted journals rolled back before this apply started. */
  recovered: RestoreResult[];
}

const tempName = (journalId: string, n: number): string => `.stagefix-${journalId}-${n}.tmp`;

/** Does the observed entry satisfy the op's precondition? Returns why not, or the old state. */
async function checkExpect(op: FileOp, target: string, obs: Observed): Promise<{ old: OldState } | { mismatch: string }> {
  const e = op.expect;
  if (e.type === 'absent') return obs.type === 'absent' ? { old: { type: 'absent' } } : { mismatch: `expected nothing, found a ${obs.type === 'other' ? obs.kind : obs.type}` };
  if (e.type === 'symlink') {
    if (obs.type !== 'symlink') return { mismatch: `expected a symlink, found ${obs.type === 'other' ? obs.kind : obs.type}` };
    if (obs.target !== e.target) return { mismatch: `symlink now points to ${JSON.stringify(obs.target)}, expected ${JSON.stringify(e.target)}` };
    return { old: { type: 'symlink', target: obs.target, mtimeNs: obs.mtimeNs.toString(), uid: obs.uid, gid: obs.gid } };
  }
  if (obs.type !== 'file') return { mismatch: `expected a regular file, found ${obs.type === 'other' ? obs.kind : obs.type}` };
  if (obs.size !== e.size) return { mismatch: `size is ${obs.size}, expected ${e.size}` };
  if (e.mode !== undefined && obs.mode !== e.mode) return { mismatch: `mode is ${obs.mode.toString(8)}, expected ${e.mode.toString(8)}` };
  let d: string;
  try {
    d = await digestNoFollow(target, obs.ino);
  } catch (err) {
    if (errCode(err) === 'ECHANGED' || errCode(err) === 'ELOOP' || errCode(err) === 'ENOENT') return { mismatch: 'replaced while being read' };
    throw err;
  }
  if (d !== e.digest) return { mismatch: `contents changed (${d}, expected ${e.digest})` };
  return { old: { type: 'file', size: obs.size, digest: d, mode: obs.mode, mtimeNs: obs.mtimeNs.toString(), uid: obs.uid, gid: obs.gid } };
}

async function newShape(op: FileOp, old: OldState): Promise<Shape> {
  switch (op.op) {
    case 'write':
      return { type: 'file', size: op.contents.length, digest: await xxh64Bytes(op.contents), mode: op.mode ?? (old.type === 'file' ? old.mode : DEFAULT_NEW_MODE) };
    case 'symlink':
      return { type: 'symlink', target: op.target };
    case 'remove':
      return { type: 'absent' };
  }
}

/** Refusals that say the plan itself is wrong: thrown before anything is touched. */
function refuseBadPlan(ops: readonly FileOp[], allowed: ReadonlySet<string>): void {
  const bad = ops.flatMap((op, i) => {
    const p = lexicalProblem(op, allowed);
    return p === undefined ? [] : [`op ${i} (${op.op} ${JSON.stringify(op.path)} in ${op.root}): ${p}`];
  });
  if (bad.length > 0) throw new ApplyError(`refusing the plan, ${bad.length} op(s) would leave the allowed install dirs:\n  ${bad.join('\n  ')}`, ops[0]?.root);
}

/** Roll back every journal an earlier, interrupted apply left behind. */
async function recover(stateDir: string, onEvent?: (e: ApplyEvent) => void): Promise<RestoreResult[]> {
  const out: RestoreResult[] = [];
  for (const id of await listJournals(stateDir)) {
    const view = await readJournal(stateDir, id);
    if (view.status !== 'incomplete') continue;
    const result = await restoreJournal(view, { endAs: 'rolled-back' });
    onEvent?.({ type: 'recovered', result });
    out.push(result);
    if (!result.complete)
      throw new ApplyError(
        `an interrupted apply (journal ${id}) could not be rolled back: ${result.refused.map((r) => `${r.root}/${r.path}: ${r.reason}`).join('; ')}`,
        view.dir,
      );
  }
  return out;
}

export async function applyOps(ops: readonly FileOp[], opts: ApplyOptions): Promise<ApplyResult> {
  const allowed = new Set(opts.allowedRoots.map(normaliseRoot));
  refuseBadPlan(ops, allowed);
  const res: ApplyResult = { journalId: null, applied: [], skipped: [], errors: [], rolledBack: false, recovered: [] };
  if (opts.dryRun === true) {
    for (const op of ops) {
      const target = join(op.root, op.path);
      const parent = await parentProblem(op.root, op.path);
      if (parent?.problem === 'parent-missing' || parent?.problem === 'parent-not-dir') res.skipped.push({ op, reason: parent.problem, detail: parent.at });
      else if (parent !== undefined) res.errors.push({ op, error: `${parent.problem} at ${parent.at}` });
      else {
        const chk = await checkExpect(op, target, await observe(target));
        if ('mismatch' in chk) res.skipped.push({ op, reason: 'changed', detail: chk.mismatch });
        else res.applied.push(op);
      }
    }
    return res;
  }

  await fsp.mkdir(opts.stateDir, { recursive: true });
  const lock = await acquireLock(opts.stateDir, 'apply', (holder) => opts.onEvent?.({ type: 'lock-taken-over', holder }));
  let journal: Journal | undefined;
  try {
    res.recovered = await recover(opts.stateDir, opts.onEvent);
    for (const [i, op] of ops.entries()) {
      const emit = (outcome: 'applied' | 'skipped' | 'failed'): void => opts.onEvent?.({ type: 'op', index: i, total: ops.length, outcome });
      try {
        const target = join(op.root, op.path);
        const parent = await parentProblem(op.root, op.path);
        // A missing or non-directory parent: the tree moved since the scan, like a changed file. A
        // symlinked parent (or a bad root) is refused as an error: it is how writes escape.
        if (parent?.problem === 'parent-missing' || parent?.problem === 'parent-not-dir') {
          res.skipped.push({ op, reason: parent.problem, detail: parent.at });
          emit('skipped');
          continue;
        }
        if (parent !== undefined)
          throw new ApplyError(
            parent.problem === 'parent-symlink'
              ? `refused: ${parent.at} is a symlink (stagefix never writes through a symlinked parent)`
              : `refused: ${parent.problem} at ${parent.at}`,
            target,
          );
        const obs = await observe(target);
        const chk = await checkExpect(op, target, obs);
        if ('mismatch' in chk) {
          res.skipped.push({ op, reason: 'changed', detail: chk.mismatch });
          emit('skipped');
          continue;
        }
        const want = await newShape(op, chk.old);
        if (sameShape(chk.old, want)) {
          res.skipped.push({ op, reason: 'already-done', detail: 'already in the wanted state' });
          emit('skipped');
          continue;
        }
        journal ??= await Journal.create(opts.stateDir);
        res.journalId = journal.id;
        await performOp(journal, i, op, target, chk.old, want, obs.type === 'file' || obs.type === 'symlink' ? obs : undefined);
        res.applied.push(op);
        emit('applied');
      } catch (e) {
        res.errors.push({ op, error: e instanceof Error ? e.message : String(e), ...(errCode(e) !== undefined ? { code: errCode(e) } : {}) });
        emit('failed');
        break;
      }
    }
    if (journal !== undefined) {
      if (res.errors.length === 0) await journal.append({ t: 'commit' });
      await journal.close();
      if (res.errors.length > 0) {
        const result = await restoreJournal(await readJournal(opts.stateDir, journal.id), { endAs: 'rolled-back' });
        res.rolledBack = result.complete;
        res.applied = [];
        opts.onEvent?.({ type: 'rolled-back', result });
        for (const r of result.refused) {
          const op = ops[r.n];
          if (op !== undefined) res.errors.push({ op, error: `rollback refused for ${r.path}: ${r.reason}` });
        }
      }
    } else if (res.errors.length > 0) res.rolledBack = true; // nothing had been done
  } finally {
    await lock.release();
  }
  return res;
}

/** One op, write-ahead: backup, intent record, act on a temp name, rename, done record. */
async function performOp(journal: Journal, n: number, op: FileOp, target: string, old: OldState, want: Shape, owner?: { uid: number; gid: number }): Promise<void> {
  const dir = dirname(target);
  const tmp = join(dir, tempName(journal.id, n));
  const bk = journal.backupPath(n);
  if (old.type !== 'absent') old.backup = bk.rel;
  if (old.type !== 'absent' && op.op !== 'remove') {
    // Keep the old inode itself: link(2) does not follow a final symlink on Linux, and the inode
    // carries mode, owner, mtime and xattrs, so undo is exact. Across devices keep a copy instead.
    try {
      await fs.link(target, bk.abs);
    } catch (e) {
      // EXDEV: state dir on another file system. EPERM: protected_hardlinks refuses to link a file
      // we do not own. Either way a copy keeps every byte.
      if (errCode(e) !== 'EXDEV' && errCode(e) !== 'EPERM') throw e;
      if (old.type === 'file') {
        await copyDurably(target, bk.abs, old.mode, BigInt(old.mtimeNs ?? '0'), owner);
      } else delete old.backup; // a symlink is re-made from its target in the journal
    }
    await fsyncDir(dirname(bk.abs));
    step('backup', n);
  }
  await journal.append({ t: 'op', n, kind: op.op, part: op.part, root: op.root, path: op.path, tmp, old, new: want, why: op.why });
  step('journal', n);
  if (op.op === 'write' && want.type === 'file') {
    await writeNewFile(tmp, op.contents, want.mode, ownerToKeep(owner), () => step('chunk', n));
    step('temp', n);
    await fs.rename(tmp, target);
  } else if (op.op === 'symlink') {
    await fs.symlink(op.target, tmp);
    const o = ownerToKeep(owner);
    if (o !== undefined) await fs.lchown(tmp, o.uid, o.gid);
    step('temp', n);
    await fs.rename(tmp, target);
  } else {
    try {
      await fs.rename(target, bk.abs);
    } catch (e) {
      if (errCode(e) !== 'EXDEV') throw e;
      // Across devices: a file is copied (fsync'd) before the unlink; a symlink needs no copy, undo
      // re-makes it from the target in the journal.
      if (old.type === 'file') await copyDurably(target, bk.abs, old.mode, BigInt(old.mtimeNs ?? '0'), owner);
      await fs.unlink(target);
    }
    await fsyncDir(dirname(bk.abs));
  }
  await fsyncDir(dir);
  step('rename', n);
  await journal.append({ t: 'done', n });
  step('done', n);
}

/**
 * A replacement keeps the owner of what it replaces when we can set it (as root): a root-run apply
 * must not leave root-owned files in a tree built by another user. Without privilege the new file is
 * ours, as with any editor's atomic save.
 */
function ownerToKeep(owner: { uid: number; gid: number } | undefined): { uid: number; gid: number } | undefined {
  return owner !== undefined && process.getuid?.() === 0 ? { uid: owner.uid, gid: owner.gid } : undefined;
}
