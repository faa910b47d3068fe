/**
 * A plan is plain data: high-level actions with the reason (finding) behind them, the state each file
 * must still be in (seen at scan time), and, for actions that change files, the low-level `FileOp`s
 * `applyOps` and `renderShell` execute. Real conflicts only ever produce proposals (no ops).
 */
import type { Expect, FileOp } from '../apply/ops.js';
import type { PartName, ProjectKind, RelPath } from '../model.js';

export type PycStrategy = 'rewrite' | 'recompile' | 'drop';

export interface PlanOptions {
  /** Where the staged tree lives at run time; default by project kind (docs/plan.md). */
  runtimePrefix?: string;
  pyc?: PycStrategy;
  /** `--pyc recompile`: interpreters the user names (at most one per minor version), matched by pyc magic. */
  pythons?: string[];
  /** Which part wins a real conflict at a path (first match wins); default: first part in part order. */
  owners?: { path: string; part: string }[];
  /** How a real conflict's losing part gives way: `stage` exclusion (default) or an `organize` move. */
  propose?: 'stage' | 'organize';
}

/** Why an action is in the plan: the finding it answers. */
export interface Why {
  rule: string;
  messageId: string;
  verdict: 'benign' | 'real';
  reason: string;
}

/** The state a file must still be in for an action to run. */
export interface Precondition {
  part: PartName;
  path: RelPath;
  expect: Expect;
}

interface Base {
  path: RelPath;
  parts: PartName[];
  why: Why;
  preconditions: Precondition[];
  ops: FileOp[];
  /** Anything the reviewer should know (a fallback taken, what a strategy costs). */
  note?: string;
}

export type Action =
  | (Base & { kind: 'rewrite-pyc'; runtimeFilename: string })
  /** `--pyc recompile`: the bytes a real interpreter wrote (py_compile, checked-hash, dfile at the run-time path). */
  | (Base & { kind: 'recompile-pyc'; runtimeFilename: string; interpreters: { part: PartName; exe: string; version: string }[] })
  | (Base & { kind: 'drop-pyc' })
  | (Base & { kind: 'regenerate-record' })
  | (Base & { kind: 'normalise-venv-file'; file: 'activate' | 'pyvenv.cfg' })
  | (Base & { kind: 'rewrite-build-paths' })
  | (Base & { kind: 'relink-symlink'; target: string })
  /** A benign conflict with no common rewritten form: every part gets the owner's copy. */
  | (Base & { kind: 'keep-one-copy'; owner: PartName })
  | (Base & { kind: 'propose-stage-exclusion'; owner: PartName; losers: Loser[] })
  | (Base & { kind: 'propose-organize'; owner: PartName; losers: (Loser & { organizeTo: string })[] });

export type ActionKind = Action['kind'];

/** A part that gives way in a real conflict, and what it gives up. */
export interface Loser {
  part: PartName;
  /** `-<path>` for the part's `stage:` list. */
  stageEntry: string;
  loses: { type: string; size?: number; digest?: string; target?: string };
}

export interface Plan {
  schemaVersion: 1;
  project: { kind: ProjectKind; root: string; file?: string; name?: string };
  runtimePrefix: string;
  pyc: PycStrategy;
  /** `--pyc recompile`: the interpreters that ran, and for which parts. */
  interpreters?: PlanInterpreter[];
  /** Install dirs by part, in part order (the roots ops may touch). */
  parts: { name: PartName; installDir: string; stage?: string[]; organize: Record<string, string> }[];
  actions: Action[];
  summary: {
    benignFindings: number;
    realFindings: number;
    unresolvedBenign: number;
    fileOps: number;
    /** Environment-integrity findings (no shared path to rewrite or exclude): reported, not planned. */
    environmentFindings: number;
  };
}

/** An interpreter a `--pyc recompile` plan ran: the user's `--python` or a part's own `bin/python3`. */
export interface PlanInterpreter {
  exe: string;
  version: string;
  from: 'user' | 'part';
  parts: PartName[];
}

export const isProposal = (a: Action): a is Extract<Action, { kind: 'propose-stage-exclusion' | 'propose-organize' }> =>
  a.kind === 'propose-stage-exclusion' || a.kind === 'propose-organize';

/** Every file op of the plan, in action order. */
export const planOps = (plan: Plan): FileOp[] => plan.actions.flatMap((a) => a.ops);
