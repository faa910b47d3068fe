/**
 * The terminal report, for a person with ten seconds: one headline, then per part pair the counts by
 * rule, real conflicts first with their reasons, benign ones summarised (listed with --verbose).
 */
import type { Finding, Report } from '../model.js';
import { pairViews, summarise } from './summary.js';
import { displayName } from '../util/fsname.js';

export interface TextOptions {
  color: boolean;
  verbose: boolean;
  /** Real conflicts listed per pair before "… and N more" (all with verbose). */
  maxRealPerPair?: number;
}

const paint = (on: boolean, code: string) => (s: string): string => (on ? `\u001b[${code}m${s}\u001b[0m` : s);
/**
 * A count with thousands separators, as `toLocaleString('en-US')` writes an integer. The first
 * `toLocaleString` of a process loads ICU's number formatting, about 15 ms of every run that prints
 * a summary (a warm run takes under a second).
 */
export function count(x: number): string {
  return Number.isSafeInteger(x) ? String(x).replace(/\B(?=(\d{3})+$)/g, ',') : x.toLocaleString('en-US');
}

export function renderText(report: Report, opts: TextOptions): string {
  const red = paint(opts.color, '31;1');
  const green = paint(opts.color, '32');
  const yellow = paint(opts.color, '33');
  const dim = paint(opts.color, '2');
  const bold = paint(opts.color, '1');
  const s = summarise(report);
  const out: string[] = [];
  const built = report.parts.filter((p) => p.built).length;
  out.push(
    `${bold('stagefix')}: ${report.parts.length} parts (${built} built), ${count(report.stats.entries)} entries, ` +
      `${count(report.stats.sharedPaths)} shared paths, ${count(s.conflicts)} conflicting`,
  );
  if (s.conflicts === 0) {
    out.push(green('No staging conflicts.'));
  } else {
    const parts = [`${s.real > 0 ? red(`${count(s.real)} real`) : green('0 real')}`, `${count(s.benign)} benign`];
    if (s.accepted > 0) parts.push(`${count(s.accepted)} accepted`);
    out.push(parts.join(', '));
  }
  const limit = opts.verbose ? Infinity : (opts.maxRealPerPair ?? 15);
  // Each pair's findings with that pair's verdict, in one pass (a big snap has tens of thousands of
  // findings and dozens of pairs).
  const byPair = new Map<string, { f: Finding; verdict: string }[]>();
  for (const f of report.findings) {
    const seen = new Set<string>();
    for (const pv of pairViews(f)) {
      const key = `${pv.parts[0]}\0${pv.parts[1]}`;
      // The first view of a pair gives its verdict, as a lookup by pair would.
      if (seen.has(key)) continue;
      seen.add(key);
      const list = byPair.get(key);
      const item = { f, verdict: pv.verdict };
      if (list) list.push(item);
      else byPair.set(key, [item]);
    }
  }
  for (const ps of s.pairs) {
    out.push('');
    const rules = Object.entries(ps.byRule)
      .map(([rule, c]) => `${rule} ${[c.real ? `${count(c.real)} real` : '', c.benign ? `${count(c.benign)} benign` : ''].filter(Boolean).join('/')}`)
      .join(', ');
    const head = ps.real > 0 ? red('REAL  ') : green('BENIGN');
    out.push(`${head} ${bold(`${ps.parts[0]} ↔ ${ps.parts[1]}`)}: ${count(ps.real)} real, ${count(ps.benign)} benign${ps.accepted ? `, ${count(ps.accepted)} accepted` : ''}`);
    out.push(dim(`       ${rules}`));
    const mine = byPair.get(`${ps.parts[0]}\0${ps.parts[1]}`) ?? [];
    const real = mine.filter((x) => x.verdict === 'real').map((x) => x.f);
    for (const f of real.slice(0, limit)) {
      const tag = f.accepted ? yellow('accepted') : f.unknown ? red('real/unknown') : red('real');
      out.push(`  ${tag} ${displayName(f.path)} ${dim(`[${f.rule}]`)}`);
      out.push(`       ${f.reason}${f.accepted ? dim(` (accepted: ${f.accepted.reason})`) : ''}`);
    }
    if (real.length > limit) out.push(dim(`  … and ${count(real.length - limit)} more real (use --verbose or --format json)`));
    if (opts.verbose) {
      for (const f of mine.filter((x) => x.verdict === 'benign').map((x) => x.f)) {
        out.push(`  ${green('benign')} ${displayName(f.path)} ${dim(`[${f.rule}]`)} ${dim(f.reason)}`);
      }
    }
  }
  const env = report.findings.filter((f) => f.pairs.length === 0);
  if (env.length > 0) {
    out.push('', `${env.some((f) => f.verdict === 'real' && !f.accepted) ? red('REAL  ') : green('BENIGN')} ${bold('environment')} (not same-path collisions; craft-parts lets these through)`);
    for (const f of env) {
      const tag = f.accepted ? yellow('accepted') : f.verdict === 'real' ? red(f.unknown ? 'real/unknown' : 'real') : green('benign');
      out.push(`  ${tag} ${displayName(f.path)} ${dim(`[${f.rule}] ${f.parts.join(', ')}`)}`);
      out.push(`       ${f.reason}${f.accepted ? dim(` (accepted: ${f.accepted.reason})`) : ''}`);
    }
  }
  if (report.warnings.length > 0) {
    out.push('');
    const shown = opts.verbose ? report.warnings : report.warnings.slice(0, 10);
    for (const w of shown) out.push(`${yellow('warning')} ${w.path ? `${w.path}: ` : ''}${w.message}`);
    if (shown.length < report.warnings.length) out.push(dim(`… and ${count(report.warnings.length - shown.length)} more warnings (use --verbose)`));
  }
  return `${out.join('\n')}\n`;
}
