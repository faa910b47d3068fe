/** Counts shared by the text and JSON reporters: per verdict, per rule, per part pair. */
import type { Finding, Report, Verdict } from '../model.js';

export interface PairSummary {
  parts: [string, string];
  real: number;
  benign: number;
  accepted: number;
  byRule: Record<string, { real: number; benign: number }>;
}

export interface Summary {
  conflicts: number;
  real: number;
  benign: number;
  accepted: number;
  unknown: number;
  byRule: Record<string, { real: number; benign: number }>;
  pairs: PairSummary[];
  warnings: number;
}

interface PairView {
  parts: [string, string];
  verdict: Exclude<Verdict, 'identical'>;
  rule: string;
}

/** The verdict of every colliding pair of a finding (its pair verdicts when the path has several). */
export function pairViews(f: Finding): PairView[] {
  const listed = f.pairVerdicts;
  if (listed && listed.length === f.pairs.length) {
    return listed.map((p) => ({ parts: p.parts, verdict: p.verdict === 'real' ? 'real' : 'benign', rule: p.rule }));
  }
  return f.pairs.map((p) => ({ parts: [p[0], p[1]], verdict: f.verdict, rule: f.rule }));
}

export function summarise(report: Report): Summary {
  const byRule: Summary['byRule'] = {};
  const pairs = new Map<string, PairSummary>();
  let real = 0;
  let benign = 0;
  let accepted = 0;
  let unknown = 0;
  const order = new Map(report.parts.map((p, i) => [p.name as string, i]));
  for (const f of report.findings) {
    if (f.accepted) accepted++;
    else if (f.verdict === 'real') real++;
    else benign++;
    if (f.unknown) unknown++;
    const r = (byRule[f.rule] ??= { real: 0, benign: 0 });
    r[f.verdict]++;
    for (const pv of pairViews(f)) {
      const key = pv.parts.join('\0');
      const ps = pairs.get(key) ?? { parts: pv.parts, real: 0, benign: 0, accepted: 0, byRule: {} };
      if (f.accepted) ps.accepted++;
      else ps[pv.verdict]++;
      const pr = (ps.byRule[pv.rule] ??= { real: 0, benign: 0 });
      pr[pv.verdict]++;
      pairs.set(key, ps);
    }
  }
  const pairList = [...pairs.values()].sort(
    (x, y) =>
      (order.get(x.parts[0]) ?? 0) - (order.get(y.parts[0]) ?? 0) || (order.get(x.parts[1]) ?? 0) - (order.get(y.parts[1]) ?? 0),
  );
  return { conflicts: report.findings.length, real, benign, accepted, unknown, byRule, pairs: pairList, warnings: report.warnings.length };
}
