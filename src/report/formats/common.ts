/** Helpers shared by the CI formats: where a finding lives, how loud it is, and its stable identity. */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { ruleById } from '../../classify/registry.js';
import type { Finding, PartName, PartSummary, Report, RuleId } from '../../model.js';
import { RULE_IDS } from '../../model.js';
import { evidenceOf } from '../evidence.js';
import { DEFAULT_DOCS_BASE_URI, type FormatContext, type Level } from './types.js';

export const isRuleId = (s: string): s is RuleId => (RULE_IDS as readonly string[]).includes(s);

/** One-liners for the environment rules, which live outside the classifier registry. */
const ENVIRONMENT_RULES: Record<string, string> = {
  'version-skew': 'Two parts ship different versions of the same Python distribution.',
  'module-shadowing': 'A module in one part hides a module of the same name in another on sys.path.',
  'extension-abi': 'A compiled extension does not match the ABI of the interpreter that will load it.',
  'bytecode-interpreter': 'Bytecode was compiled by a different interpreter version than the one staged.',
  'broken-link': 'A symlink in the staged tree points at a path no part provides.',
  usrmerge: 'A part ships a path under /bin, /sbin or /lib that the usr-merged base replaces with a symlink.',
};

export function ruleDescription(id: string): string {
  return ruleById(id)?.description ?? ENVIRONMENT_RULES[id] ?? `stagefix rule ${id}.`;
}

export function helpUri(ctx: FormatContext, id: string): string {
  return new URL(`${encodeURIComponent(id)}.md`, ctx.docsBaseUri || DEFAULT_DOCS_BASE_URI).href;
}

/** Every rule id a report can mention: the stable ids in registry order, then any others found. */
export function ruleIdsFor(report: Report): string[] {
  const extra = [...new Set(report.findings.map((f) => f.rule))].filter((r) => !isRuleId(r)).sort();
  return [...RULE_IDS, ...extra];
}

/** Real findings use the configured level (default error); benign ones are always notes. */
export function levelOf(f: Finding, ctx: FormatContext): Level {
  if (f.verdict !== 'real') return 'note';
  return (isRuleId(f.rule) ? ctx.severity?.[f.rule] : undefined) ?? 'error';
}

/** Whether the finding makes `check` exit 1 under the context's `failOn`. */
export function fails(f: Finding, ctx: FormatContext): boolean {
  return f.accepted === undefined && (f.verdict === 'real' || ctx.failOn === 'benign');
}

/** POSIX path of `abs` relative to the output root, or undefined when it lies outside it. */
export function relativeToRoot(ctx: FormatContext, abs: string): string | undefined {
  const rel = path.relative(ctx.projectRoot, abs);
  if (rel === '') return '.';
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return rel.split(path.sep).join('/');
}

export function partSummary(report: Report, part: PartName | string): PartSummary | undefined {
  return report.parts.find((p) => p.name === part);
}

/** Where a finding's path sits in one part: `parts/<part>/install/<path>` relative to the output root. */
export function installPath(report: Report, ctx: FormatContext, part: string, rel: string): { path: string; absolute: boolean } {
  const summary = partSummary(report, part);
  const dir = summary?.installDir ?? path.join(report.project.root, 'parts', part, 'install');
  const abs = rel === '' ? dir : path.join(dir, rel);
  const r = relativeToRoot(ctx, abs);
  return r !== undefined ? { path: r, absolute: false } : { path: abs, absolute: true };
}

/** The project file relative to the output root, when there is one inside it. */
export function projectFile(report: Report, ctx: FormatContext): string | undefined {
  return report.project.file !== undefined ? relativeToRoot(ctx, report.project.file) : undefined;
}

/**
 * The part whose declaration a user edits to fix the finding: the later part of the first colliding
 * pair (craft-parts reports the collision when it stages that one), else the last part listed.
 */
export function blamedPart(f: Finding): PartName | undefined {
  return f.pairs[0]?.[1] ?? f.parts[f.parts.length - 1];
}

/**
 * A source position for line-based formats (GitHub, GitLab): the blamed part's line in the project
 * file when known, else the first part's install path at line 1 (install dirs have no lines).
 */
export function sourcePosition(report: Report, ctx: FormatContext, f: Finding): { file: string; line: number } {
  const file = projectFile(report, ctx);
  const part = blamedPart(f);
  const line = part !== undefined ? partSummary(report, part)?.line : undefined;
  if (file !== undefined && line !== undefined) return { file, line };
  const first = f.parts[0];
  return { file: first !== undefined ? installPath(report, ctx, first, f.path).path : f.path, line: 1 };
}

/**
 * Stable identity of a finding across runs: sha256 of rule id, path and sorted part names. Never of
 * timings, digests or absolute dirs, so a rebuild in another checkout keeps the same fingerprint.
 */
export function fingerprint(f: Finding): string {
  const parts = [...f.parts].map(String).sort();
  return createHash('sha256').update([f.rule, f.path, ...parts].join('\0')).digest('hex');
}

/** Fingerprints made unique within one report (a repeated identity gets `:2`, `:3`, ...). */
export function uniqueFingerprints(findings: readonly Finding[]): string[] {
  const seen = new Map<string, number>();
  return findings.map((f) => {
    const fp = fingerprint(f);
    const n = (seen.get(fp) ?? 0) + 1;
    seen.set(fp, n);
    return n === 1 ? fp : `${fp}:${n}`;
  });
}

export function pairLabel(parts: readonly string[]): string {
  return parts.join(' ↔ ');
}

/** Deterministic order: failing first, then by level, then rule order, then path. */
export function byImportance(ctx: FormatContext): (a: Finding, b: Finding) => number {
  const levelRank: Record<Level, number> = { error: 0, warning: 1, note: 2 };
  const ruleRank = (r: string): number => {
    const i = (RULE_IDS as readonly string[]).indexOf(r);
    return i < 0 ? RULE_IDS.length : i;
  };
  return (a, b) =>
    Number(fails(b, ctx)) - Number(fails(a, ctx)) ||
    levelRank[levelOf(a, ctx)] - levelRank[levelOf(b, ctx)] ||
    ruleRank(a.rule) - ruleRank(b.rule) ||
    (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
}

/** Evidence as readable JSON (bigints as strings), for JUnit bodies and details blocks. */
export function evidenceText(f: Finding): string {
  return JSON.stringify(evidenceOf(f), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) ?? '{}';
}
