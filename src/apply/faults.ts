/**
 * Named points in apply/undo where a test can kill the process or inject an I/O error. Production
 * code calls `step()`; nothing is installed unless a test driver calls `setStepHook`. This keeps
 * environment variables and process killing out of the engine itself.
 */
export type StepKind =
  | 'backup' // the old inode is linked (or copied) into the backup store
  | 'journal' // an op's intent record is fsync'd
  | 'chunk' // about to write one chunk of the temp file (an I/O fault lands mid-file)
  | 'temp' // the new contents sit fsync'd in the temp file beside the target
  | 'rename' // the target is replaced (or removed into the backup store)
  | 'done' // the op's done record is fsync'd
  | 'restore'; // undo/rollback restored one entry

export type StepHook = (kind: StepKind, opIndex: number) => void;

let hook: StepHook | undefined;

export function setStepHook(h: StepHook | undefined): void {
  hook = h;
}

export function step(kind: StepKind, opIndex: number): void {
  hook?.(kind, opIndex);
}
