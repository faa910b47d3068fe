/**
 * GitLab Code Quality (https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format):
 * a JSON array of `{description, check_name, fingerprint, severity, location: {path, lines: {begin}}}`.
 * GitLab ignores other Code Climate fields, so we emit exactly these.
 */
import type { Finding, Report } from '../../model.js';
import { levelOf, sourcePosition, uniqueFingerprints } from './common.js';
import type { FormatContext, Level } from './types.js';

export type GitlabSeverity = 'info' | 'minor' | 'major' | 'critical' | 'blocker';

export interface CodeQualityIssue {
  description: string;
  check_name: string;
  fingerprint: string;
  severity: GitlabSeverity;
  location: { path: string; lines: { begin: number } };
}

/**
 * Benign → info. Real: a same-path collision stops craft-parts from staging (critical), an
 * environment finding breaks at run time (major); a `severity:` override maps error → critical,
 * warning → major, note → minor. GitLab has no suppression, so an accepted finding stays listed as
 * info with its acceptance reason in the description.
 */
export function gitlabSeverity(f: Finding, ctx: FormatContext): GitlabSeverity {
  if (f.verdict !== 'real' || f.accepted) return 'info';
  const level: Level = levelOf(f, ctx);
  if (level === 'warning') return 'major';
  if (level === 'note') return 'minor';
  return f.kind === 'environment' ? 'major' : 'critical';
}

export function codeQualityIssues(report: Report, ctx: FormatContext): CodeQualityIssue[] {
  const fps = uniqueFingerprints(report.findings);
  return report.findings.map((f, i) => {
    const pos = sourcePosition(report, ctx, f);
    const accepted = f.accepted ? ` [accepted: ${f.accepted.reason}]` : '';
    return {
      description: `${f.path}: ${f.reason} (parts: ${f.parts.join(', ')})${accepted}`,
      check_name: `stagefix/${f.rule}`,
      fingerprint: fps[i] ?? '',
      severity: gitlabSeverity(f, ctx),
      location: { path: pos.file, lines: { begin: pos.line } },
    };
  });
}

export function renderGitlab(report: Report, ctx: FormatContext): string {
  return `${JSON.stringify(codeQualityIssues(report, ctx), null, 2)}\n`;
}
