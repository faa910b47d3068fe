import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeName, displayName, encodeName, needsBytes } from '../../src/util/fsname.js';

describe('lossless file-name codec (surrogateescape)', () => {
  it('leaves valid UTF-8 alone and escapes invalid bytes', () => {
    expect(decodeName(Buffer.from('café/ünïcödé'))).toBe('café/ünïcödé');
    const raw = Buffer.from([0x63, 0x61, 0x66, 0xe9]);
    const name = decodeName(raw);
    expect(needsBytes(name)).toBe(true);
    expect(displayName(name)).toBe('caf\\xe9');
    expect(encodeName(name).equals(raw)).toBe(true);
  });

  it('keeps different undecodable names different', () => {
    expect(decodeName(Buffer.from([0x61, 0xe9]))).not.toBe(decodeName(Buffer.from([0x61, 0xe8])));
  });

  it('round-trips any byte string, and is injective (property, fixed seed)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (a, b) => {
        const da = decodeName(a);
        expect(encodeName(da).equals(Buffer.from(a))).toBe(true);
        if (!Buffer.from(a).equals(Buffer.from(b))) expect(decodeName(b)).not.toBe(da);
      }),
      { seed: 42, numRuns: 2000, interruptAfterTimeLimit: 10_000 },
    );
  });
});
