/**
 * The rule contract (ESLint's `{ meta, create }`, diffoscope's comparators): a rule is one file with
 * its id, a one-line description, message templates, a cheap `applies` gate and a `classify` that
 * returns data (a verdict, a message id and typed arguments), never a sentence.
 */
import type { Digest, Entry, PartName, Project, RelPath, Verdict } from '../model.js';

/** Read access to the parts, confined to their install dirs. Implemented on disk and in memory. */
export interface FileSource {
  readonly project: Project;
  /** The scanned entry, or undefined when the part does not ship the path. */
  entry(part: PartName, path: string): Entry | undefined;
  /** Whole file contents (regular files only; refuses symlinks and paths through symlinked dirs). */
  read(part: PartName, path: string): Promise<Uint8Array>;
  /**
   * Reads the whole file, confined like `read`, and returns what `use` makes of the bytes, which are
   * valid only while `use` runs (the source may reuse their memory): for facts derived at once.
   */
  readWith<T>(part: PartName, path: string, use: (bytes: Uint8Array) => T): Promise<T>;
  /** `n` bytes from `offset` (within the scanned size), confined like `read`: a large file in pieces. */
  range(part: PartName, path: string, offset: number, n: number): Promise<Uint8Array>;
  /** The first `n` bytes (fewer when the file is shorter), confined like `read`: for headers. */
  head(part: PartName, path: string, n: number): Promise<Uint8Array>;
  /** Full-content digest of a regular file (from the scan when known). */
  digest(part: PartName, path: string): Promise<Digest>;
  /** Direct children names of a directory in a part (empty when not a directory). */
  children(part: PartName, dir: string): string[];
  /** The part's absolute install dir. */
  installDir(part: PartName): string;
  /** Every part, in craft-parts order. */
  readonly parts: readonly PartName[];
  /**
   * A value an earlier run derived from this file's bytes (`kind` names the producer and its version),
   * when the file is unchanged since (the digest cache's status key). Optional: sources without a cache.
   */
  derived?(kind: string, part: PartName, path: string): unknown;
  /** Remembers a JSON value derived from the file's bytes, for the next run. */
  remember?(kind: string, part: PartName, path: string, value: unknown): void;
}

export interface Side {
  part: PartName;
  entry: Entry;
}

/** What a rule sees: one pair of parts colliding at one path. */
export interface PairContext {
  path: RelPath;
  a: Side;
  b: Side;
  kind: 'contents' | 'type' | 'symlink' | 'permissions';
  source: FileSource;
  /** Classify another path for the same pair (used by RECORD to judge the rows that differ). */
  classifyPath(path: string): Promise<RuleVerdict | undefined>;
}

export interface RuleVerdict {
  verdict: Verdict;
  messageId: string;
  args: Record<string, string | number | boolean>;
  evidence: Record<string, unknown>;
  unknown?: boolean;
}

export interface Rule {
  id: string;
  description: string;
  /** Message templates: `{name}` placeholders are filled from the verdict's args. */
  messages: Record<string, string>;
  /** Cheap gate on the path and entries; no reads. */
  applies(ctx: PairContext): boolean;
  /** Returns undefined to pass the pair on to the next rule. */
  classify(ctx: PairContext): Promise<RuleVerdict | undefined>;
}

export function formatMessage(rule: Rule, messageId: string, args: Record<string, string | number | boolean>): string {
  const template = rule.messages[messageId] ?? messageId;
  return template.replace(/\{(\w+)\}/g, (_, k: string) => (k in args ? String(args[k]) : `{${k}}`));
}
