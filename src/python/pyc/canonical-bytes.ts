/**
 * The fingerprint's canonical serialisation written as bytes into one buffer, instead of a string per
 * node joined upwards (issue 6: building and hashing those strings was most of a scan's pyc time).
 * The bytes are exactly the Latin-1 encoding of `canonicalText` in fingerprint.ts, so both hash alike;
 * the tests hold the two to that on real pycs of every supported interpreter.
 *
 * A shared node (a marshal reference) is written once and copied from its first occurrence after that.
 * The slow path's budget counts every distinct node's text once; this writer cannot count exactly
 * without a map over every node, so it returns bounds on that count and the caller decides.
 */
import type { MValue } from './marshal.js';

export type CanonicalBytes =
  | {
      ok: true;
      bytes: Uint8Array;
      /** At least the slow path's budget count: every node written, shared scalars once per occurrence. */
      upper: number;
    }
  /** The output alone passed the budget, so the slow path's count (never smaller) did too. */
  | { ok: false };

const enc = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const HEX = enc('0123456789abcdef');
const SCALAR: Partial<Record<MValue['t'], number>> = { null: 0x6e, none: 0x6e, stopiter: 0x73, ellipsis: 0x65 };
const FIELD = new Map<string, Uint8Array>();
const fieldPrefix = (name: string): Uint8Array => {
  let b = FIELD.get(name);
  if (!b) {
    b = enc(`|${name}=`);
    FIELD.set(name, b);
  }
  return b;
};

class Over extends Error {}

/** Reused across calls (each result is consumed before the next call): no 64 KiB allocation per pyc. */
let scratch = new Uint8Array(1 << 16);

class Writer {
  buf = scratch;
  len = 0;
  upper = 0;
  /** Where each shared container was first written: [start, end). */
  private readonly at = new Map<MValue, number>();
  private readonly end = new Map<MValue, number>();
  /** Containers written since a set began; their ranges move when the set's items are sorted. */
  private inSet: MValue[] | undefined;

  constructor(
    private readonly budget: number,
    /** Nodes that may occur more than once; undefined: any container may. */
    private readonly shared: ReadonlySet<MValue> | undefined,
  ) {}

  private room(n: number): void {
    const need = this.len + n;
    if (need > this.budget) throw new Over();
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    // Keep big buffers for the next pyc, up to 64 MiB.
    if (size <= 64 << 20) scratch = next;
  }

  private byte(c: number): void {
    this.room(1);
    this.buf[this.len++] = c;
  }

  private raw(b: Uint8Array): void {
    const n = b.length;
    this.room(n);
    if (n < 32) {
      const buf = this.buf;
      let p = this.len;
      for (let i = 0; i < n; i++) buf[p++] = b[i] as number;
    } else {
      this.buf.set(b, this.len);
    }
    this.len += n;
  }

  /** A non-negative decimal (lengths, counts). */
  private decimal(n: number): void {
    if (n < 10) {
      this.byte(0x30 + n);
      return;
    }
    this.ascii(String(n));
  }

  private ascii(s: string): void {
    const n = s.length;
    this.room(n);
    const buf = this.buf;
    let p = this.len;
    for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
    this.len = p;
  }

  private hex(b: Uint8Array): void {
    this.room(b.length * 2);
    const buf = this.buf;
    let p = this.len;
    for (let i = 0; i < b.length; i++) {
      const x = b[i] as number;
      buf[p++] = HEX[x >> 4] as number;
      buf[p++] = HEX[x & 15] as number;
    }
    this.len = p;
  }

  private counted(tag: number, b: Uint8Array): void {
    this.byte(tag);
    this.decimal(b.length);
    this.byte(0x3a);
    this.raw(b);
  }

