/**
 * Environment integrity (issue 8): problems in the staged tree that need no same-path collision.
 * `runIntegrity` builds the staged view once, runs every rule and turns their data into `Finding`s
 * (`kind: 'environment'`, no pairs) with the reason rendered from the rule's template.
 */
import type { FileSource } from '../classify/types.js';
import { relPath, type Finding } from '../model.js';
import type { ScanResult } from '../scan/scan.js';
import { INTEGRITY_RULES } from './registry.js';
import { StagedView } from './staged.js';
import { formatIntegrityMessage, type IntegrityContext, type IntegrityRule } from './types.js';

export { INTEGRITY_RULES, integrityRuleById } from './registry.js';
export { StagedView, type Resolution, type StagedEntry } from './staged.js';
export { baseFacts, type BaseFacts } from './bases.js';
export type { IntegrityContext, IntegrityResult, IntegrityRule, Args } from './types.js';
export { formatIntegrityMessage } from './types.js';

/** Shown when a rule throws: the scan goes on and the failure is a real/unknown finding. */
const FAILED = 'the {rule} check failed: {detail}';

export interface IntegrityOptions {
  /** Rules to run (default: all, in registry order). */
  rules?: readonly IntegrityRule[];
}

export async function runIntegrity(scan: ScanResult, source: FileSource, opts: IntegrityOptions = {}): Promise<Finding[]> {
  const ctx: IntegrityContext = { scan, source, project: scan.project, staged: new StagedView(scan) };
  const findings: Finding[] = [];
  for (const rule of opts.rules ?? INTEGRITY_RULES) {
    let results;
    try {
      results = await rule.check(ctx);
    } catch (e) {
      const args = { rule: rule.id, detail: (e as Error).message };
      findings.push({
        path: relPath(''),
        parts: [],
        pairs: [],
        kind: 'environment',
        verdict: 'real',
        rule: rule.id,
        messageId: 'failed',
        reason: FAILED.replace(/\{(\w+)\}/g, (_, k: string) => (k === 'rule' ? args.rule : args.detail)),
        args,
        unknown: true,
        evidence: { error: String(e) },
      });
      continue;
    }
    for (const r of results) {
      const f: Finding = {
        path: relPath(r.path),
        parts: r.parts,
        pairs: [],
        kind: 'environment',
        verdict: r.verdict,
        rule: rule.id,
        messageId: r.messageId,
        reason: formatIntegrityMessage(rule, r.messageId, r.args),
        args: r.args,
        evidence: r.evidence,
      };
      if (r.unknown) f.unknown = true;
      findings.push(f);
    }
  }
  return findings;
}
