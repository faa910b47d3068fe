/**
 * The one error class of the craft-semantics module. Each code names a situation in which craft-parts itself
 * would raise (so there is no "right" set to compute) or in which the answer needs host data a listing
 * does not carry. Callers map it to `ConfigError` (cycle, bad pattern) or to a scan warning.
 */
export type CraftErrorCode =
  /** `after:` forms a cycle (craft-parts `PartDependencyCycle`). */
  | 'dependency-cycle'
  /** A glob craft-parts' pathlib rejects (`ValueError`/`NotImplementedError`), e.g. `**` inside a name. */
  | 'invalid-pattern'
  /** A stage/organize entry that is empty, absolute or escapes the install dir. */
  | 'invalid-entry'
  /** A path resolves (through `..` or a symlink) outside the install dir: craft-parts raises `ValueError`. */
  | 'outside-install-dir'
  /** A symlink loop while resolving: craft-parts raises `RuntimeError`. */
  | 'symlink-loop'
  /** The answer depends on files outside the install dir (a glob descends through a link leaving the tree). */
  | 'needs-host'
  /** `organize:` that craft-parts refuses (destination exists, several sources into one file). */
  | 'organize-conflict';

export class CraftSemanticsError extends Error {
  override readonly name = 'CraftSemanticsError';
  constructor(
    readonly code: CraftErrorCode,
    readonly detail: string,
    /** The stage/organize entry or path concerned. */
    readonly subject?: string,
  ) {
    super(subject !== undefined ? `${subject}: ${detail}` : detail);
  }
}
