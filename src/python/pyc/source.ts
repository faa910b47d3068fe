/**
 * Is a pyc valid for the source beside it? importlib's rules (pyc-format.md §5–§6): SipHash of the raw
 * source bytes for hash pycs, truncated-float mtime and size for timestamp pycs.
 */
import { FormatError } from '../../errors.js';
import type { PycHeader } from './header.js';

/**
 * SipHash-c-d over 64-bit words kept as (hi, lo) u32 pairs: BigInt arithmetic would allocate per
 * operation and is roughly 20× slower.
 */
export function siphash(key16: Uint8Array, data: Uint8Array, cRounds: number, dRounds: number): Uint8Array {
  const kw = (o: number): number =>
    ((key16[o] ?? 0) | ((key16[o + 1] ?? 0) << 8) | ((key16[o + 2] ?? 0) << 16) | ((key16[o + 3] ?? 0) << 24)) >>> 0;
  const k0l = kw(0), k0h = kw(4), k1l = kw(8), k1h = kw(12);
  let v0l = (k0l ^ 0x70736575) >>> 0, v0h = (k0h ^ 0x736f6d65) >>> 0;
  let v1l = (k1l ^ 0x6e646f6d) >>> 0, v1h = (k1h ^ 0x646f7261) >>> 0;
  let v2l = (k0l ^ 0x6e657261) >>> 0, v2h = (k0h ^ 0x6c796765) >>> 0;
  let v3l = (k1l ^ 0x79746573) >>> 0, v3h = (k1h ^ 0x74656462) >>> 0;

  const round = (): void => {
    let t: number, h: number;
    // v0 += v1; v1 = rotl(v1,13) ^ v0; v0 = rotl(v0,32)
    t = v0l + v1l; v0h = (v0h + v1h + (t > 0xffffffff ? 1 : 0)) >>> 0; v0l = t >>> 0;
    h = ((v1h << 13) | (v1l >>> 19)) >>> 0; v1l = ((v1l << 13) | (v1h >>> 19)) >>> 0; v1h = h;
    v1l = (v1l ^ v0l) >>> 0; v1h = (v1h ^ v0h) >>> 0;
    t = v0l; v0l = v0h; v0h = t;
    // v2 += v3; v3 = rotl(v3,16) ^ v2
    t = v2l + v3l; v2h = (v2h + v3h + (t > 0xffffffff ? 1 : 0)) >>> 0; v2l = t >>> 0;
    h = ((v3h << 16) | (v3l >>> 16)) >>> 0; v3l = ((v3l << 16) | (v3h >>> 16)) >>> 0; v3h = h;
    v3l = (v3l ^ v2l) >>> 0; v3h = (v3h ^ v2h) >>> 0;
    // v0 += v3; v3 = rotl(v3,21) ^ v0
    t = v0l + v3l; v0h = (v0h + v3h + (t > 0xffffffff ? 1 : 0)) >>> 0; v0l = t >>> 0;
    h = ((v3h << 21) | (v3l >>> 11)) >>> 0; v3l = ((v3l << 21) | (v3h >>> 11)) >>> 0; v3h = h;
    v3l = (v3l ^ v0l) >>> 0; v3h = (v3h ^ v0h) >>> 0;
    // v2 += v1; v1 = rotl(v1,17) ^ v2; v2 = rotl(v2,32)
    t = v2l + v1l; v2h = (v2h + v1h + (t > 0xffffffff ? 1 : 0)) >>> 0; v2l = t >>> 0;
    h = ((v1h << 17) | (v1l >>> 15)) >>> 0; v1l = ((v1l << 17) | (v1h >>> 15)) >>> 0; v1h = h;
    v1l = (v1l ^ v2l) >>> 0; v1h = (v1h ^ v2h) >>> 0;
    t = v2l; v2l = v2h; v2h = t;
  };
  const block = (ml: number, mh: number): void => {
    v3l = (v3l ^ ml) >>> 0; v3h = (v3h ^ mh) >>> 0;
    for (let i = 0; i < cRounds; i++) round();
    v0l = (v0l ^ ml) >>> 0; v0h = (v0h ^ mh) >>> 0;
  };

  const n = data.length;
  const full = n - (n % 8);
  const d = data;
  for (let o = 0; o < full; o += 8) {
    block(
      ((d[o] as number) | ((d[o + 1] as number) << 8) | ((d[o + 2] as number) << 16) | ((d[o + 3] as number) << 24)) >>> 0,
      ((d[o + 4] as number) | ((d[o + 5] as number) << 8) | ((d[o + 6] as number) << 16) | ((d[o + 7] as number) << 24)) >>> 0,
    );
  }
  const tail = new Uint8Array(8);
  tail.set(d.subarray(full));
  tail[7] = n & 0xff;
  block(
    ((tail[0] as number) | ((tail[1] as number) << 8) | ((tail[2] as number) << 16) | ((tail[3] as number) << 24)) >>> 0,
    ((tail[4] as number) | ((tail[5] as number) << 8) | ((tail[6] as number) << 16) | ((tail[7] as number) << 24)) >>> 0,
  );
  v2l = (v2l ^ 0xff) >>> 0;
  for (let i = 0; i < dRounds; i++) round();
  const rl = (v0l ^ v1l ^ v2l ^ v3l) >>> 0;
  const rh = (v0h ^ v1h ^ v2h ^ v3h) >>> 0;
  const out = new Uint8Array(8);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, rl, true);
  dv.setUint32(4, rh, true);
  return out;
}

