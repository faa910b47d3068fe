/**
 * Bytecode the staged interpreter will not use (issue 8). Two ways:
 * - the magic number is not the interpreter's (another version, or another pre-release of the same
 *   one: pip's cache and setup-python's cache key both shipped such pycs). A `__pycache__` pyc is then
 *   recompiled in memory at every start of a read-only snap; a sourceless legacy `mod.pyc` fails to import.
 *   The expected magic is the staged stdlib's own (when the stage bundles one), else the final release's;
 *   a `__pycache__/*.cpython-XY.pyc` for another X.Y is never looked at by this interpreter and is skipped.
 * - the header does not match the staged source (pyc-format.md §6): a checked-hash pyc whose hash
 *   differs, an unchecked-hash pyc whose hash differs (used anyway: the old code runs), a timestamp pyc
 *   whose recorded size differs. Source mtimes are only judged when the pyc and the staged source come
 *   from different parts: within one part pip wrote both together, and a copy that does not keep mtimes
 *   (a git checkout such as `example/`) would make every timestamp pyc look stale.
 */
import { posix } from 'node:path';
import { sourceOfPyc } from '../../python/pyc/paths.js';
import { checkAgainstSource, describeVersion, parseHeader, versionOfMagic, type PycHeader } from '../../python/pyc/index.js';
import type { PartName } from '../../model.js';
import { expectedMagic, importRoots, rootOf, type ImportRoot } from '../python.js';
import type { StagedEntry } from '../staged.js';
import type { IntegrityContext, IntegrityResult, IntegrityRule } from '../types.js';

/** Reads in flight at once. */
const CONCURRENCY = 16;

const headerEvidence = (h: PycHeader): Record<string, unknown> => ({
  magic: h.magic,
  python: describeVersion(h.version),
  invalidation: h.invalidation,
  ...(h.invalidation === 'timestamp' ? { mtime: h.mtime, sourceSize: h.sourceSize } : { hash: Buffer.from(h.hash).toString('hex') }),
});

async function judge(ctx: IntegrityContext, roots: readonly ImportRoot[], path: string, part: PartName): Promise<IntegrityResult | undefined> {
  const root = rootOf(roots, path);
  if (!root) return undefined;
  const inCache = posix.basename(posix.dirname(path)) === '__pycache__';
  const tag = inCache ? /\.(cpython-\d+)[a-z]*(?:\.opt-\d+)?\.pyc$/.exec(posix.basename(path))?.[1] : undefined;
  // Another interpreter's cache entry: this one never opens it.
  if (inCache && tag !== `cpython-${root.minor.replace('.', '')}`) return undefined;
  const source = sourceOfPyc(path);
  const src = source !== undefined ? ctx.staged.get(source) : undefined;
  const hasSource = src?.entry.type === 'file';
  // A cache pyc without its source is never looked at; a legacy pyc beside its source loses to it.
  if (inCache ? !hasSource : hasSource) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = await ctx.source.head(part, path, 16);
  } catch (e) {
    return { path, parts: [part], verdict: 'real', unknown: true, messageId: 'unreadable', args: { file: path, detail: (e as Error).message }, evidence: {} };
  }
  const expected = await expectedMagic(ctx, root);
  const h = parseHeader(bytes);
  const base = { file: path, minor: root.minor };
  if (!h.ok) {
    if (h.reason !== 'unknown-magic') {
      return { path, parts: [part], verdict: 'real', unknown: true, messageId: 'corrupt', args: { ...base, detail: h.reason }, evidence: { header: h } };
    }
  }
  const magic = h.ok ? h.header.magic : (h.magic ?? 0);
  if (expected && magic !== expected.magic) {
    const written = h.ok ? describeVersion(h.header.version) : `unknown magic ${magic}`;
    const wanted = describeVersion(versionOfMagic(expected.magic));
    return {
      path,
      parts: hasSource && src.part !== part ? [...new Set([src.part, part])].sort((a, b) => ctx.staged.parts.indexOf(a) - ctx.staged.parts.indexOf(b)) : [part],
      verdict: 'real',
      messageId: inCache ? 'magic' : 'sourcelessMagic',
      args: { ...base, written, magic, wanted, expected: expected.magic },
      evidence: { header: h.ok ? headerEvidence(h.header) : { magic }, expectedFrom: expected.from, ...(source && hasSource ? { source } : {}) },
    };
  }
  if (!h.ok || !inCache || !hasSource || source === undefined) return undefined;
  const header = h.header;
  const crossPart = src.part !== part;
  let check;
  if (header.invalidation === 'timestamp') {
    // Same part: only the size is meaningful (see the file comment); across parts, what importlib compares.
    check = crossPart
      ? checkAgainstSource(header, { size: src.entry.size, mtimeNs: src.entry.mtimeNs })
      : src.entry.size >>> 0 === header.sourceSize
        ? { status: 'valid' as const }
        : { status: 'stale' as const, reasons: ['size' as const] };
  } else {
    let srcBytes: Uint8Array;
    try {
      srcBytes = await ctx.source.read(src.part, source);
    } catch {
      return undefined;
    }
    check = checkAgainstSource(header, { size: src.entry.size, mtimeNs: src.entry.mtimeNs, bytes: srcBytes });
  }
  const parts = [...new Set([src.part, part])].sort((a, b) => ctx.staged.parts.indexOf(a) - ctx.staged.parts.indexOf(b));
  const evidence = { header: headerEvidence(header), source, sourcePart: src.part, pycPart: part, sourceSize: src.entry.size, check };
  if (check.status === 'stale') {
    return { path, parts, verdict: 'real', messageId: 'stale', args: { ...base, source, reasons: check.reasons.join(', '), sourcePart: src.part, pycPart: part }, evidence };
  }
  if (check.status === 'not-checked' && check.why === 'unchecked-hash' && check.hashMatches === false) {
    return { path, parts, verdict: 'real', messageId: 'uncheckedStale', args: { ...base, source }, evidence };
  }
  return undefined;
}

export const bytecodeInterpreterRule: IntegrityRule = {
  id: 'bytecode-interpreter',
  description: 'Bytecode the staged interpreter rejects: another magic number, or a header that does not match the staged source.',
  messages: {
    magic: '{file} was written by Python {written} (magic {magic}); the staged Python {minor} expects {wanted} (magic {expected}), so it recompiles the module at every start',
    sourcelessMagic: '{file} has no source and was written by Python {written} (magic {magic}); Python {minor} expects {wanted} (magic {expected}): importing it fails',
    stale: '{file} does not match the staged {source} ({reasons}; source from {sourcePart}, bytecode from {pycPart}): Python {minor} recompiles it at every start',
    uncheckedStale: '{file} is an unchecked-hash pyc whose hash does not match the staged {source}: Python {minor} runs the old code',
    corrupt: '{file} is not a valid pyc ({detail})',
    unreadable: 'cannot read {file}: {detail}',
  },
  async check(ctx) {
    const pycs: [string, StagedEntry][] = [];
    ctx.staged.forEach((s, p) => s.entry.type === 'file' && p.endsWith('.pyc') && pycs.push([p, s]));
    const out: IntegrityResult[] = [];
    const roots = importRoots(ctx);
    for (let i = 0; i < pycs.length; i += CONCURRENCY) {
      const batch = await Promise.all(pycs.slice(i, i + CONCURRENCY).map(([p, s]) => judge(ctx, roots, p, s.part)));
      for (const r of batch) if (r) out.push(r);
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  },
};
