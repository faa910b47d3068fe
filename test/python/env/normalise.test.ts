import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../../src/errors.js';
import { normalizeActivate } from '../../../src/python/env/activate.js';
import { INSTALL_TOKEN, replaceInstallPaths, shlexQuote } from '../../../src/python/env/paths.js';
import { normalizePyvenvCfg, parsePyvenvCfg } from '../../../src/python/env/pyvenv.js';

const PROPS = { seed: 42, numRuns: 500, interruptAfterTimeLimit: 10_000 };

const pathArb = fc
  .array(fc.stringMatching(/^[a-z0-9 ._-]{1,6}$/), { minLength: 1, maxLength: 4 })
  .map((parts) => `/${parts.join('/')}`);
// Text made of pieces that look like the files: the path, quoted forms, near misses, separators.
const textArb = (p: string) =>
  fc
    .array(fc.oneof(fc.constantFrom(p, `"${p}"`, shlexQuote(p), `${p}/bin`, `/x${p}`, `${p}x`, ' = ', '\n', '(install) ', '"install"', INSTALL_TOKEN), fc.string({ maxLength: 8 })), { maxLength: 15 })
    .map((xs) => xs.join(''));

describe('normalisers', () => {
  it('are idempotent and leave no whole-path occurrence behind', () => {
    fc.assert(
      fc.property(pathArb.chain((p) => fc.tuple(fc.constant(p), textArb(p))), ([p, text]) => {
        for (const f of [(t: string) => normalizePyvenvCfg(t, [p]), (t: string) => normalizeActivate(t, [p])]) {
          const once = f(text);
          expect(f(once)).toBe(once);
        }
        expect(replaceInstallPaths(`home = ${p}\n`, [p])).toBe(`home = ${INSTALL_TOKEN}\n`);
        expect(replaceInstallPaths(`"${p}/bin"`, [p])).toBe(`"${INSTALL_TOKEN}/bin"`);
        expect(replaceInstallPaths(`/x${p}`, [p])).toBe(`/x${p}`);
      }),
      PROPS,
    );
  });

  it('parsePyvenvCfg throws nothing but FormatError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('home = /usr/bin', 'version = 3.11.7', '# c', '=', 'a b = c')), { maxLength: 8 }), (lines) => {
        try {
          parsePyvenvCfg(lines.join('\n'));
        } catch (e) {
          expect(e).toBeInstanceOf(FormatError);
        }
      }),
      PROPS,
    );
  });
});
