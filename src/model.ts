/**
 * The plain data that flows through the pipeline: scan → classify → plan → (report | apply).
 * Every stage takes and returns these shapes; nothing here touches the disk or the terminal.
 */

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A part's name as declared in the project file (or on the command line). */
export type PartName = Brand<string, 'PartName'>;
/** A POSIX path relative to a part's install dir (after `organize`), no leading or trailing slash. */
export type RelPath = Brand<string, 'RelPath'>;
/** A content digest: `xxh64:<16 hex>` from the scanner, `sha256:<hex>` where a format demands it. */
export type Digest = Brand<string, 'Digest'>;

export const partName = (s: string): PartName => s as PartName;
export const relPath = (s: string): RelPath => s as RelPath;
export const digest = (s: string): Digest => s as Digest;

/** Which craft tool's project file the parts came from. */
export type ProjectKind = 'snapcraft' | 'rockcraft' | 'charmcraft' | 'parts';

/** One `permissions:` entry of a part (craft-parts `Permissions`). */
export interface PermissionSpec {
  path: string; // fnmatch pattern, default "*"
  owner?: number;
  group?: number;
  mode?: string; // octal string as written, e.g. "755"
}

/** A part as declared, before its install dir is read. */
export interface PartSpec {
  name: PartName;
  /** Absolute path of the part's install dir. */
  installDir: string;
  /** `stage:` as written; `undefined` means the default `["*"]`. */
  stage?: string[];
  /** `organize:` as written, source → destination. */
  organize: Record<string, string>;
  permissions: PermissionSpec[];
  after: PartName[];
  plugin?: string;
  /** 1-based line of the part's key in the project file, for SARIF and error messages. */
  line?: number;
}

export interface Project {
  kind: ProjectKind;
  /** Directory that holds the project file (or the cwd with `--part`). */
  root: string;
  /** Absolute path of the project file, when there is one. */
  file?: string;
  /** `name:` of the project (snap/rock/charm name) when declared. */
  name?: string;
  base?: string;
  /** Parts in craft-parts' order (`sort_parts`: alphabetical, then `after:` dependencies first). */
  parts: PartSpec[];
}

export type EntryType = 'file' | 'dir' | 'symlink' | 'fifo' | 'socket' | 'char-device' | 'block-device';

/** What the scanner knows about one path in one part, from a single lstat. */
export interface Entry {
  type: EntryType;
  size: number;
  mode: number; // permission bits only (0o7777)
  dev: bigint;
  ino: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  /** For symlinks: the raw target as stored. */
  linkTarget?: string;
}

/** Why craft-parts would refuse to stage a path shared by two parts. */
export type CollisionKind = 'contents' | 'type' | 'symlink' | 'permissions';

/** One pair of parts that collide on one path, in the craft-parts sense. */
export interface PairCollision {
  /** [earlier, later] in craft-parts order. */
  parts: [PartName, PartName];
  kind: CollisionKind;
}

/** A path at which at least one pair of parts collides. */
export interface Collision {
  path: RelPath;
  /** Every part that ships this path in its stage set, in part order. */
  parts: PartName[];
  pairs: PairCollision[];
}

/** A path shipped identically by several parts but with different modes: no collision, a warning. */
export interface ModeWarning {
  path: RelPath;
  modes: { part: PartName; mode: number }[];
}

/** A part declared in the project whose install dir does not exist (never built). */
export interface MissingPart {
  part: PartName;
  installDir: string;
}

export interface ScanWarning {
  code: 'mode-differs' | 'part-not-built' | 'stage-empty-skipped' | 'changed-during-scan' | 'unreadable';
  part?: PartName;
  path?: RelPath;
  message: string;
}

export type Verdict = 'identical' | 'benign' | 'real';

/**
 * A rule's decision about one pair at one path. Message text lives with the rule (`messages`);
 * the finding carries only an id and typed arguments (publint's split).
 */
export interface PairVerdict {
  parts: [PartName, PartName];
  verdict: Verdict;
  rule: string;
  messageId: string;
  args: Record<string, string | number | boolean>;
  /** True when no rule could decide and the verdict defaults to real. */
  unknown?: boolean;
  evidence: Record<string, unknown>;
}

/** One pair's verdict kept on a finding: the decision as data, without the pair's own evidence. */
export type PairOutcome = Omit<PairVerdict, 'evidence'>;

/** A classified finding: one path (or, for environment rules, one problem) with its verdict. */
export interface Finding {
  path: RelPath;
  parts: PartName[];
  /** Pairs that collide in the craft-parts sense; empty for findings that are not same-path collisions. */
  pairs: [PartName, PartName][];
  kind: CollisionKind | 'environment';
  verdict: Exclude<Verdict, 'identical'>;
  rule: string;
  messageId: string;
  /** The rendered one-line reason (from the rule's message template). */
  reason: string;
  args: Record<string, string | number | boolean>;
  unknown?: boolean;
  evidence: Record<string, unknown>;
  /**
   * Each pair's verdict when the path has more than one pair, in `pairs` order. Kept as message id and
   * arguments: on a large project these are most of a report, and their text is rendered only for
   * output (JSON's `evidence.pairs`, see `report/evidence.ts`).
   */
  pairVerdicts?: PairOutcome[];
  /** Set when the configuration accepts this finding (issue 5); never hides it. */
  accepted?: { reason: string; glob: string };
}

export interface PartSummary {
  name: PartName;
  installDir: string;
  built: boolean;
  entries: number;
  /** 1-based line of the part's key in the project file. */
  line?: number;
}

export interface Report {
  schemaVersion: 1;
  project: { kind: ProjectKind; root: string; file?: string; name?: string };
  parts: PartSummary[];
  findings: Finding[];
  warnings: ScanWarning[];
  stats: { entries: number; sharedPaths: number; hashedFiles: number; hashedBytes: number; durationMs: number };
}

/** Progress events the scanner and classifier emit; the CLI decides whether to show them. */
export interface ProgressEvent {
  phase: 'loading' | 'walking' | 'comparing' | 'classifying' | 'planning' | 'applying';
  done: number;
  total?: number;
  /** Bytes hashed so far, for the comparing phase. */
  bytes?: number;
}
export type ProgressSink = (e: ProgressEvent) => void;

/**
 * Stable rule ids. Each has `src/classify/rules/<id>.ts` (or `src/integrity/rules/<id>.ts` for the
 * environment rules), `docs/rules/<id>.md` and `test/.../rules/<id>.test.ts`.
 */
export const RULE_IDS = [
  // Same-path collisions, most specific first.
  'python-bytecode',
  'pip-record',
  'venv-scaffolding',
  'build-path',
  'symlink',
  'file-type',
  'permissions',
  'contents',
  // Environment integrity (no same-path collision needed).
  'version-skew',
  'module-shadowing',
  'extension-abi',
  'bytecode-interpreter',
  'broken-link',
  'usrmerge',
] as const;
export type RuleId = (typeof RULE_IDS)[number];
