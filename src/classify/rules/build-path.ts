/**
 * Text files that differ only in embedded build-time paths (shebangs, `direct_url.json`, `.pc`,
 * libtool `.la`, CMake config, generated scripts): benign once each part's own build, install and pip
 * temporary paths are replaced by the same tokens.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { PartName } from '../../model.js';
import { findBuildPaths, latin1, looksLikeText, normaliseBuildPaths } from '../build-paths.js';
import type { FileSource, Rule, RuleVerdict } from '../types.js';
import { fileFactMemo } from '../memo.js';

/** Generated text worth normalising is small; big files are data, not build scaffolding. */
const MAX_TEXT = 4 * 1024 * 1024;

/** Names that are never text: skip them without reading (the fallback still reports them). */
const BINARY = /\.(so(\.\d+)*|pyc|pyo|a|o|whl|zip|gz|bz2|xz|zst|png|jpe?g|gif|ico|woff2?|ttf|otf|mo|db|sqlite|npy|npz)$/i;

export interface TextFacts {
  text: boolean;
  paths: string[];
  /** sha256 of the normalised text, of its first line, and of the rest. */
  whole: string;
  first: string;
  rest: string;
  firstLine: string;
}

const sha = (s: string | Uint8Array): string => (typeof s === 'string' ? createHash('sha256').update(s, 'latin1') : createHash('sha256').update(s)).digest('hex');
/** The first line is kept for messages; one longer than this is not worth storing across runs. */
const MAX_STORED_LINE = 1024;

/**
 * Text facts depend on the part (its name appears in the build paths they replace) and on the install
 * dir (fixed for a cache file), so the kind names the part. `text/1`: bump it when normalisation changes.
 */
const memo = fileFactMemo<TextFacts>((part) => `text/1:${part}`, {
  encode: (f) => (f.firstLine.length > MAX_STORED_LINE ? undefined : f),
  decode(j) {
    const o = j as Partial<TextFacts> | null;
    if (!o || typeof o.text !== 'boolean' || !Array.isArray(o.paths) || typeof o.whole !== 'string' || typeof o.first !== 'string' || typeof o.rest !== 'string' || typeof o.firstLine !== 'string') {
      return undefined;
    }
    return { text: o.text, paths: o.paths.map(String), whole: o.whole, first: o.first, rest: o.rest, firstLine: o.firstLine };
  },
});

const PARTS = Buffer.from('/parts/');
const PIP = Buffer.from('/tmp/pip-');
const NOT_TEXT: TextFacts = { text: false, paths: [], whole: '', first: '', rest: '', firstLine: '' };

/**
 * Most text holds no build path at all: then the normalised text is the bytes themselves, so they are
 * hashed as they are, without decoding them to a string or running the path expressions. Undefined
 * when the bytes might hold one (or the install dir is not ASCII, which the byte search would not
 * match as the Latin-1 text does).
 */
function factsWithoutPaths(bytes: Uint8Array, installDir: string): TextFacts | undefined {
  if (/[^\x00-\x7f]/.test(installDir)) return undefined;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.indexOf(PARTS) >= 0 || buf.indexOf(PIP) >= 0 || (installDir !== '' && buf.indexOf(installDir, 0, 'latin1') >= 0)) return undefined;
  const nl = buf.indexOf(0x0a);
  const firstLine = nl < 0 ? buf : buf.subarray(0, nl);
  return { text: true, paths: [], whole: sha(buf), first: sha(firstLine), rest: sha(nl < 0 ? new Uint8Array(0) : buf.subarray(nl)), firstLine: latin1(firstLine) };
}

/** The facts of one part's copy; `plainFastPath: false` forces the string route (tests compare both). */
export function textFacts(bytes: Uint8Array, part: string, installDir: string, plainFastPath = true): TextFacts {
  if (!looksLikeText(bytes)) return NOT_TEXT;
  const plain = plainFastPath ? factsWithoutPaths(bytes, installDir) : undefined;
  if (plain) return plain;
  const raw = latin1(bytes);
  const norm = normaliseBuildPaths(raw, part, installDir);
  const nl = norm.indexOf('\n');
  const firstLine = nl < 0 ? norm : norm.slice(0, nl);
  return { text: true, paths: findBuildPaths(raw, part), whole: sha(norm), first: sha(firstLine), rest: sha(nl < 0 ? '' : norm.slice(nl)), firstLine };
}

/** Each part's copy is read and normalised once per scan, however many pairs it is in. */
function factsOf(source: FileSource, part: PartName, path: string): Promise<TextFacts> {
  return memo(source, part, path, () => source.readWith(part, path, (bytes) => textFacts(bytes, part, source.installDir(part))));
}

export const buildPathRule: Rule = {
  id: 'build-path',
  description: "Text files equal once each part's build, install and pip temporary paths are replaced by tokens.",
  messages: {
    paths: 'differs only in build paths ({pathsA} vs {pathsB})',
    shebang: 'scripts run by different interpreters: {shebangA} vs {shebangB}',
  },
  applies: (ctx) =>
    ctx.kind === 'contents' &&
    ctx.a.entry.type === 'file' &&
    ctx.b.entry.type === 'file' &&
    ctx.a.entry.size <= MAX_TEXT &&
    ctx.b.entry.size <= MAX_TEXT &&
    !BINARY.test(posix.basename(ctx.path)),
  async classify(ctx): Promise<RuleVerdict | undefined> {
    const [fa, fb] = await Promise.all([factsOf(ctx.source, ctx.a.part, ctx.path), factsOf(ctx.source, ctx.b.part, ctx.path)]);
    if (!fa.text || !fb.text) return undefined;
    if (fa.whole !== fb.whole) {
      // Scripts identical but for the interpreter on line 1: real, and worth saying precisely
      // (a part built with another Python gets `#!/usr/bin/env python3.12`).
      if (fa.firstLine.startsWith('#!') && fb.firstLine.startsWith('#!') && fa.first !== fb.first && fa.rest === fb.rest) {
        return {
          verdict: 'real',
          messageId: 'shebang',
          args: { shebangA: fa.firstLine.slice(2).trim(), shebangB: fb.firstLine.slice(2).trim() },
          evidence: { shebangA: fa.firstLine, shebangB: fb.firstLine, buildPathsA: fa.paths, buildPathsB: fb.paths },
        };
      }
      // Not ours to decide: a later rule (or the fallback) reports the remaining difference.
      return undefined;
    }
    if (fa.paths.length === 0 && fb.paths.length === 0) return undefined;
    return {
      verdict: 'benign',
      messageId: 'paths',
      args: { pathsA: fa.paths.join(', '), pathsB: fb.paths.join(', ') },
      evidence: { buildPathsA: fa.paths, buildPathsB: fb.paths },
    };
  },
};
