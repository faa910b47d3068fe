/** The report's counts read as `toLocaleString('en-US')` writes them, without loading ICU. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { count } from '../../src/report/text.js';

describe('count', () => {
  it("writes every safe integer as toLocaleString('en-US') does", () => {
    fc.assert(fc.property(fc.maxSafeInteger(), (x) => count(x) === x.toLocaleString('en-US')));
    for (const x of [0, 7, 999, 1000, 103275, 1_000_000, -1000, Number.MAX_SAFE_INTEGER]) expect(count(x)).toBe(x.toLocaleString('en-US'));
  });

  it('leaves anything else to toLocaleString', () => {
    for (const x of [1.5, 1234.5678, 2 ** 60, Number.NaN, Infinity]) expect(count(x)).toBe(x.toLocaleString('en-US'));
  });
});
