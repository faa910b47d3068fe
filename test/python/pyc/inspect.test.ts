import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FINAL_MAGIC, inspectPyc, type Json } from '../../../src/python/pyc/index.js';
import { FIXTURES, FIXTURE_MINORS, fixturePyc, fixtureSource } from './helpers.js';

/** Code objects and co_code bytes counted in the interpreter's own dump of the fixture. */
function countFromDump(j: Json): { codes: number; bytes: number } {
  let codes = 0;
  let bytes = 0;
  const walk = (x: Json): void => {
    if (x === null || typeof x !== 'object') return;
    if (Array.isArray(x)) return x.forEach(walk);
    const code = x.code;
    if (code && typeof code === 'object' && !Array.isArray(code)) {
      codes++;
      const co = code.co_code;
      if (co && typeof co === 'object' && !Array.isArray(co) && typeof co.bytes === 'string') bytes += co.bytes.length / 2;
    }
    Object.values(x).forEach(walk);
  };
  walk(j);
  return { codes, bytes };
}

describe('inspectPyc', () => {
  it.each(FIXTURE_MINORS)('%s fixture', (minor) => {
    const source = fixtureSource();
    const r = inspectPyc(fixturePyc(minor), { bytes: source, size: source.length, mtimeNs: 0n });
    const dump = countFromDump(JSON.parse(readFileSync(join(FIXTURES, `sample.${minor}.json`), 'utf8')) as Json);
    expect(r).toMatchObject({
      kind: 'pyc',
      magic: FINAL_MAGIC[minor],
      python: minor,
      final: true,
      filenames: ['/build/pkg/sample.py'],
      codeObjects: dump.codes,
      codeSize: dump.bytes,
    });
    if (minor === '3.6') {
      expect(r).toMatchObject({ invalidation: 'timestamp', flags: 0, sourceSize: source.length });
      expect(r.sourceCheck).toEqual({ status: 'stale', reasons: ['mtime'] });
    } else {
      expect(r).toMatchObject({ invalidation: 'checked-hash', flags: 3, sourceCheck: { status: 'valid' } });
      expect(r.hash).toMatch(/^[0-9a-f]{16}$/);
    }
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });
  it('labels a pre-release magic', () => {
    const b = fixturePyc('3.12').slice();
    b[0] = 3512 & 0xff;
    b[1] = 3512 >> 8;
    expect(inspectPyc(b)).toMatchObject({ magic: 3512, python: '3.12a2', final: false });
  });
});
