import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FINAL_MAGIC, describeVersion, parseHeader, versionOfMagic } from '../../../src/python/pyc/index.js';
import { FIXTURE_MINORS, PYC_DATA, fixturePyc } from './helpers.js';

/** pyc-data/magic_table.txt rows: label, first, last. */
function magicTable(): [string, number, number][] {
  const rows: [string, number, number][] = [];
  for (const line of readFileSync(join(PYC_DATA, 'magic_table.txt'), 'utf8').split('\n')) {
    const m = /^(3\.\d+\w*)\s+(\d+)(?:-(\d+))?\s*$/.exec(line);
    if (m?.[1] && m[2]) rows.push([m[1], Number(m[2]), Number(m[3] ?? m[2])]);
  }
  return rows;
}

function withFlags(buf: Uint8Array, flags: number): Uint8Array {
  const out = buf.slice(0, 16);
  new DataView(out.buffer).setUint32(4, flags, true);
  return out;
}

describe('magic numbers', () => {
  const rows = magicTable();
  it('reads the whole table', () => expect(rows.length).toBeGreaterThan(40));
  it.each(rows)('%s covers %i..%i', (label, first, last) => {
    const minor = /^3\.\d+/.exec(label)?.[0] as string;
    for (let m = first; m <= last; m++) {
      // The table file writes "3.8a1 3400-3410", but §2.2 lists only 3400, 3401 and 3410 as used.
      if (m > 3401 && m < 3410) continue;
      const v = versionOfMagic(m);
      expect(v.known).toBe(true);
      if (!v.known) continue;
      expect(v.minor).toBe(minor);
      expect(v.final).toBe(FINAL_MAGIC[minor] === m);
      expect(v.label).toBe(v.final ? minor : label);
    }
  });
  it('never guesses an unknown number', () => {
    for (const m of [0, 3359, 3380, 3395, 3440, 3496, 3532, 3572, 3628, 3700, 62211]) {
      expect(versionOfMagic(m)).toEqual({ known: false, magic: m });
    }
    expect(describeVersion(versionOfMagic(3463))).toBe('3.11a3 (pre-release)');
  });
});

describe('parseHeader on real pycs', () => {
  it.each(FIXTURE_MINORS)('%s fixture', (minor) => {
    const r = parseHeader(fixturePyc(minor));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.header.magic).toBe(FINAL_MAGIC[minor]);
    expect(r.header.version).toEqual({ known: true, minor, label: minor, final: true });
    expect(r.header.size).toBe(minor === '3.6' ? 12 : 16);
    expect(r.header.invalidation).toBe(minor === '3.6' ? 'timestamp' : 'checked-hash');
  });
  it('flags: 1 unchecked, 2 timestamp (importlib accepts it), other bits invalid', () => {
    const b = fixturePyc('3.13');
    const p = (f: number) => parseHeader(withFlags(b, f));
    const one = p(1);
    expect(one.ok && one.header.invalidation).toBe('unchecked-hash');
    const two = p(2);
    expect(two.ok && two.header.invalidation).toBe('timestamp');
    expect(p(4)).toEqual({ ok: false, reason: 'invalid-flags', magic: 3571, flags: 4 });
    expect(p(0x80000003)).toMatchObject({ ok: false, reason: 'invalid-flags' });
  });
  it('rejects a bad \\r\\n tail, truncation and unknown magic', () => {
    const b = fixturePyc('3.12');
    expect(parseHeader(Uint8Array.of(0xcb, 0x0d, 0x0a, 0x0d))).toMatchObject({ ok: false, reason: 'bad-magic-tail' });
    expect(parseHeader(b.slice(0, 15))).toMatchObject({ ok: false, reason: 'truncated' });
    expect(parseHeader(b.slice(0, 3))).toMatchObject({ ok: false, reason: 'truncated' });
    expect(parseHeader(Uint8Array.of(0x03, 0xf3, 0x0d, 0x0a, 0, 0, 0, 0))).toMatchObject({ ok: false, reason: 'unknown-magic', magic: 62211 });
    expect(parseHeader(fixturePyc('3.6').slice(0, 11))).toMatchObject({ ok: false, reason: 'truncated' });
  });
});
