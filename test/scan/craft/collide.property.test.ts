/** linkTargetsCollide against Python's pathlib and pcFilesCollide against the oracle reading real files. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linkTargetsCollide, pcFilesCollide } from '../../../src/scan/craft/collide.js';
import { pythonOrSkip, skipTitle } from '../../helpers/python.js';
import { oracleBatch } from './disk.js';

const py = pythonOrSkip('3.12');
const opts = { seed: 42, numRuns: 1, interruptAfterTimeLimit: 20_000 };

describe.skipIf(!py)(skipTitle('collision pieces equal the oracle', '3.12', py), () => {
  it('link targets: Path(a) != Path(b)', () => {
    const target = fc.array(fc.constantFrom('a', 'b', '.', '..', '', 'x y'), { minLength: 1, maxLength: 5 }).map((p) => p.join('/'));
    const pairs = fc.array(fc.tuple(target, target), { minLength: 200, maxLength: 200 });
    fc.assert(
      fc.property(pairs, (ps) => {
        const ok = ps.filter(([a, b]) => a !== '' && b !== '');
        expect(ok.map(([a, b]) => linkTargetsCollide(a, b))).toEqual(oracleBatch(py?.exe ?? '', 'links', ok));
      }),
      opts,
    );
  });
  it('.pc files read line by line in step', () => {
    const line = fc.constantFrom('prefix=/a', 'prefix=/b', 'libdir=${prefix}/lib', 'Name: x', '', 'prefix=');
    const sep = fc.constantFrom('\n', '\r\n', '\r');
    const text = fc.array(fc.tuple(line, sep), { maxLength: 5 }).chain((ls) =>
      fc.boolean().map((trail) => ls.map(([l, s], i) => l + (i < ls.length - 1 || trail ? s : '')).join('')),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(text, text), { minLength: 150, maxLength: 150 }), (ps) => {
        const dir = mkdtempSync(join(tmpdir(), 'stagefix-pc-'));
        try {
          const files = ps.map(([a, b], i): [string, string] => {
            const fa = join(dir, `a${i}.pc`);
            const fb = join(dir, `b${i}.pc`);
            writeFileSync(fa, a);
            writeFileSync(fb, b);
            return [fa, fb];
          });
          expect(ps.map(([a, b]) => pcFilesCollide(a, b))).toEqual(oracleBatch(py?.exe ?? '', 'pc', files));
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      opts,
    );
  });
});
