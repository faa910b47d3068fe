/**
 * A pull-request comment (GitHub-flavoured Markdown): a headline verdict, a table per part pair with
 * counts by rule, failing findings listed with their reasons, the rest inside `<details>`. Paths and
 * reasons come from the filesystem and packages, so they are escaped as untrusted text.
 */
import type { Finding, Report } from '../../model.js';
import { pairViews, summarise } from '../summary.js';
import { fails, helpUri, levelOf } from './common.js';
import type { FormatContext } from './types.js';

/** GitHub refuses issue and PR comments over 65,536 characters; stay under it with room for a footer. */
export const COMMENT_MAX_BYTES = 65_000;

export interface MarkdownOptions {
  /** Size budget in UTF-8 bytes; items past it are counted, not listed. */
  maxBytes?: number;
}

/**
 * Untrusted text for Markdown: HTML-escaped, Markdown punctuation backslash-escaped (so a path can
 * neither open a link, emphasis or code span nor break a table cell), control characters made visible.
 */
export function escapeMarkdown(s: string): string {
  return s
    .replace(/[\\`*_{}[\]()#+\-.!|~:]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`);
}

const LEVEL_MARK = { error: '🔴', warning: '🟠', note: '⚪' } as const;

function item(f: Finding, ctx: FormatContext): string {
  const parts = f.parts.map((p) => escapeMarkdown(p)).join(', ');
  const accepted = f.accepted ? ` — accepted: ${escapeMarkdown(f.accepted.reason)} (\`${f.accepted.glob.replace(/`/g, "'")}\`)` : '';
  const mark = f.accepted ? '✅' : LEVEL_MARK[levelOf(f, ctx)];
  return `- ${mark} ${escapeMarkdown(f.path)} — ${escapeMarkdown(f.reason)} ([${escapeMarkdown(f.rule)}](${helpUri(ctx, f.rule)}); ${parts})${accepted}`;
}

export function renderMarkdown(report: Report, ctx: FormatContext, opts: MarkdownOptions = {}): string {
  const max = opts.maxBytes ?? COMMENT_MAX_BYTES;
  const s = summarise(report);
  const failing = report.findings.filter((f) => fails(f, ctx));
  const out: string[] = [];
  const name = report.project.name !== undefined ? ` for ${escapeMarkdown(report.project.name)}` : '';
  if (failing.length > 0) {
    out.push(`### ❌ stagefix: ${failing.length} failing staging conflict${failing.length === 1 ? '' : 's'}${name}`);
  } else if (s.conflicts > 0) {
    out.push(`### ✅ stagefix: no failing staging conflicts${name}`);
  } else {
    out.push(`### ✅ stagefix: no staging conflicts${name}`);
  }
  out.push('', `${s.real} real, ${s.benign} benign, ${s.accepted} accepted across ${report.parts.length} parts.`);

  // Per pair and rule; accepted findings get their own column so "real" means "still to fix".
  for (const ps of s.pairs) {
    const rows = new Map<string, { real: number; benign: number; accepted: number }>();
    for (const f of report.findings) {
      for (const pv of pairViews(f)) {
        if (pv.parts[0] !== ps.parts[0] || pv.parts[1] !== ps.parts[1]) continue;
        const row = rows.get(pv.rule) ?? { real: 0, benign: 0, accepted: 0 };
        if (f.accepted) row.accepted++;
        else row[pv.verdict]++;
        rows.set(pv.rule, row);
      }
    }
    out.push('', `#### ${escapeMarkdown(ps.parts[0])} ↔ ${escapeMarkdown(ps.parts[1])}`, '', '| rule | real | benign | accepted |', '|---|---:|---:|---:|');
    for (const [rule, c] of rows) out.push(`| [${escapeMarkdown(rule)}](${helpUri(ctx, rule)}) | ${c.real} | ${c.benign} | ${c.accepted} |`);
  }

  const environment = report.findings.filter((f) => pairViews(f).length === 0);
  if (environment.length > 0) out.push('', `${environment.length} environment finding${environment.length === 1 ? '' : 's'} (no part pair).`);

  const rest = report.findings.filter((f) => !fails(f, ctx));
  const head = `${out.join('\n')}\n`;
  let budget = max - Buffer.byteLength(head) - 200;
  const listed: string[] = [];
  const take = (lines: string[], list: Finding[]): number => {
    let omitted = 0;
    for (const f of list) {
      const line = item(f, ctx);
      const size = Buffer.byteLength(line) + 1;
      if (size > budget) {
        omitted++;
        continue;
      }
      budget -= size;
      lines.push(line);
    }
    return omitted;
  };
  if (failing.length > 0) {
    listed.push('', '#### Failing', '');
    const omitted = take(listed, failing);
    if (omitted > 0) listed.push(`- … and ${omitted} more (size limit; see the SARIF or JSON output)`);
  }
  if (rest.length > 0) {
    const inner: string[] = [];
    const omitted = take(inner, rest);
    if (omitted > 0) inner.push(`- … and ${omitted} more (size limit)`);
    listed.push('', `<details><summary>${rest.length} benign or accepted</summary>`, '', ...inner, '', '</details>');
  }
  return `${head}${listed.join('\n')}\n`;
}
