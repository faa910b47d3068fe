/**
 * The few error classes stagefix raises. Each carries what the user needs to fix the problem; the CLI
 * turns any of them into one line on stderr and exit code 2. Anything else escaping is a bug.
 */

/** Bad command-line usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A project or configuration file that cannot be used: names the file, line and key. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly line?: number,
    readonly key?: string,
    readonly fix?: string,
  ) {
    super(
      `${file}${line !== undefined ? `:${line}` : ''}: ${key !== undefined ? `${key}: ` : ''}${detail}` +
        (fix !== undefined ? ` (${fix})` : ''),
    );
  }
}

/** A file-system problem: names the path and what went wrong. */
export class FsError extends Error {
  override readonly name = 'FsError';
  constructor(
    readonly path: string,
    readonly detail: string,
    readonly code?: string,
  ) {
    super(`${path}: ${detail}`);
  }
}

/** A file whose format stagefix understands but whose bytes are not valid (pyc, RECORD, METADATA...). */
export class FormatError extends Error {
  override readonly name = 'FormatError';
  constructor(
    readonly format: string,
    readonly detail: string,
    /** Where in the structure (byte offset, line, field path). */
    readonly where?: string,
  ) {
    super(`${format}: ${detail}${where !== undefined ? ` at ${where}` : ''}`);
  }
}

/** An `apply`/`undo` that cannot proceed safely (lock held, precondition failed, journal damaged). */
export class ApplyError extends Error {
  override readonly name = 'ApplyError';
  constructor(
    message: string,
    readonly path?: string,
  ) {
    super(message);
  }
}

export type StagefixError = UsageError | ConfigError | FsError | FormatError | ApplyError;

export function isStagefixError(e: unknown): e is StagefixError {
  return (
    e instanceof UsageError ||
    e instanceof ConfigError ||
    e instanceof FsError ||
    e instanceof FormatError ||
    e instanceof ApplyError
  );
}
