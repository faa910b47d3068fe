/**
 * The low-level file operations the planner lowers its actions to, and the only things `applyOps`
 * and `renderShell` execute. Each op names the part's install dir (`root`) and a path inside it, and
 * carries the state the scanner saw (`expect`): apply re-checks it and skips the op when it changed.
 */
import type { PartName, RelPath } from '../model.js';

/** What the file at `path` must be right now for the op to run (seen at scan time). */
export type Expect =
  | { type: 'file'; size: number; digest: string /* 'xxh64:<hex>' from src/util/hash.ts */; mode?: number }
  | { type: 'symlink'; target: string }
  | { type: 'absent' };

export type FileOp =
  | {
      op: 'write';
      part: PartName;
      /** The part's install dir, absolute. */
      root: string;
      path: RelPath;
      contents: Uint8Array;
      /** Permission bits of the written file; default: the old file's, or 0o644 when there was none. */
      mode?: number;
      expect: Expect;
      why: string;
    }
  | { op: 'remove'; part: PartName; root: string; path: RelPath; expect: Expect; why: string }
  | { op: 'symlink'; part: PartName; root: string; path: RelPath; target: string; expect: Expect; why: string };

/** Mode of a file written where none existed (what a default umask 022 gives). */
export const DEFAULT_NEW_MODE = 0o644;

/** Why an op was refused before anything ran (a planner bug or a hostile plan, never a race). */
export type PathProblem = 'empty' | 'absolute' | 'dot-segment' | 'nul' | 'not-normalised' | 'root-not-absolute' | 'root-not-allowed';

/**
 * Lexical confinement: `path` must be a normalised relative POSIX path with no `.`/`..` segment, no
 * empty segment and no NUL, and `root` an absolute path among the allowed install dirs. Symlinked
 * parents are a run-time matter (see confine.ts), since they depend on the tree, not the plan.
 */
export function lexicalProblem(op: FileOp, allowedRoots: ReadonlySet<string>): PathProblem | undefined {
  const p: string = op.path;
  if (!op.root.startsWith('/')) return 'root-not-absolute';
  if (!allowedRoots.has(normaliseRoot(op.root))) return 'root-not-allowed';
  if (p.length === 0) return 'empty';
  if (p.includes('\0') || op.root.includes('\0')) return 'nul';
  if (p.startsWith('/')) return 'absolute';
  const segs = p.split('/');
  if (segs.some((s) => s === '..' || s === '.')) return 'dot-segment';
  if (segs.some((s) => s === '')) return 'not-normalised';
  return undefined;
}

/** Roots compare as strings after collapsing `//`, `.` and `..` and dropping a trailing slash. */
export function normaliseRoot(root: string): string {
  const out: string[] = [];
  for (const s of root.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') out.pop();
    else out.push(s);
  }
  return '/' + out.join('/');
}
