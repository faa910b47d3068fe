/**
 * `--format json`: the stable, documented schema (docs/json.md). Field names and meanings only ever
 * grow; a breaking change bumps `schemaVersion`.
 */
import type { Report } from '../model.js';
import { evidenceOf } from './evidence.js';
import { summarise } from './summary.js';

export function jsonDocument(report: Report): Record<string, unknown> {
  return {
    schemaVersion: report.schemaVersion,
    project: report.project,
    parts: report.parts.map((p) => ({ name: p.name, installDir: p.installDir, built: p.built, entries: p.entries })),
    conflicts: report.findings.map((f) => ({
      path: f.path,
      parts: f.parts,
      pairs: f.pairs,
      kind: f.kind,
      verdict: f.verdict,
      rule: f.rule,
      reason: f.reason,
      ...(f.unknown ? { unknown: true } : {}),
      ...(f.accepted ? { accepted: f.accepted } : {}),
      evidence: evidenceOf(f),
    })),
    warnings: report.warnings,
    summary: summarise(report),
    stats: report.stats,
  };
}

export function renderJson(report: Report): string {
  return `${JSON.stringify(jsonDocument(report), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`;
}
