/**
 * A part's scan crosses from a worker as columns (`part-wire.ts`); what arrives must be what was sent:
 * every entry with its type, mode, size, 64-bit identity and nanosecond times (including the values a
 * signed or a double representation would corrupt), link targets, the stage marks and the cache hits,
 * in the walk's order. The real worker path is exercised by cache.test.ts and scan.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Entry, EntryType, PartName } from '../../src/model.js';
import { fromWire, toWire } from '../../src/scan/part-wire.js';
import type { PartOutcome } from '../../src/scan/part-worker.js';

const TYPES: EntryType[] = ['file', 'dir', 'symlink', 'fifo', 'socket', 'char-device', 'block-device'];
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const i64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
/** Names as walks decode them: any characters but `/` and NUL, lone surrogates (undecodable bytes) too. */
const name = fc.string({ unit: fc.oneof(fc.constantFrom('a', 'é', '\n', ' ', '\uDC80', '\uDCFF', '😀'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), minLength: 1, maxLength: 6 }).filter((s) => !s.includes('/') && !s.includes('\0'));

const entryArb: fc.Arbitrary<Entry> = fc
  .record({
    type: fc.constantFrom(...TYPES),
    size: fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)),
    mode: fc.integer({ min: 0, max: 0o7777 }),
    dev: u64,
    ino: u64,
    mtimeNs: i64,
    ctimeNs: i64,
    target: fc.option(fc.string(), { nil: undefined }),
  })
  .map(({ target, ...e }) => (e.type === 'symlink' && target !== undefined ? { ...e, linkTarget: target } : e));

const outcomeArb: fc.Arbitrary<PartOutcome> = fc
  .uniqueArray(fc.tuple(fc.array(name, { minLength: 1, maxLength: 3 }).map((c) => c.join('/')), entryArb), { selector: ([p]) => p, maxLength: 40 })
  .chain((list) =>
    fc.record({
      marks: fc.array(fc.boolean(), { minLength: list.length, maxLength: list.length }),
      extra: fc.array(name, { maxLength: 3 }),
      hits: fc.option(fc.array(fc.option(fc.nat(), { nil: undefined }), { minLength: list.length, maxLength: list.length }), { nil: undefined }),
      damaged: fc.boolean(),
    }).map(({ marks, extra, hits, damaged }) => {
      const o: PartOutcome = {
        entries: new Map(list),
        warnings: [{ code: 'unreadable', part: 'p' as PartName, path: 'x' as never, message: 'm' }],
        // Marked entries in entry order, then paths that are not entries: the order the wire keeps.
        staged: new Set([...list.filter((_, i) => marks[i]).map(([p]) => p), ...extra.filter((x) => !list.some(([p]) => p === x))]),
      };
      if (hits) {
        const at = new Map<string, number>();
        list.forEach(([p], i) => {
          const h = hits[i];
          if (h !== undefined) at.set(p, h);
        });
        o.cached = { hits: { buf: Uint8Array.from([1, 2, 3]), at, count: at.size }, info: { size: at.size, damaged } };
      }
      return o;
    }),
  );

/** What a thread receives: the reply after a real structured clone, with the buffers moved. */
function sendAndReceive(o: PartOutcome): PartOutcome {
  const { wire, transfer } = toWire(o);
  return fromWire(structuredClone(wire, { transfer }));
}

describe('part wire format', () => {
  it('a part scan arrives as it was sent', () => {
    fc.assert(
      fc.property(outcomeArb, (o) => {
        const expected = { entries: [...o.entries], staged: [...o.staged], cached: o.cached && { at: [...(o.cached.hits.at ?? [])], count: o.cached.hits.count, buf: [...o.cached.hits.buf], info: o.cached.info }, warnings: o.warnings };
        const got = sendAndReceive(o);
        expect({ entries: [...got.entries], staged: [...got.staged], cached: got.cached && { at: [...(got.cached.hits.at ?? [])], count: got.cached.hits.count, buf: [...got.cached.hits.buf], info: got.cached.info }, warnings: got.warnings }).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps the 64-bit values a signed or floating representation would corrupt', () => {
    const e: Entry = { type: 'file', size: 5, mode: 0o644, dev: 2n ** 64n - 1n, ino: 2n ** 63n + 1n, mtimeNs: -1n, ctimeNs: 2n ** 62n + 3n };
    const got = sendAndReceive({ entries: new Map([['f', e]]), warnings: [], staged: new Set(['f']) });
    expect(got.entries.get('f')).toEqual(e);
  });

  it('an empty part arrives empty', () => {
    const got = sendAndReceive({ entries: new Map(), warnings: [], staged: new Set(['a']) });
    expect(got.entries.size).toBe(0);
    expect([...got.staged]).toEqual(['a']);
  });
});
