import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../../src/errors.js';
import {
  MAX_DEPTH,
  canonicalizePyc,
  compareTrees,
  dumpValue,
  filenamesOf,
  formatOfMagic,
  inspectPyc,
  parsePyc,
  readMarshal,
  writeMarshal,
} from '../../../src/python/pyc/index.js';
import { FIXTURE_MINORS, fixturePyc, fixtureSource } from './helpers.js';

const F313 = formatOfMagic(3571);
const i32 = (n: number): number[] => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
const body = (...parts: (number | number[])[]): Uint8Array => Uint8Array.from(parts.flat());

/** Run `f` and return the FormatError it must throw, within a time bound. */
function formatError(f: () => unknown, ms = 2000): FormatError {
  const t0 = performance.now();
  try {
    f();
  } catch (e) {
    expect(performance.now() - t0).toBeLessThan(ms);
    expect(e).toBeInstanceOf(FormatError);
    return e as FormatError;
  }
  throw new Error('expected a FormatError');
}

/** Everything a caller would do with a pyc; only FormatError may escape. */
function useAll(buf: Uint8Array): void {
  const p = parsePyc(buf);
  inspectPyc(buf);
  dumpValue(p.code);
  const again = readMarshal(writeMarshal(p.code, p.format), p.format);
  expect(compareTrees(p.code, again)).toEqual({ equal: true });
  expect(filenamesOf(again)).toEqual(filenamesOf(p.code));
}

