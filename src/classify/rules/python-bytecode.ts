/**
 * `.pyc` files: nine in ten staging conflicts. Two pycs are benign when they hold the same code
 * (compared structurally by the bytecode engine: equal up to co_filename, the header stamp, FLAG_REF
 * bits, reference indices and set order) AND their sibling sources are byte-identical in both parts
 * (so each pyc is as valid for the staged source as the other). Different magic numbers, different code
 * or a different source are real.
 */
import { posix } from 'node:path';
import { comparePycs } from '../../python/pyc/compare.js';
import { describeVersion, parseHeader } from '../../python/pyc/header.js';
import type { PartName } from '../../model.js';
import type { FileSource, Rule, RuleVerdict } from '../types.js';

/** `pkg/__pycache__/mod.cpython-311.opt-1.pyc` → `pkg/mod.py`; legacy `pkg/mod.pyc` → `pkg/mod.py`. */
export function sourceOfPyc(path: string): string | undefined {
  const dir = posix.dirname(path);
  const base = posix.basename(path);
  if (posix.basename(dir) === '__pycache__') {
    const m = /^(.+?)\.[^.]+-\d+[a-z]*(?:\.opt-\d+)?\.pyc$/.exec(base);
    if (!m) return undefined;
    const parent = posix.dirname(dir);
    return parent === '.' ? `${m[1]}.py` : `${parent}/${m[1]}.py`;
  }
  return base.endsWith('.pyc') ? path.slice(0, -1) : undefined;
}

function headerInfo(buf: Uint8Array): Record<string, unknown> {
  const h = parseHeader(buf);
  if (!h.ok) return { error: h.reason, magic: h.magic };
  const base = { magic: h.header.magic, python: describeVersion(h.header.version), invalidation: h.header.invalidation };
  return h.header.invalidation === 'timestamp'
    ? { ...base, mtime: h.header.mtime, sourceSize: h.header.sourceSize }
    : { ...base, hash: Buffer.from(h.header.hash).toString('hex') };
}

type SourceState = 'identical' | 'differs' | 'sourceless' | 'one-sided';

async function compareSources(source: FileSource, a: PartName, b: PartName, py: string | undefined): Promise<SourceState> {
  if (py === undefined) return 'sourceless';
  const ea = source.entry(a, py);
  const eb = source.entry(b, py);
  if (ea?.type !== 'file' && eb?.type !== 'file') return 'sourceless';
  if (ea?.type !== 'file' || eb?.type !== 'file') return 'one-sided';
  if (ea.size !== eb.size) return 'differs';
  if (ea.dev === eb.dev && ea.ino === eb.ino) return 'identical';
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
    const [ba, bb] = await Promise.all([ctx.source.read(ctx.a.part, ctx.path), ctx.source.read(ctx.b.part, ctx.path)]);
    const py = sourceOfPyc(ctx.path);
    const evidence: Record<string, unknown> = { headerA: headerInfo(ba), headerB: headerInfo(bb) };
    if (py) evidence.source = py;
    let cmp;
    try {
      cmp = comparePycs(ba, bb);
    } catch (e) {
      return { verdict: 'real', unknown: true, messageId: 'corrupt', args: { detail: (e as Error).message }, evidence };
    }
    evidence.comparison = cmp.kind;
    if (cmp.kind === 'magic-differs') {
      return {
        verdict: 'real',
        messageId: 'magic',
        args: { pythonA: cmp.a.python, magicA: cmp.a.magic, pythonB: cmp.b.python, magicB: cmp.b.magic },
        evidence,
      };
    }
    const sources = await compareSources(ctx.source, ctx.a.part, ctx.b.part, py);
    evidence.sourceState = sources;
    if (sources === 'differs') return { verdict: 'real', messageId: 'source', args: { source: py ?? '' }, evidence };
    if (sources === 'one-sided') return { verdict: 'real', messageId: 'sourceOneSided', args: { source: py ?? '' }, evidence };
    if (cmp.kind === 'code-differs') {
      evidence.difference = { where: cmp.path, code: cmp.code, a: cmp.a, b: cmp.b };
      evidence.filenames = cmp.filenames;
      return { verdict: 'real', messageId: 'code', args: { where: cmp.path }, evidence };
    }
    if (cmp.kind === 'filename-only') {
      evidence.filenames = cmp.filenames;
      return {
        verdict: 'benign',
        messageId: 'filename',
        args: { filenameA: cmp.filenames.a.join(', '), filenameB: cmp.filenames.b.join(', ') },
        evidence,
      };
    }
    if (cmp.kind === 'equivalent') return { verdict: 'benign', messageId: 'equivalent', args: {}, evidence };
    // 'header-only' (and 'identical', which a collision cannot be).
    return { verdict: 'benign', messageId: 'header', args: {}, evidence };
  },
};