/** First magic that uses SipHash-1-3; the switch happened in a 3.11 dev build (§5). */
const SIPHASH13_FROM = 3450;

/** importlib.util.source_hash for the interpreter writing `magic`: key = magic bytes ++ 12 zero bytes. */
export function sourceHash(magic: number, source: Uint8Array): Uint8Array {
  if (magic < 3392) throw new FormatError('pyc', `magic ${magic} predates hash-based pycs (PEP 552, 3.7)`);
  const key = new Uint8Array(16);
  key.set([magic & 0xff, (magic >> 8) & 0xff, 0x0d, 0x0a]);
  return magic >= SIPHASH13_FROM ? siphash(key, source, 1, 3) : siphash(key, source, 2, 4);
}

/**
 * The mtime importlib writes and compares: int(st_mtime), where st_mtime is the double sec + nsec·1e-9,
 * so nanoseconds within ~1.2e-7 s of the next second round up (§6.1, pyc-data/mtime_rounding.txt).
 * Not yet masked to 32 bits.
 */
export function loaderMtime(mtimeNs: bigint): number {
  let sec = mtimeNs / 1_000_000_000n;
  let nsec = mtimeNs % 1_000_000_000n;
  if (nsec < 0n) {
    nsec += 1_000_000_000n;
    sec -= 1n;
  }
  return Math.trunc(Number(sec) + Number(nsec) * 1e-9);
}

export interface SourceInfo {
  /** Raw source bytes; needed for hash checks. */
  bytes?: Uint8Array;
  size: number;
  mtimeNs: bigint;
}

export type StaleReason = 'mtime' | 'size' | 'hash';

export type SourceCheck =
  | { status: 'valid' }
  | { status: 'stale'; reasons: StaleReason[] }
  /** unchecked-hash: importlib (default mode) never compares; missing bytes: we cannot. */
  | { status: 'not-checked'; why: 'unchecked-hash' | 'source-bytes-missing'; hashMatches?: boolean };

const eq8 = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** What importlib (--check-hash-based-pycs default) decides for this header and source. */
export function checkAgainstSource(header: PycHeader, source: SourceInfo): SourceCheck {
  if (header.invalidation === 'timestamp') {
    const reasons: StaleReason[] = [];
    const m = loaderMtime(source.mtimeNs);
    // 3.6 compares the header with the unmasked int(mtime): a source mtime >= 2^32 is always stale there.
    const mtimeOk = header.size === 12 ? m === header.mtime : m >>> 0 === header.mtime;
    if (!mtimeOk) reasons.push('mtime');
    if (source.size >>> 0 !== header.sourceSize) reasons.push('size');
    return reasons.length === 0 ? { status: 'valid' } : { status: 'stale', reasons };
  }
  if (source.bytes === undefined) return { status: 'not-checked', why: 'source-bytes-missing' };
  const matches = eq8(sourceHash(header.magic, source.bytes), header.hash);
  if (header.invalidation === 'unchecked-hash') return { status: 'not-checked', why: 'unchecked-hash', hashMatches: matches };
  return matches ? { status: 'valid' } : { status: 'stale', reasons: ['hash'] };
}
