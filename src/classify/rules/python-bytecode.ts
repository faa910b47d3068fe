/**
 * `.pyc` files: nine in ten staging conflicts. Two pycs are benign when they hold the same code
 * (compared structurally by the bytecode engine: equal up to co_filename, the header stamp, FLAG_REF
 * bits, reference indices and set order) AND their sibling sources are byte-identical in both parts
 * (so each pyc is as valid for the staged source as the other). Different magic numbers, different code
 * or a different source are real.
 */
import { comparePycs } from '../../python/pyc/compare.js';
import type { PycFingerprint } from '../../python/pyc/fingerprint.js';
import { sourceOfPyc } from '../../python/pyc/paths.js';
import { describeVersion } from '../../python/pyc/header.js';
import type { PartName } from '../../model.js';
import { sameInode } from '../../scan/native-walk.js';
import type { FileSource, Rule, RuleVerdict } from '../types.js';
import { pycFactsOf } from '../pyc-facts.js';

type SourceState = 'identical' | 'differs' | 'sourceless' | 'one-sided';

async function compareSources(source: FileSource, a: PartName, b: PartName, py: string | undefined): Promise<SourceState> {
  if (py === undefined) return 'sourceless';
  const ea = source.entry(a, py);
  const eb = source.entry(b, py);
  if (ea?.type !== 'file' && eb?.type !== 'file') return 'sourceless';
  if (ea?.type !== 'file' || eb?.type !== 'file') return 'one-sided';
  if (ea.size !== eb.size) return 'differs';
  if (sameInode(ea, eb)) return 'identical';
  return (await source.digest(a, py)) === (await source.digest(b, py)) ? 'identical' : 'differs';
}

export const pythonBytecodeRule: Rule = {
  id: 'python-bytecode',
  description: 'Python bytecode: benign when the code is equal apart from the header and embedded paths, and the sources match.',
  messages: {
    header: 'same code; only the header differs (source timestamp or hash)',
    filename: 'same code; differs in the embedded source path ({filenameA} vs {filenameB})',
    equivalent: 'same code; only marshal reference flags or set order differ',
    magic: 'written by different interpreters: Python {pythonA} (magic {magicA}) vs Python {pythonB} (magic {magicB})',
    code: 'different code at {where}',
    source: 'the source {source} differs between the parts, so the bytecode does too',
    sourceOneSided: 'the source {source} exists in only one part',
    corrupt: 'cannot be read as bytecode: {detail}',
  },
  applies: (ctx) => ctx.kind === 'contents' && ctx.path.endsWith('.pyc') && ctx.a.entry.type === 'file' && ctx.b.entry.type === 'file',
  async classify(ctx): Promise<RuleVerdict> {
    const [xa, xb] = await Promise.all([pycFactsOf(ctx.source, ctx.a.part, ctx.path), pycFactsOf(ctx.source, ctx.b.part, ctx.path)]);
    const py = sourceOfPyc(ctx.path);
    const evidence: Record<string, unknown> = { headerA: xa.info, headerB: xb.info };
    if (py) evidence.source = py;
    const ha = xa.header;
    const hb = xb.header;
    if (ha.ok && hb.ok && ha.header.magic !== hb.header.magic) {
      evidence.comparison = 'magic-differs';
      return {
        verdict: 'real',
        messageId: 'magic',
        args: { pythonA: describeVersion(ha.header.version), magicA: ha.header.magic, pythonB: describeVersion(hb.header.version), magicB: hb.header.magic },
        evidence,
      };
    }
    const [fa, fb] = [xa.print, xb.print];
    const broken = fa instanceof Error ? fa : fb instanceof Error ? fb : undefined;
    if (broken) return { verdict: 'real', unknown: true, messageId: 'corrupt', args: { detail: broken.message }, evidence };
    const [pa, pb] = [fa as PycFingerprint, fb as PycFingerprint];
    const sources = await compareSources(ctx.source, ctx.a.part, ctx.b.part, py);
    evidence.sourceState = sources;
    if (sources === 'differs') {
      evidence.comparison = pa.code === pb.code ? 'equal-code' : 'code-differs';
      return { verdict: 'real', messageId: 'source', args: { source: py ?? '' }, evidence };
    }
    if (sources === 'one-sided') return { verdict: 'real', messageId: 'sourceOneSided', args: { source: py ?? '' }, evidence };
    let filenamesA = pa.filenames;
    let filenamesB = pb.filenames;
    if (pa.code !== pb.code) {
      // Rare: only now pay for the full structural walk, which locates the difference (or, if the
      // fingerprints took different routes for one file, finds the code equal after all).
      const [ba, bb] = await Promise.all([ctx.source.read(ctx.a.part, ctx.path), ctx.source.read(ctx.b.part, ctx.path)]);
      const cmp = comparePycs(ba, bb);
      evidence.comparison = cmp.kind;
      if (cmp.kind === 'code-differs') {
        evidence.difference = { where: cmp.path, code: cmp.code, a: cmp.a, b: cmp.b };
        evidence.filenames = cmp.filenames;
        return { verdict: 'real', messageId: 'code', args: { where: cmp.path }, evidence };
      }
      if (cmp.kind === 'magic-differs') return { verdict: 'real', unknown: true, messageId: 'code', args: { where: 'the header' }, evidence };
      if (cmp.kind === 'filename-only') [filenamesA, filenamesB] = [cmp.filenames.a, cmp.filenames.b];
    }
    const filenamesDiffer = filenamesA.join('\0') !== filenamesB.join('\0');
    if (filenamesDiffer) {
      evidence.comparison = 'filename-only';
      evidence.filenames = { a: filenamesA, b: filenamesB };
      return {
        verdict: 'benign',
        messageId: 'filename',
        args: { filenameA: filenamesA.join(', '), filenameB: filenamesB.join(', ') },
        evidence,
      };
    }
    if (pa.body !== pb.body) {
      evidence.comparison = 'equivalent';
      return { verdict: 'benign', messageId: 'equivalent', args: {}, evidence };
    }
    evidence.comparison = 'header-only';
    return { verdict: 'benign', messageId: 'header', args: {}, evidence };
  },
};