describe('hostile marshal data', () => {
  it('truncations of real pycs are FormatErrors with an offset', () => {
    for (const minor of FIXTURE_MINORS) {
      const pyc = fixturePyc(minor);
      // Every prefix of two layouts; a stride elsewhere keeps the run short.
      const step = minor === '3.6' || minor === '3.13' ? 1 : 7;
      for (let n = 0; n < pyc.length; n += step) {
        const e = formatError(() => parsePyc(pyc.subarray(0, n)));
        expect(e.where).toMatch(/^offset \d+$/);
      }
    }
  });
  it('huge and negative length fields are refused before allocating', () => {
    for (const t of [0x73, 0x75, 0x61, 0x28, 0x5b, 0x3c, 0x3e]) {
      expect(formatError(() => readMarshal(body(t, i32(0x7fffffff)), F313)).message).toMatch(/exceeds/);
      expect(formatError(() => readMarshal(body(t, i32(-1)), F313)).message).toMatch(/negative length/);
    }
    expect(formatError(() => readMarshal(body(0x6c, i32(0x7ffffff0)), F313)).message).toMatch(/truncated/);
    expect(formatError(() => readMarshal(body(0x6c, i32(1), [0xff, 0xff]), F313)).message).toMatch(/digit out of range/);
    expect(formatError(() => readMarshal(body(0x6c, i32(2), [1, 0, 0, 0]), F313)).message).toMatch(/unnormalized/);
  });
  it(`nesting: ${MAX_DEPTH} levels work end to end, deeper is refused`, () => {
    const deep = (n: number): Uint8Array => {
      const b = new Uint8Array(2 * n + 1).fill(1);
      for (let i = 0; i < n; i++) b[2 * i] = 0x29;
      b[2 * n] = 0x4e;
      return b;
    };
    const ok = readMarshal(deep(MAX_DEPTH), F313);
    expect(compareTrees(ok, readMarshal(writeMarshal(ok, F313), F313))).toEqual({ equal: true });
    dumpValue(ok);
    expect(formatError(() => readMarshal(deep(MAX_DEPTH + 1), F313)).message).toMatch(/nesting deeper/);
    expect(formatError(() => readMarshal(deep(1_000_000), F313)).message).toMatch(/nesting deeper/);
  });
  it('references: out of range, unfilled (cycles), flagged refs', () => {
    expect(formatError(() => readMarshal(body(0x72, i32(0)), F313)).message).toMatch(/invalid reference 0/);
    expect(formatError(() => readMarshal(body(0x29, 2, 0xe9, i32(7), 0x72, i32(5)), F313)).message).toMatch(/invalid reference 5/);
    // A flagged list containing a reference to itself: marshal.loads would build a cycle.
    expect(formatError(() => readMarshal(body(0xdb, i32(1), 0x72, i32(0)), F313)).message).toMatch(/cycle/);
    expect(formatError(() => readMarshal(body(0xf2, i32(0)), F313)).message).toMatch(/FLAG_REF on a reference/);
  });
  it('an exponential DAG of references stays cheap to compare, write and canonicalise', () => {
    // T0 = (T1, T1), ..., T59 = (T60, T60), T60 = (1, 1); the second items are refs: 2^61 leaves expanded.
    const bytes: number[] = [];
    for (let k = 0; k <= 60; k++) bytes.push(0xa9, 2);
    bytes.push(0x69, ...i32(1), 0x69, ...i32(1));
    for (let k = 60; k >= 1; k--) bytes.push(0x72, ...i32(k));
    const v = readMarshal(Uint8Array.from(bytes), F313);
    const t0 = performance.now();
    expect(compareTrees(v, v)).toEqual({ equal: true });
    expect(writeMarshal(v, F313).length).toBeLessThan(2000);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(formatError(() => dumpValue(v)).message).toMatch(/dump larger/);
  });
  it('unknown types, bad UTF-8, slices before 3.14, unknown and pre-final magics', () => {
    expect(formatError(() => readMarshal(body(0x3f), F313)).message).toMatch(/unknown type code 0x3f/);
    expect(formatError(() => readMarshal(body(0x75, i32(1), 0xff), F313)).message).toMatch(/invalid UTF-8/);
    expect(formatError(() => readMarshal(body(0x3a, 0x4e, 0x4e, 0x4e), F313)).message).toMatch(/slice/);
    expect(readMarshal(body(0x3a, 0x4e, 0x4e, 0x4e), formatOfMagic(3627))).toMatchObject({ t: 'slice' });
    expect(readMarshal(body(0x75, i32(3), 0xed, 0xa0, 0x80), F313)).toMatchObject({ t: 'str' }); // lone surrogate
    const pre311 = fixturePyc('3.11').slice();
    pre311[0] = 3480 & 0xff;
    pre311[1] = 3480 >> 8;
    expect(formatError(() => parsePyc(pre311)).message).toMatch(/unsupported: magic 3480 is a pre-final 3.11/);
    expect(formatError(() => parsePyc(Uint8Array.of(0x03, 0xf3, 0x0d, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0))).message).toMatch(/unknown-magic/);
  });
  it('random bytes after a valid header never throw anything but FormatError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FIXTURE_MINORS), fc.uint8Array({ maxLength: 256 }), (minor, tail) => {
        const buf = new Uint8Array([...fixturePyc(minor).subarray(0, minor === '3.6' ? 12 : 16), ...tail]);
        try {
          useAll(buf);
        } catch (e) {
          if (!(e instanceof FormatError)) throw e;
        }
      }),
      { seed: 42, numRuns: 300, interruptAfterTimeLimit: 10_000 },
    );
  });
  it('mutations of real pycs: only FormatError, and write(read(x)) is structurally equal', () => {
    const mutation = fc.record({
      minor: fc.constantFrom(...FIXTURE_MINORS),
      edits: fc.array(
        fc.record({ kind: fc.constantFrom('flip', 'set', 'insert', 'delete', 'truncate'), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
        { minLength: 1, maxLength: 4 },
      ),
    });
    fc.assert(
      fc.property(mutation, ({ minor, edits }) => {
        const bytes = [...fixturePyc(minor)];
        for (const e of edits) {
          const at = e.at % Math.max(1, bytes.length);
          if (e.kind === 'flip') bytes[at] = (bytes[at] ?? 0) ^ (1 << (e.byte % 8));
          else if (e.kind === 'set') bytes[at] = e.byte;
          else if (e.kind === 'insert') bytes.splice(at, 0, e.byte);
          else if (e.kind === 'delete') bytes.splice(at, 1);
          else bytes.length = at;
        }
        const buf = Uint8Array.from(bytes);
        try {
          useAll(buf);
          canonicalizePyc(buf, { filename: '/x.py', invalidation: 'checked-hash', source: fixtureSource(), sourceMtimeNs: 0n });
        } catch (e) {
          if (!(e instanceof FormatError)) throw e;
        }
      }),
      { seed: 42, numRuns: 300, interruptAfterTimeLimit: 10_000 },
    );
  });
});
