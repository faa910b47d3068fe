/**
 * The contents rule finds the first differing byte by reading both copies piece by piece (64 KiB
 * doubling to 1 MiB) and stops at the piece that differs. The offsets must equal a whole-file compare at
 * every piece boundary, and an early difference must cost one small piece per side, not the whole files.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { firstDifference, firstDifferenceIn } from '../../../src/classify/rules/contents.js';
import type { PartName } from '../../../src/model.js';
import { DiskFileSource } from '../../../src/scan/file-source.js';
import { projectFromPartArgs } from '../../../src/scan/project.js';
import { scan } from '../../../src/scan/scan.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const KiB = 1024;
const SIZE = 4 * KiB * KiB;
// Piece ends: 64K, 64K+128K, ... up to 1 MiB pieces; each boundary, the bytes either side, both ends.
const ends = [64, 192, 448, 960, 1984, 3008, 4032].map((k) => k * KiB);
const OFFSETS = [0, 1, ...ends.flatMap((e) => [e - 1, e, e + 1]), SIZE - 1];

async function fixture() {
  const dir = mkdtempSync(join(tmpdir(), 'stagefix-pieces-'));
  dirs.push(dir);
  const base = randomBytes(SIZE);
  const cases: Record<string, [Buffer, Buffer]> = {};
  for (const o of OFFSETS) {
    const b = Buffer.from(base);
    b[o] = (b[o] as number) ^ 0xff;
    cases[`at-${o}`] = [base, b];
  }
  // Different lengths: one a prefix of the other, ending at and off a piece boundary.
  for (const n of [ends[0] as number, (ends[2] as number) + 7]) cases[`prefix-${n}`] = [base, base.subarray(0, n)];
  cases.same = [base, base];
  for (const [i, part] of ['a', 'b'].entries()) {
    mkdirSync(join(dir, part), { recursive: true });
    for (const [name, pair] of Object.entries(cases)) writeFileSync(join(dir, part, name), pair[i] as Buffer);
  }
  const result = await scan(projectFromPartArgs([`a=${join(dir, 'a')}`, `b=${join(dir, 'b')}`], dir));
  return { dir, cases, source: new DiskFileSource(result) };
}

describe('contents: first difference in pieces', () => {
  it('equals a whole-file compare at every piece boundary, and reads no further than the differing piece', async () => {
    const { dir, cases, source } = await fixture();
    const [a, b] = ['a', 'b'] as PartName[];
    const read: number[] = [];
    const range = source.range.bind(source);
    source.range = (part, path, offset, n) => {
      read.push(offset + n);
      return range(part, path, offset, n);
    };
    for (const name of Object.keys(cases)) {
      read.length = 0;
      const side = (p: PartName) => ({ part: p, entry: source.entry(p, name)! });
      const got = await firstDifferenceIn(source, name, side(a as PartName), side(b as PartName));
      const whole = firstDifference(readFileSync(join(dir, 'a', name)), readFileSync(join(dir, 'b', name)));
      expect(got, name).toBe(whole);
      // The last byte read is the end of the piece holding the difference (or of the shorter file).
      const stop = got === undefined ? SIZE : got;
      const pieceEnd = [...ends, SIZE].find((e) => e > stop) ?? SIZE;
      expect(Math.max(...read), name).toBe(Math.min(pieceEnd, source.entry(a as PartName, name)!.size, source.entry(b as PartName, name)!.size));
    }
  });
});
