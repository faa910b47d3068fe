/**
 * The fast fingerprint (canonical bytes in one buffer) must be the reference fingerprint (a string per
 * node), byte for byte, on real pycs: the golden fixtures of 3.6–3.14 and the compiled stdlib of every
 * pyenv interpreter (a sample by default, all of it with STAGEFIX_FULL=1). Sets in hash-seed order
 * (3.6–3.10) and references of every kind occur there.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalBytes } from '../../../src/python/pyc/canonical-bytes.js';
import { canonicalText, fingerprintPyc, fingerprintPycReference } from '../../../src/python/pyc/fingerprint.js';
import { parsePyc } from '../../../src/python/pyc/marshal.js';
import { ALL_MINORS, pythonOrSkip, skipTitle } from '../../helpers/python.js';
import { FIXTURE_MINORS, FULL, fixturePyc } from './helpers.js';

/** Up to `limit` pycs under `root`, in a stable order. */
function pycsUnder(root: string, limit: number, out: string[] = []): string[] {
  for (const e of readdirSync(root, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (out.length >= limit) break;
    const p = join(root, e.name);
    if (e.isDirectory() && e.name !== 'site-packages') pycsUnder(p, limit, out);
    else if (e.isFile() && e.name.endsWith('.pyc')) out.push(p);
  }
  return out;
}

function agree(buf: Uint8Array, label: string): void {
  let slow: unknown;
  let fast: unknown;
  try {
    slow = fingerprintPycReference(buf);
  } catch (e) {
    slow = (e as Error).message;
  }
  try {
    fast = fingerprintPyc(buf);
  } catch (e) {
    fast = (e as Error).message;
  }
  expect(fast, label).toEqual(slow);
  if (typeof slow === 'string') return;
  const p = parsePyc(buf);
  const text = canonicalText(p.code, Number.MAX_SAFE_INTEGER) as string;
  const bytes = canonicalBytes(p.code, Number.MAX_SAFE_INTEGER, p.shared);
  expect(bytes.ok && Buffer.from(bytes.bytes).equals(Buffer.from(text, 'latin1')), label).toBe(true);
}

/** The smallest budget under which the reference serialisation succeeds: its exact count. */
function exactCount(code: ReturnType<typeof parsePyc>['code'], hi: number): number {
  let lo = 0;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (canonicalText(code, mid) === undefined) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

describe('canonicalBytes and the fast fingerprint', () => {
  it('equal the reference on the golden pyc of every minor (3.6–3.14)', () => {
    for (const minor of FIXTURE_MINORS) agree(fixturePyc(minor), minor);
  });

  it('bound the reference budget count: output length <= count <= upper', () => {
    for (const minor of FIXTURE_MINORS) {
      const p = parsePyc(fixturePyc(minor));
      const r = canonicalBytes(p.code, Number.MAX_SAFE_INTEGER, p.shared);
      if (!r.ok) throw new Error('unbounded budget cannot be exceeded');
      const count = exactCount(p.code, r.upper + 1);
      expect(r.bytes.length).toBeLessThanOrEqual(count);
      expect(count).toBeLessThanOrEqual(r.upper);
      // One byte less than the output is over budget for both.
      expect(canonicalBytes(p.code, r.bytes.length - 1, p.shared).ok).toBe(false);
      expect(canonicalText(p.code, r.bytes.length - 1)).toBeUndefined();
    }
  });

  it('fall back to per-node digests, like the reference, for an exponential reference DAG', () => {
    // T0 = (T1, T1), ..., T60 = (1, 1), second items as references: 2^61 leaves when expanded.
    const i32 = (n: number): number[] => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
    const body: number[] = [];
    for (let k = 0; k <= 60; k++) body.push(0xa9, 2);
    body.push(0x69, ...i32(1), 0x69, ...i32(1));
    for (let k = 60; k >= 1; k--) body.push(0x72, ...i32(k));
    const pyc = Uint8Array.from([...fixturePyc('3.13').subarray(0, 16), ...body]);
    const t0 = performance.now();
    const fast = fingerprintPyc(pyc);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(fast.code.startsWith('d:')).toBe(true);
    expect(fast).toEqual(fingerprintPycReference(pyc));
  });

  for (const minor of ALL_MINORS) {
    const py = pythonOrSkip(minor);
    const stdlib = py ? join(dirname(dirname(py.exe)), 'lib', `python${minor}`) : '';
    it.skipIf(!py || !existsSync(stdlib))(skipTitle(`equal the reference on compiled stdlib pycs of ${minor}`, minor, py), () => {
      const files = pycsUnder(stdlib, FULL ? Infinity : 60);
      expect(files.length).toBeGreaterThan(10);
      for (const f of files) agree(new Uint8Array(readFileSync(f)), f);
    });
  }
});