  write(v: MValue): void {
    const start = this.len;
    switch (v.t) {
      case 'null':
      case 'none':
      case 'stopiter':
      case 'ellipsis':
        this.byte(SCALAR[v.t] as number);
        break;
      case 'bool':
        this.byte(v.v ? 0x54 : 0x46);
        break;
      case 'int':
        this.byte(0x69);
        this.ascii(v.v.toString());
        this.byte(0x3b);
        break;
      case 'float':
        this.byte(0x67);
        this.hex(v.bits);
        break;
      case 'complex':
        this.byte(0x79);
        this.hex(v.re);
        this.hex(v.im);
        break;
      case 'bytes':
        this.counted(0x73, v.v);
        break;
      case 'str':
        this.counted(0x75, v.v);
        break;
      default:
        this.container(v, start);
        return;
    }
    this.upper += this.len - start;
  }

  private container(v: MValue, start: number): void {
    const memo = this.shared === undefined || this.shared.has(v);
    const s = memo ? this.at.get(v) : undefined;
    if (s !== undefined) {
      // Written before: copy those bytes (the slow path's memo hit, which counts nothing).
      const e = this.end.get(v) as number;
      this.room(e - s);
      this.buf.copyWithin(this.len, s, e);
      this.len += e - s;
      return;
    }
    switch (v.t) {
      case 'tuple':
      case 'list':
        this.byte(v.t === 'tuple' ? 0x28 : 0x5b);
        this.decimal(v.items.length);
        this.byte(0x3a);
        for (const x of v.items) this.write(x);
        break;
      case 'set':
      case 'frozenset':
        this.byte(v.t === 'set' ? 0x3c : 0x3e);
        this.decimal(v.items.length);
        this.byte(0x3a);
        this.sortedItems(v.items);
        break;
      case 'dict':
        this.byte(0x7b);
        this.decimal(v.entries.length);
        this.byte(0x3a);
        for (const [k, x] of v.entries) {
          this.write(k);
          this.write(x);
        }
        break;
      case 'slice':
        this.byte(0x3a);
        this.write(v.start);
        this.write(v.stop);
        this.write(v.step);
        break;
      case 'code': {
        this.byte(0x63);
        this.ascii(v.layout);
        const f = v.f;
        for (const name in f) {
          if (name === 'co_filename') continue;
          this.raw(fieldPrefix(name));
          const x = f[name] as number | MValue;
          if (typeof x === 'number') {
            this.ascii(String(x));
            this.byte(0x3b);
          } else {
            this.write(x);
          }
        }
        break;
      }
      default:
        throw new Error(`not a container: ${v.t}`);
    }
    if (memo) {
      this.at.set(v, start);
      this.end.set(v, this.len);
      this.inSet?.push(v);
    }
    this.upper += this.len - start;
  }

  /** Items ordered by their own bytes (the slow path sorts their strings: the same order). */
  private sortedItems(items: readonly MValue[]): void {
    const outer = this.inSet;
    const moved: MValue[] = [];
    this.inSet = moved;
    const from = this.len;
    const ranges: [number, number][] = [];
    for (const x of items) {
      const s = this.len;
      this.write(x);
      ranges.push([s, this.len]);
    }
    this.inSet = outer;
    const region = this.buf.slice(from, this.len);
    const view = (r: [number, number]): Uint8Array => region.subarray(r[0] - from, r[1] - from);
    ranges.sort((a, b) => Buffer.compare(view(a), view(b)));
    let p = from;
    for (const r of ranges) {
      this.buf.set(view(r), p);
      p += r[1] - r[0];
    }
    // Containers first written inside the items have moved: forget them (writing again is only slower).
    for (const m of moved) {
      this.at.delete(m);
      this.end.delete(m);
    }
  }
}

/**
 * The canonical bytes of `root`, unless they alone exceed `budget`. The bytes are valid until the next
 * call. `shared` (from `parsePyc`) lets nodes that occur once skip the memo.
 */
export function canonicalBytes(root: MValue, budget: number, shared?: ReadonlySet<MValue>): CanonicalBytes {
  const w = new Writer(budget, shared);
  try {
    w.write(root);
  } catch (e) {
    if (e instanceof Over) return { ok: false };
    throw e;
  }
  return { ok: true, bytes: w.buf.subarray(0, w.len), upper: w.upper };
}
