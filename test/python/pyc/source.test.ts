import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pythonOrSkip, skipTitle } from '../../helpers/python.js';
import {
  checkAgainstSource,
  loaderMtime,
  parseHeader,
  siphash,
  sourceHash,
  type PycHeader,
} from '../../../src/python/pyc/index.js';
import { FIXTURE_MINORS, PYC_DATA, fixturePyc, fixtureSource, pyCompile, tempDir } from './helpers.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const header = (b: Uint8Array): PycHeader => {
  const r = parseHeader(b);
  if (!r.ok) throw new Error(r.reason);
  return r.header;
};

/** siphash_vectors.txt: a "3.X magic HEX ..." line, then "    <python bytes literal> <hex>" lines. */
function siphashVectors(): { minor: string; magic: number; input: Uint8Array; expected: string }[] {
  const out: { minor: string; magic: number; input: Uint8Array; expected: string }[] = [];
  let minor = '';
  let magic = 0;
  for (const line of readFileSync(join(PYC_DATA, 'siphash_vectors.txt'), 'utf8').split('\n')) {
    const h = /^(3\.\d+) magic ([0-9a-f]{8})/.exec(line);
    if (h?.[1] && h[2]) {
      minor = h[1];
      magic = Buffer.from(h[2], 'hex').readUInt16LE(0);
      continue;
    }
    const v = /^\s+b(['"])(.*)\1 ([0-9a-f]{16})$/.exec(line);
    if (v?.[2] !== undefined && v[3]) out.push({ minor, magic, input: pyBytesLiteral(v[2]), expected: v[3] });
  }
  return out;
}

/** The body of a Python bytes literal as printed by repr(): \xNN, \t, \n, \r, \\, \', printable ASCII. */
function pyBytesLiteral(s: string): Uint8Array {
  const out: number[] = [];
  const esc: Record<string, number> = { t: 9, n: 10, r: 13, '\\': 92, "'": 39, '"': 34 };
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\') {
      out.push(s.charCodeAt(i));
      continue;
    }
    const c = s[++i] as string;
    if (c === 'x') {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(esc[c] ?? c.charCodeAt(0));
  }
  return Uint8Array.from(out);
}

describe('source_hash', () => {
  const vectors = siphashVectors();
  it('parses every vector of every version', () => expect(vectors.length).toBe(8 * 4));
  it.each(vectors.map((v) => [v.minor, hex(v.input), v.expected, v] as const))('%s %s → %s', (_m, _i, expected, v) => {
    expect(hex(sourceHash(v.magic, v.input))).toBe(expected);
  });
  it('reproduces the SipHash-2-4 paper vector', () => {
    const paper = /paper SipHash-2-4 vector: 0x([0-9a-f]{16})/.exec(readFileSync(join(PYC_DATA, 'siphash_vectors.txt'), 'utf8'));
    const key = Uint8Array.from({ length: 16 }, (_, i) => i);
    const msg = Uint8Array.from({ length: 15 }, (_, i) => i);
    expect(Buffer.from(siphash(key, msg, 2, 4)).readBigUInt64LE(0).toString(16)).toBe(paper?.[1]);
  });
  it('3.6 has no hash pycs', () => expect(() => sourceHash(3379, new Uint8Array())).toThrow(/PEP 552/));
});

describe('mtime rounding (pyc-data/mtime_rounding.txt)', () => {
  const rows = readFileSync(join(PYC_DATA, 'mtime_rounding.txt'), 'utf8')
    .split('\n')
    .map((l) => /^(3\.\d+\.\d+) (\d+) sec= \d+ st_mtime= ([\d.]+) .* pyc_header_mtime= (\d+)/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null);
  it('has rows for three versions', () => expect(new Set(rows.map((r) => r[1])).size).toBe(3));
  it.each(rows.map((r) => [r[1] as string, r[2] as string, r[3] as string, Number(r[4])] as const))(
    '%s ns=%s → %s',
    (version, ns, stMtime, expected) => {
      // Pyodide's file system kept only milliseconds (see the data file), so its loader saw st_mtime, not ns.
      const mtimeNs = version.startsWith('3.14.') ? BigInt(Math.round(Number(stMtime) * 1000)) * 1_000_000n : BigInt(ns);
      expect(loaderMtime(mtimeNs)).toBe(expected);
    },
  );
});

describe('checkAgainstSource on the fixtures', () => {
  const src = fixtureSource();
  const edited = new Uint8Array([...src, 0x0a]);
  it.each(FIXTURE_MINORS.filter((m) => m !== '3.6'))('%s checked-hash: valid, then stale after an edit', (minor) => {
    const h = header(fixturePyc(minor));
    expect(checkAgainstSource(h, { bytes: src, size: src.length, mtimeNs: 0n })).toEqual({ status: 'valid' });
    expect(checkAgainstSource(h, { bytes: edited, size: edited.length, mtimeNs: 0n })).toEqual({ status: 'stale', reasons: ['hash'] });
    expect(checkAgainstSource(h, { size: src.length, mtimeNs: 0n })).toEqual({ status: 'not-checked', why: 'source-bytes-missing' });
    const unchecked = fixturePyc(minor).slice(0, 16);
    unchecked[4] = 1;
    expect(checkAgainstSource(header(unchecked), { bytes: edited, size: edited.length, mtimeNs: 0n })).toEqual({
      status: 'not-checked',
      why: 'unchecked-hash',
      hashMatches: false,
    });
  });
  it('timestamp: size and mtime, and the 3.6 unmasked-mtime quirk', () => {
    const h36 = header(fixturePyc('3.6'));
    if (h36.invalidation !== 'timestamp') throw new Error('3.6 fixture must be timestamp-based');
    const ns = BigInt(h36.mtime) * 1_000_000_000n + 5n;
    expect(checkAgainstSource(h36, { size: h36.sourceSize, mtimeNs: ns })).toEqual({ status: 'valid' });
    expect(checkAgainstSource(h36, { size: h36.sourceSize + 1, mtimeNs: ns + 2_000_000_000n })).toEqual({
      status: 'stale',
      reasons: ['mtime', 'size'],
    });
    // The same header words, as 3.6 and as 3.7 timestamp pycs, for a source mtime of mtime + 2^32.
    const wrapped = ns + 4294967296n * 1_000_000_000n;
    expect(checkAgainstSource(h36, { size: h36.sourceSize, mtimeNs: wrapped })).toEqual({ status: 'stale', reasons: ['mtime'] });
    const h37: PycHeader = { ...h36, magic: 3394, size: 16 };
    expect(checkAgainstSource(h37, { size: h36.sourceSize, mtimeNs: wrapped })).toEqual({ status: 'valid' });
  });
});

describe.each(['3.6', '3.13'])('timestamp pyc written by %s, checked against stat()', (minor) => {
  const py = pythonOrSkip(minor);
  it.skipIf(!py)(skipTitle('valid for its source, stale after an edit of the same size', minor, py), () => {
    if (!py) return;
    const dir = tempDir('ts');
    const src = join(dir, 'm.py');
    writeFileSync(src, 'VALUE = 1\n');
    // A nanosecond mtime just below a whole second: importlib rounds it up (§6.1).
    execFileSync(py.exe, ['-c', `import os; os.utime(${JSON.stringify(src)}, ns=(1700000000999999999, 1700000000999999999))`]);
    const pyc = pyCompile(py.exe, src, join(dir, 'm.pyc'), src, minor === '3.6' ? {} : { mode: 'TIMESTAMP' });
    const st = statSync(src, { bigint: true });
    const h = header(pyc);
    expect(h.invalidation === 'timestamp' && h.mtime).toBe(1700000001);
    expect(checkAgainstSource(h, { bytes: readFileSync(src), size: Number(st.size), mtimeNs: st.mtimeNs })).toEqual({ status: 'valid' });
    expect(checkAgainstSource(h, { size: Number(st.size), mtimeNs: st.mtimeNs + 1_000_000_000n })).toEqual({ status: 'stale', reasons: ['mtime'] });
  });
});
