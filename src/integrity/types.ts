/**
 * The environment-rule contract (issue 8). A same-path rule judges one pair at one path; an environment
 * rule looks at the whole staged tree and returns problems that need no collision at all (a package in
 * two versions, a module in two forms, an extension no interpreter will load...). Like the collision
 * rules it returns data — a message id, typed arguments and evidence — never a sentence.
 */
import type { FileSource } from '../classify/types.js';
import type { PartName, Project, RuleId } from '../model.js';
import type { ScanResult } from '../scan/scan.js';
import type { StagedView } from './staged.js';

export type Args = Record<string, string | number | boolean>;

export interface IntegrityContext {
  scan: ScanResult;
  source: FileSource;
  project: Project;
  /** The union of the stage sets, later part winning (built once per run). */
  staged: StagedView;
}

/** One problem an environment rule found. */
export interface IntegrityResult {
  /** The most useful path: the dist-info dir, the module, the extension, the link. */
  path: string;
  /** The parts involved, in craft-parts order. */
  parts: PartName[];
  /** `benign` only for findings that are informational and harmless. */
  verdict: 'real' | 'benign';
  messageId: string;
  args: Args;
  evidence: Record<string, unknown>;
  /** True when the rule could not decide (e.g. an unreadable file) and defaults to real. */
  unknown?: boolean;
}

export interface IntegrityRule {
  id: RuleId;
  description: string;
  /** Message templates: `{name}` placeholders are filled from the result's args. */
  messages: Record<string, string>;
  check(ctx: IntegrityContext): Promise<IntegrityResult[]>;
}

export function formatIntegrityMessage(rule: IntegrityRule, messageId: string, args: Args): string {
  const template = rule.messages[messageId] ?? messageId;
  return template.replace(/\{(\w+)\}/g, (_, k: string) => (k in args ? String(args[k]) : `{${k}}`));
}
