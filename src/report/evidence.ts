/**
 * A finding's evidence as the reports show it. Per-pair verdicts are kept on the finding as data
 * (`pairVerdicts`); the documented output (docs/json.md) lists them, with their rendered reasons, as
 * `evidence.pairs`, after the worst pair's own evidence.
 */
import { renderReason } from '../classify/classify.js';
import type { Finding } from '../model.js';

export function evidenceOf(f: Finding): Record<string, unknown> {
  if (!f.pairVerdicts) return f.evidence;
  return {
    ...f.evidence,
    pairs: f.pairVerdicts.map((v) => ({ parts: v.parts, verdict: v.verdict, rule: v.rule, reason: renderReason(v) })),
  };
}
