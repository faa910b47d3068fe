/**
 * Classification: every colliding pair at every path goes through the rule registry; a path's verdict
 * is its worst pair's. A rule that throws (a corrupt file, a vanished file) gives an explained
 * real/unknown verdict for that pair instead of aborting the scan.
 */
import type { Collision, Finding, PairCollision, PairOutcome, PairVerdict, PartName, ProgressSink, RelPath } from '../model.js';
import { DiskFileSource } from '../scan/file-source.js';
import { forgetFileFacts } from './memo.js';
import { providePycFacts, pycFactsKnown } from './pyc-facts.js';
import { startPycPool, type PycPoolOptions } from './pyc-pool.js';
import { RULES, ruleById } from './registry.js';
import { formatMessage, type FileSource, type PairContext, type Rule, type RuleVerdict } from './types.js';

export interface ClassifyOptions {
  rules?: readonly Rule[];
  progress?: ProgressSink;
  /** Fingerprint workers for pycs read from disk (`pyc-pool.ts`); `{ threads: 0 }` fingerprints inline. */
  pycPool?: PycPoolOptions;
}

const RANK = { identical: 0, benign: 1, real: 2 } as const;

export async function classifyPair(
  source: FileSource,
  path: string,
  a: PartName,
  b: PartName,
  kind: PairContext['kind'],
  rules: readonly Rule[] = RULES,
  depth = 0,
): Promise<PairVerdict> {
  const ea = source.entry(a, path);
  const eb = source.entry(b, path);
  if (!ea || !eb) {
    return { parts: [a, b], verdict: 'real', rule: 'contents', messageId: 'unknown', args: { detail: 'path vanished during the scan' }, unknown: true, evidence: {} };
  }
  const ctx: PairContext = {
    path: path as RelPath,
    a: { part: a, entry: ea },
    b: { part: b, entry: eb },
    kind,
    source,
    // RECORD asks about the files its rows name; one level of nesting is all it needs.
    classifyPath: async (other) => {
      if (depth > 0) return undefined;
      const oa = source.entry(a, other);
      const ob = source.entry(b, other);
      if (!oa || !ob) return undefined;
      const kindOf: PairContext['kind'] =
        oa.type === 'symlink' && ob.type === 'symlink' ? 'symlink' : oa.type !== ob.type ? 'type' : 'contents';
      const v = await classifyPair(source, other, a, b, kindOf, rules, depth + 1);
      return { verdict: v.verdict, messageId: v.messageId, args: v.args, evidence: v.evidence, unknown: v.unknown };
    },
  };
  for (const rule of rules) {
    if (!rule.applies(ctx)) continue;
    let v: RuleVerdict | undefined;
    try {
      v = await rule.classify(ctx);
    } catch (e) {
      return {
        parts: [a, b],
        verdict: 'real',
        rule: rule.id,
        messageId: 'error',
        args: { detail: (e as Error).message },
        unknown: true,
        evidence: { error: (e as Error).message },
      };
    }
    if (v) return { parts: [a, b], rule: rule.id, ...v };
  }
  return { parts: [a, b], verdict: 'real', rule: 'contents', messageId: 'unknown', args: { detail: 'no rule applies' }, unknown: true, evidence: {} };
}

export function renderReason(v: Pick<PairVerdict, 'rule' | 'messageId' | 'args'>): string {
  const rule = ruleById(v.rule);
  if (!rule) return v.messageId;
  if (v.messageId === 'error') return `could not be classified (${String(v.args.detail)})`;
  if (v.messageId === 'unknown' && !(v.messageId in rule.messages)) return `no rule could decide: ${String(v.args.detail)}`;
  return formatMessage(rule, v.messageId, v.args);
}

/** The pycs the python-bytecode rule will fingerprint, in the order classification asks for them. */
function pycFiles(source: FileSource, collisions: readonly Collision[]): { part: PartName; path: string }[] {
  const out: { part: PartName; path: string }[] = [];
  for (const c of collisions) {
    if (!c.path.endsWith('.pyc')) continue;
    // A pyc whose facts an earlier run left in the cache needs no worker.
    for (const part of c.parts) if (source.entry(part, c.path)?.type === 'file' && !pycFactsKnown(source, part, c.path)) out.push({ part, path: c.path });
  }
  return out;
}

async function classifyCollision(source: FileSource, c: Collision, rules: readonly Rule[]): Promise<Finding> {
  const verdicts: PairVerdict[] = [];
  for (const pair of c.pairs) {
    verdicts.push(await classifyPair(source, c.path, pair.parts[0], pair.parts[1], pair.kind, rules));
  }
  let worst = verdicts[0] as PairVerdict;
  for (const v of verdicts) if (RANK[v.verdict] > RANK[worst.verdict]) worst = v;
  const kinds = c.pairs.map((p) => p.kind);
  const finding: Finding = {
    path: c.path,
    parts: c.parts,
    pairs: c.pairs.map((p) => p.parts),
    kind: c.pairs.find((p) => p === c.pairs[verdicts.indexOf(worst)])?.kind ?? kinds[0] ?? 'contents',
    // A rule that found the pair identical after all (cannot happen for a collision) would still be a finding.
    verdict: worst.verdict === 'identical' ? 'benign' : worst.verdict,
    rule: worst.rule,
    messageId: worst.messageId,
    reason: renderReason(worst),
    args: worst.args,
    evidence: worst.evidence,
  };
  if (worst.unknown) finding.unknown = true;
  if (verdicts.length > 1) {
    // Each pair's parts as the collision holds them: one array per two parts, not one per pair and path.
    finding.pairVerdicts = verdicts.map((v, k) => {
      const o: PairOutcome = { parts: (c.pairs[k] as PairCollision).parts, verdict: v.verdict, rule: v.rule, messageId: v.messageId, args: v.args };
      if (v.unknown) o.unknown = true;
      return o;
    });
  }
  return finding;
}

export async function classify(source: FileSource, collisions: Collision[], opts: ClassifyOptions = {}): Promise<Finding[]> {
  const rules = opts.rules ?? RULES;
  // Workers read pycs from disk themselves, so only a source on disk gets a pool.
  const pool = source instanceof DiskFileSource ? startPycPool(source, pycFiles(source, collisions), opts.pycPool) : undefined;
  if (pool) providePycFacts(source, pool.provider);
  const findings = new Array<Finding>(collisions.length);
  // Everything but pycs first, while the workers fingerprint the pycs; findings keep collision order.
  const order: number[] = [];
  if (pool) {
    collisions.forEach((c, i) => c.path.endsWith('.pyc') || order.push(i));
    collisions.forEach((c, i) => c.path.endsWith('.pyc') && order.push(i));
  } else {
    collisions.forEach((_, i) => order.push(i));
  }
  let done = 0;
  let turned = performance.now();
  try {
    for (const i of order) {
      const c = collisions[i] as Collision;
      findings[i] = await classifyCollision(source, c, rules);
      // Its files' facts are done with (the finding keeps what it shows): only memory past this point.
      forgetFileFacts(source, c.path);
      done++;
      // Reads are synchronous, so nothing here yields to the event loop by itself: let the workers'
      // answers in (and send them more work) every few milliseconds.
      if (pool && performance.now() - turned > 5) {
        await new Promise((resolve) => setImmediate(resolve));
        turned = performance.now();
      }
      if (done % 100 === 0) opts.progress?.({ phase: 'classifying', done, total: collisions.length });
    }
  } finally {
    if (pool) {
      providePycFacts(source, undefined);
      await pool.close();
    }
  }
  opts.progress?.({ phase: 'classifying', done, total: collisions.length });
  return findings;
}
