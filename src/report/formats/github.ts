/**
 * GitHub Actions workflow commands (https://docs.github.com/actions/reference/workflow-commands-for-github-actions)
 * for failing findings, and a Markdown job summary for `$GITHUB_STEP_SUMMARY`.
 *
 * GitHub shows at most 10 error, 10 warning and 10 notice annotations per step and 50 per job
 * (actions/toolkit, docs/problem-matchers.md, "Limitations"); more are silently dropped. So we print
 * the most important ones within those limits and then one plain log line saying how many more.
 */
import type { Report } from '../../model.js';
import { byImportance, fails, levelOf, pairLabel, sourcePosition } from './common.js';
import { renderMarkdown } from './markdown.js';
import type { FormatContext, Level } from './types.js';

/** Annotations GitHub displays per kind in one step. */
export const ANNOTATIONS_PER_KIND = 10;
/** Annotations GitHub displays per job, summed over its steps. */
export const ANNOTATIONS_PER_JOB = 50;
/** `$GITHUB_STEP_SUMMARY` is refused above 1 MiB per step; keep a margin for other tools' output. */
export const STEP_SUMMARY_BYTES = 1_000_000;

const COMMAND: Record<Level, 'error' | 'warning' | 'notice'> = { error: 'error', warning: 'warning', note: 'notice' };

/** Escaping of command data, as actions/toolkit's `escapeData` does. */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escaping of a command property value, as actions/toolkit's `escapeProperty` does. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function workflowCommand(cmd: string, props: Record<string, string | number>, data: string): string {
  const p = Object.entries(props)
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`)
    .join(',');
  return `::${cmd}${p ? ` ${p}` : ''}::${escapeData(data)}`;
}

export function renderGithub(report: Report, ctx: FormatContext): string {
  const failing = report.findings.filter((f) => fails(f, ctx)).sort(byImportance(ctx));
  const used: Record<string, number> = { error: 0, warning: 0, notice: 0 };
  let total = 0;
  let hidden = 0;
  const lines: string[] = [];
  for (const f of failing) {
    const cmd = COMMAND[levelOf(f, ctx)];
    if ((used[cmd] ?? 0) >= ANNOTATIONS_PER_KIND || total >= ANNOTATIONS_PER_JOB) {
      hidden++;
      continue;
    }
    used[cmd] = (used[cmd] ?? 0) + 1;
    total++;
    const pos = sourcePosition(report, ctx, f);
    const title = `stagefix ${f.rule}: ${f.path}`;
    lines.push(workflowCommand(cmd, { file: pos.file, line: pos.line, title }, `${f.reason} (parts: ${pairLabel(f.parts)})`));
  }
  if (hidden > 0) {
    lines.push(
      `stagefix: ${hidden} more failing finding${hidden === 1 ? '' : 's'} not annotated (GitHub shows at most ` +
        `${ANNOTATIONS_PER_KIND} per kind per step); see the job summary or the SARIF/JSON output for all of them.`,
    );
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** The Markdown job summary: the pull-request comment layout, cut to GitHub's summary size limit. */
export function githubStepSummary(report: Report, ctx: FormatContext): string {
  return renderMarkdown(report, ctx, { maxBytes: STEP_SUMMARY_BYTES });
}
