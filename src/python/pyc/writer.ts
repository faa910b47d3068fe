/**
 * A marshal writer with a deterministic reference policy, and canonicalizePyc, which rewrites a pyc
 * into one byte form so that pycs of the same code built in different parts become byte-identical.
 * The policy (docs/pyc.md): walk pre-order in marshal field order, with set items sorted by their
 * ref-free marshal bytes; the first occurrence of a value that occurs again (value equality, interned
 * and plain strings distinct) carries FLAG_REF, later occurrences are 'r' to it; nothing else is flagged.
 */
import { FormatError, UsageError } from '../../errors.js';
import { Canon } from './canon.js';
import { magicBytes, parseHeader } from './header.js';
import {
  codeFields,
  codeText,
  isWtf8,
  parsePyc,
  stringToWtf8,
  type CodeObject,
  type MarshalFormat,
  type MValue,
} from './marshal.js';
import { loaderMtime, sourceHash } from './source.js';

class Sink {
  buf = new Uint8Array(1 << 16);
  len = 0;
  constructor(private readonly limit = 1 << 30) {}
  private grow(n: number): void {
    if (this.len + n <= this.buf.length) return;
    if (this.len + n > this.limit) throw new FormatError('pyc', `marshal output larger than ${this.limit} bytes`);
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  u8(x: number): void {
    this.grow(1);
    this.buf[this.len++] = x;
  }
  i32(x: number): void {
    this.grow(4);
    const b = this.buf;
    b[this.len++] = x & 0xff;
    b[this.len++] = (x >> 8) & 0xff;
    b[this.len++] = (x >> 16) & 0xff;
    b[this.len++] = (x >> 24) & 0xff;
  }
  bytes(x: Uint8Array): void {
    this.grow(x.length);
    this.buf.set(x, this.len);
    this.len += x.length;
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Never flagged by CPython either: singletons. */
const unshareable = (v: MValue): boolean =>
  v.t === 'null' || v.t === 'none' || v.t === 'bool' || v.t === 'ellipsis' || v.t === 'stopiter';

function isAsciiBytes(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if ((b[i] as number) >= 0x80) return false;
  return true;
}

function writeLong(s: Sink, v: bigint): void {
  const neg = v < 0n;
  let m = neg ? -v : v;
  const digits: number[] = [];
  while (m > 0n) {
    digits.push(Number(m & 0x7fffn));
    m >>= 15n;
  }
  s.i32(neg ? -digits.length : digits.length);
  for (const d of digits) {
    s.u8(d & 0xff);
    s.u8(d >> 8);
  }
}

/** The payload of a scalar, or the type byte plus count of a container; children are written by the caller. */
function writeHead(s: Sink, v: MValue, flag: number, fmt: MarshalFormat): void {
  switch (v.t) {
    case 'null': s.u8(0x30); return;
    case 'none': s.u8(0x4e); return;
    case 'stopiter': s.u8(0x53); return;
    case 'ellipsis': s.u8(0x2e); return;
    case 'bool': s.u8(v.v ? 0x54 : 0x46); return;
    case 'int': {
      if (typeof v.v === 'number' && v.v >= INT32_MIN && v.v <= INT32_MAX) {
        s.u8(0x69 | flag);
        s.i32(v.v);
      } else {
        s.u8(0x6c | flag);
        writeLong(s, BigInt(v.v));
      }
      return;
    }
    case 'float': s.u8(0x67 | flag); s.bytes(v.bits); return;
    case 'complex': s.u8(0x79 | flag); s.bytes(v.re); s.bytes(v.im); return;
    case 'bytes': s.u8(0x73 | flag); s.i32(v.v.length); s.bytes(v.v); return;
    case 'str': {
      // CPython's own choice of form (§3.1): short/long ASCII, else UTF-8; upper case when interned.
      if (isAsciiBytes(v.v)) {
        if (v.v.length < 256) {
          s.u8((v.interned ? 0x5a : 0x7a) | flag);
          s.u8(v.v.length);
        } else {
          s.u8((v.interned ? 0x41 : 0x61) | flag);
          s.i32(v.v.length);
        }
      } else {
        s.u8((v.interned ? 0x74 : 0x75) | flag);
        s.i32(v.v.length);
      }
      s.bytes(v.v);
      return;
    }
    case 'tuple':
      if (v.items.length < 256) {
        s.u8(0x29 | flag);
        s.u8(v.items.length);
      } else {
        s.u8(0x28 | flag);
        s.i32(v.items.length);
      }
      return;
    case 'list': s.u8(0x5b | flag); s.i32(v.items.length); return;
    case 'set': s.u8(0x3c | flag); s.i32(v.items.length); return;
    case 'frozenset': s.u8(0x3e | flag); s.i32(v.items.length); return;
    case 'dict': s.u8(0x7b | flag); return;
    case 'slice':
      if (!fmt.slices) throw new FormatError('pyc', `slice constant cannot be written for magic ${fmt.magic}`);
      s.u8(0x3a | flag);
      return;
    case 'code': s.u8(0x63 | flag); return;
  }
}

const compareBytes = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Set items in a deterministic order: by their ref-free marshal bytes, as CPython 3.11+ sorts sets
 * (bpo-37596). Memoised per node.
 */
class SetOrder {
  private readonly plain = new Map<MValue, string>();
  private budget = 1 << 26;
  constructor(private readonly fmt: MarshalFormat) {}

  private bytesOf(v: MValue): string {
    const m = this.plain.get(v);
    if (m !== undefined) return m;
    const s = new Sink();
    this.writePlain(s, v);
    const out = Buffer.from(s.buf.buffer, 0, s.len).toString('latin1');
    this.budget -= out.length;
    if (this.budget < 0) throw new FormatError('pyc', 'set items too large to order');
    this.plain.set(v, out);
    return out;
  }

  private writePlain(s: Sink, v: MValue): void {
    writeHead(s, v, 0, this.fmt);
    if (v.t === 'code') {
      for (const [name, kind] of codeFields(v.layout, this.fmt.magic)) {
        const x = v.f[name];
        if (kind === 'i') s.i32(typeof x === 'number' ? x : 0);
        else if (typeof x === 'object') s.bytes(Buffer.from(this.bytesOf(x), 'latin1'));
      }
      return;
    }
    for (const c of this.ordered(v)) s.bytes(Buffer.from(this.bytesOf(c), 'latin1'));
    if (v.t === 'dict') s.u8(0x30);
  }

  /** Children in write order. */
  ordered(v: MValue): MValue[] {
    switch (v.t) {
      case 'tuple': case 'list': return v.items;
      case 'set': case 'frozenset':
        return v.items
          .map((x) => [this.bytesOf(x), x] as const)
          .sort((p, q) => compareBytes(p[0], q[0]))
          .map((p) => p[1]);
      case 'dict': return v.entries.flat();
      case 'slice': return [v.start, v.stop, v.step];
      default: return [];
    }
  }
}

/** Marshal `root` with the canonical reference policy. */
export function writeMarshal(root: MValue, fmt: MarshalFormat): Uint8Array {
  const canon = new Canon({ ignoreFilename: false, keepInterned: true });
  const order = new SetOrder(fmt);
  const fields = (c: CodeObject) => codeFields(c.layout, fmt.magic);

  // Pass 1: how often the writer will meet each value (a repeated value's subtree is met once).
  const seen = new Map<number, number>();
  const count = (v: MValue): void => {
    if (!unshareable(v)) {
      const id = canon.id(v);
      const n = seen.get(id);
      if (n !== undefined) {
        seen.set(id, n + 1);
        return;
      }
      seen.set(id, 1);
    }
    if (v.t === 'code') {
      for (const [name, kind] of fields(v)) {
        const x = v.f[name];
        if (kind === 'o' && typeof x === 'object') count(x);
      }
    } else for (const c of order.ordered(v)) count(c);
  };
  count(root);

  // Pass 2: same walk; the slot is numbered at the type byte (pre-order), as the reader reserves it.
  const s = new Sink();
  const slots = new Map<number, number>();
  const write = (v: MValue): void => {
    let flag = 0;
    if (!unshareable(v)) {
      const id = canon.id(v);
      const slot = slots.get(id);
      if (slot !== undefined) {
        s.u8(0x72);
        s.i32(slot);
        return;
      }
      if ((seen.get(id) ?? 0) > 1) {
        flag = 0x80;
        slots.set(id, slots.size);
      }
    }
    writeHead(s, v, flag, fmt);
    if (v.t === 'code') {
      for (const [name, kind] of fields(v)) {
        const x = v.f[name];
        if (kind === 'i') s.i32(typeof x === 'number' ? x : 0);
        else if (typeof x === 'object') write(x);
        else throw new FormatError('pyc', `code object lacks ${name}`);
      }
      return;
    }
    for (const c of order.ordered(v)) write(c);
    if (v.t === 'dict') s.u8(0x30);
  };
  write(root);
  return s.result();
}

/**
 * Replace co_filename `old` by `next` in every code object that has it, as importlib's
 * _fix_co_filename does (§6.4); other code objects and plain string constants are left alone.
 * Copy-on-write with a memo, so shared subtrees stay shared.
 */
function renameFilenames(root: MValue, old: Uint8Array, next: MValue): MValue {
  const oldKey = Buffer.from(old).toString('latin1');
  const memo = new Map<MValue, MValue>();
  const isOld = (x: MValue | number | undefined): boolean =>
    typeof x === 'object' && x.t === 'str' && Buffer.from(x.v).toString('latin1') === oldKey;
  const visit = (v: MValue): MValue => {
    const m = memo.get(v);
    if (m !== undefined) return m;
    let out: MValue = v;
    switch (v.t) {
      case 'tuple': case 'list': case 'set': case 'frozenset': {
        const items = v.items.map(visit);
        if (items.some((x, i) => x !== v.items[i])) out = { t: v.t, items };
        break;
      }
      case 'dict': {
        const entries = v.entries.map(([k, x]) => [visit(k), visit(x)] as [MValue, MValue]);
        if (entries.some(([k, x], i) => k !== v.entries[i]?.[0] || x !== v.entries[i]?.[1])) out = { t: 'dict', entries };
        break;
      }
      case 'slice': {
        const [a, b, c] = [visit(v.start), visit(v.stop), visit(v.step)];
        if (a !== v.start || b !== v.stop || c !== v.step) out = { t: 'slice', start: a, stop: b, step: c };
        break;
      }
      case 'code': {
        const f: Record<string, number | MValue> = {};
        let changed = false;
        for (const [name, x] of Object.entries(v.f)) {
          const y = name === 'co_filename' ? (isOld(x) ? next : x) : typeof x === 'number' ? x : visit(x);
          if (y !== x) changed = true;
          f[name] = y;
        }
        if (changed) out = { t: 'code', layout: v.layout, f };
        break;
      }
      default:
        break;
    }
    memo.set(v, out);
    return out;
  };
  return visit(root);
}

export interface CanonicalizeOptions {
  /** The co_filename to write, or a function of the pyc's top-level co_filename. */
  filename: string | ((old: string) => string);
  /** Header kind for 3.7+; 3.6 (no hash-based pycs) always gets a timestamp header. */
  invalidation: 'checked-hash' | 'unchecked-hash';
  /** The source file's bytes: the header hash is computed from them. */
  source: Uint8Array;
  /** 3.6 only: the source's mtime (ns) and size for the timestamp header. */
  sourceMtimeNs?: bigint;
  sourceSize?: number;
}

/** Rewrite a pyc into the canonical form (see the module comment and docs/pyc.md). */
export function canonicalizePyc(buf: Uint8Array, opts: CanonicalizeOptions): Uint8Array {
  const p = parsePyc(buf);
  const root = p.code;
  if (root.t !== 'code') throw new FormatError('pyc', `top-level object is ${root.t}, not code`, 'offset 16');
  const oldFilename = root.f.co_filename;
  if (typeof oldFilename !== 'object' || oldFilename.t !== 'str') throw new FormatError('pyc', 'top-level co_filename is not a str');
  const wanted = typeof opts.filename === 'string' ? opts.filename : opts.filename(codeText(root, 'co_filename'));
  const encoded = stringToWtf8(wanted);
  if (!isWtf8(encoded)) throw new UsageError(`filename cannot be encoded: ${JSON.stringify(wanted)}`);
  const renamed = renameFilenames(root, oldFilename.v, { t: 'str', v: encoded, interned: oldFilename.interned });
  const body = writeMarshal(renamed, p.format);

  const magic = p.header.magic;
  let header: Uint8Array;
  if (p.header.size === 12) {
    if (opts.sourceMtimeNs === undefined) {
      throw new UsageError(`python ${p.header.version.known ? p.header.version.label : magic} pycs have no hash-based form: sourceMtimeNs is required`);
    }
    header = new Uint8Array(12);
    header.set(magicBytes(magic));
    const dv = new DataView(header.buffer);
    dv.setUint32(4, loaderMtime(opts.sourceMtimeNs) >>> 0, true);
    dv.setUint32(8, (opts.sourceSize ?? opts.source.length) >>> 0, true);
  } else {
    header = new Uint8Array(16);
    header.set(magicBytes(magic));
    new DataView(header.buffer).setUint32(4, opts.invalidation === 'checked-hash' ? 3 : 1, true);
    header.set(sourceHash(magic, opts.source), 8);
  }
  const out = new Uint8Array(header.length + body.length);
  out.set(header);
  out.set(body, header.length);
  // Self-check: the result must parse with the header we meant to write.
  const h = parseHeader(out);
  if (!h.ok) throw new FormatError('pyc', `canonical header did not parse: ${h.reason}`);
  return out;
}
