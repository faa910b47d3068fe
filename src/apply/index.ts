/** The apply engine's public surface (fault injection in faults.ts is for tests and stays out). */
export { applyOps, type ApplyEvent, type ApplyOptions, type ApplyResult, type SkipReason } from './apply.js';
export { undo, type UndoOptions } from './undo.js';
export type { RestoreResult, RefusedEntry } from './restore.js';
export { DEFAULT_NEW_MODE, type Expect, type FileOp } from './ops.js';
export type { LockInfo } from './lock.js';
export { listJournals, readJournal, type JournalRecord, type JournalStatus, type JournalView } from './journal.js';
export { renderShell, factsFromDisk, shAssign, type ExpectedFacts } from './render-sh.js';
