/**
 * A marshal reader for pyc bodies of CPython 3.6–3.14 (final releases). Facts: pyc-format.md §3–§4.
 * It yields a tree whose shared nodes are the resolved references; FLAG_REF bits and ref indices are
 * not kept, because they depend on refcounts in the writing process (§3.2, §7), not on the code.
 */
import { FormatError } from '../../errors.js';
import { parseHeader, type PycHeader, describeVersion } from './header.js';

export type Layout = 'A' | 'B' | 'C';

export interface CodeObject {
  t: 'code';
  layout: Layout;
  /** Marshalled fields by their Python attribute names (co_argcount, co_consts, ...), ints as numbers. */
  f: Record<string, number | MValue>;
}

export type MValue =
  | { t: 'null' }
  | { t: 'none' }
  | { t: 'stopiter' }
  | { t: 'ellipsis' }
  | { t: 'bool'; v: boolean }
  /** A number whenever the value is a safe integer, so equal ints are === equal. */
  | { t: 'int'; v: number | bigint }
  /** The 8 IEEE-754 bytes, little-endian: bit-exact (-0.0, NaN payloads). */
  | { t: 'float'; bits: Uint8Array }
  | { t: 'complex'; re: Uint8Array; im: Uint8Array }
  | { t: 'bytes'; v: Uint8Array }
  /** UTF-8 with lone surrogates allowed (WTF-8), whatever the marshal form (z/Z/a/A/u/t). */
  | { t: 'str'; v: Uint8Array; interned: boolean }
  | { t: 'tuple' | 'list' | 'set' | 'frozenset'; items: MValue[] }
  | { t: 'dict'; entries: [MValue, MValue][] }
  | { t: 'slice'; start: MValue; stop: MValue; step: MValue }
  | CodeObject;

type FieldKind = 'i' | 'o';
const A: readonly (readonly [string, FieldKind])[] = [
  ['co_argcount', 'i'], ['co_kwonlyargcount', 'i'], ['co_nlocals', 'i'], ['co_stacksize', 'i'],
  ['co_flags', 'i'], ['co_code', 'o'], ['co_consts', 'o'], ['co_names', 'o'], ['co_varnames', 'o'],
  ['co_freevars', 'o'], ['co_cellvars', 'o'], ['co_filename', 'o'], ['co_name', 'o'],
  ['co_firstlineno', 'i'], ['co_lnotab', 'o'],
];
const B_HEAD: readonly (readonly [string, FieldKind])[] = [
  ['co_argcount', 'i'], ['co_posonlyargcount', 'i'], ['co_kwonlyargcount', 'i'], ['co_nlocals', 'i'],
  ['co_stacksize', 'i'], ['co_flags', 'i'], ['co_code', 'o'], ['co_consts', 'o'], ['co_names', 'o'],
  ['co_varnames', 'o'], ['co_freevars', 'o'], ['co_cellvars', 'o'], ['co_filename', 'o'],
  ['co_name', 'o'], ['co_firstlineno', 'i'],
];
const C: readonly (readonly [string, FieldKind])[] = [
  ['co_argcount', 'i'], ['co_posonlyargcount', 'i'], ['co_kwonlyargcount', 'i'], ['co_stacksize', 'i'],
  ['co_flags', 'i'], ['co_code', 'o'], ['co_consts', 'o'], ['co_names', 'o'],
  ['co_localsplusnames', 'o'], ['co_localspluskinds', 'o'], ['co_filename', 'o'], ['co_name', 'o'],
  ['co_qualname', 'o'], ['co_firstlineno', 'i'], ['co_linetable', 'o'], ['co_exceptiontable', 'o'],
];
/** 3.8–3.9 name the last field co_lnotab; 3.10 (PEP 626) co_linetable. Same bytes-object slot. */
const B_LNOTAB = [...B_HEAD, ['co_lnotab', 'o']] as const;
const B_LINETABLE = [...B_HEAD, ['co_linetable', 'o']] as const;

/** Field order of a code object (§4.1). */
export function codeFields(layout: Layout, magic: number): readonly (readonly [string, FieldKind])[] {
  if (layout === 'A') return A;
  if (layout === 'B') return magic >= 3430 ? B_LINETABLE : B_LNOTAB;
  return C;
}

export interface MarshalFormat {
  magic: number;
  layout: Layout;
  /** Whether ':' (slice, marshal v5) may occur: 3.14a1 dev (3608) on. */
  slices: boolean;
}

/** The marshal dialect for a magic number, or a FormatError for unknown and unsupported ones (§4.2). */
export function formatOfMagic(magic: number): MarshalFormat {
  if (magic < 3360 || (magic >= 3380 && magic < 3390) || magic >= 3650) {
    throw new FormatError('pyc', `unknown magic number ${magic}`);
  }
  // 3450–3493 are 3.11 alphas whose code layouts were never verified against a binary (§4.3).
  if (magic >= 3450 && magic < 3494) {
    throw new FormatError('pyc', `unsupported: magic ${magic} is a pre-final 3.11 code layout`);
  }
  const layout: Layout = magic < 3410 ? 'A' : magic < 3450 ? 'B' : 'C';
  return { magic, layout, slices: magic >= 3608 };
}

/**
 * Nesting limit for the reader, so hostile input cannot overflow the JS stack here or in the recursive
 * walks over the tree (compare, write, dump). Measured: those walks overflow Node's default stack near
 * 1,550 levels, so 600 leaves a 2.5x margin. Nothing CPython compiles comes close: its tokenizer caps
 * indentation at 100 levels and parentheses at 200 (MAXINDENT, MAXLEVEL), and a nested def costs two
 * marshal levels (code, co_consts tuple); the deepest stdlib pyc of 3.6–3.14 nests 15 levels.
 * (CPython's marshal allows 2,000: MAX_MARSHAL_STACK_DEPTH.)
 */
export const MAX_DEPTH = 600;

const FLAG_REF = 0x80;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

const NONE: MValue = { t: 'none' };
const NULL: MValue = { t: 'null' };

function isAscii(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if ((b[i] as number) >= 0x80) return false;
  return true;
}

/** Latin-1 bytes (what CPython makes of a 'z'/'a' payload) re-encoded as UTF-8. */
function latin1ToUtf8(b: Uint8Array): Uint8Array {
  return new Uint8Array(Buffer.from(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1'), 'utf8'));
}

/** UTF-8 validity with surrogatepass: like strict UTF-8, but ED A0–BF xx (U+D800–DFFF) is allowed. */
export function isWtf8(b: Uint8Array): boolean {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i] as number;
    if (c < 0x80) { i++; continue; }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) { need = 2; if (c === 0xe0) lo = 0xa0; }
    else if (c >= 0xf0 && c <= 0xf4) { need = 3; if (c === 0xf0) lo = 0x90; if (c === 0xf4) hi = 0x8f; }
    else return false;
    if (i + need >= n) return false;
    const c1 = b[i + 1];
    if (c1 === undefined || c1 < lo || c1 > hi) return false;
    for (let k = 2; k <= need; k++) {
      const ck = b[i + k];
      if (ck === undefined || ck < 0x80 || ck > 0xbf) return false;
    }
    i += need + 1;
  }
  return true;
}

/** Decode WTF-8 to a JS string; lone surrogates become lone UTF-16 code units, so nothing is lost. */
export function wtf8ToString(b: Uint8Array): string {
  if (isAscii(b)) return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
  let out = '';
  let i = 0;
  while (i < b.length) {
    const c = b[i] as number;
    let cp: number;
    if (c < 0x80) { cp = c; i += 1; }
    else if (c < 0xe0) { cp = ((c & 0x1f) << 6) | ((b[i + 1] ?? 0) & 0x3f); i += 2; }
    else if (c < 0xf0) { cp = ((c & 0x0f) << 12) | (((b[i + 1] ?? 0) & 0x3f) << 6) | ((b[i + 2] ?? 0) & 0x3f); i += 3; }
    else {
      cp = ((c & 0x07) << 18) | (((b[i + 1] ?? 0) & 0x3f) << 12) | (((b[i + 2] ?? 0) & 0x3f) << 6) | ((b[i + 3] ?? 0) & 0x3f);
      i += 4;
    }
    out += String.fromCodePoint(cp);
  }
  return out;
}

/** Encode a JS string (lone surrogates allowed) as WTF-8. */
export function stringToWtf8(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < s.length) {
      const lo = s.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) { cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00); i++; }
    }
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  return Uint8Array.from(out);
}

class Reader {
  pos: number;
  private readonly refs: (MValue | undefined)[] = [];
  /** Every node a reference resolved to: the only nodes that occur more than once in the tree. */
  readonly shared = new Set<MValue>();
  private readonly fields: readonly (readonly [string, FieldKind])[];

  constructor(
    private readonly buf: Uint8Array,
    private readonly fmt: MarshalFormat,
    /** Added to offsets in error messages (the header size when reading a pyc body). */
    private readonly base: number,
  ) {
    this.pos = 0;
    this.fields = codeFields(fmt.layout, fmt.magic);
  }

  fail(detail: string, at = this.pos): never {
    throw new FormatError('pyc', `bad marshal data (${detail})`, `offset ${at + this.base}`);
  }

  private need(n: number): void {
    if (n > this.buf.length - this.pos) this.fail(`truncated: ${n} bytes needed, ${this.buf.length - this.pos} left`);
  }

  private u8(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }

  i32(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return (b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16) | ((b[p + 3] as number) << 24);
  }

  private bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** An i32 length that must be non-negative and, at `minEach` bytes per element, fit in what is left. */
  private length(minEach: number): number {
    const at = this.pos;
    const n = this.i32();
    if (n < 0) this.fail(`negative length ${n}`, at);
    if (n * minEach > this.buf.length - this.pos) this.fail(`length ${n} exceeds the ${this.buf.length - this.pos} bytes left`, at);
    return n;
  }

  private items(n: number, depth: number): MValue[] {
    const out = new Array<MValue>(n);
    for (let i = 0; i < n; i++) out[i] = this.object(depth);
    return out;
  }

  object(depth: number): MValue {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    const at = this.pos;
    const code = this.u8();
    const type = code & ~FLAG_REF;
    let slot = -1;
    if (code & FLAG_REF) {
      if (type === 0x72) this.fail('FLAG_REF on a reference', at);
      slot = this.refs.length;
      this.refs.push(undefined);
    }
    const v = this.payload(type, at, depth + 1);
    if (slot >= 0) this.refs[slot] = v;
    return v;
  }

  private payload(type: number, at: number, depth: number): MValue {
    switch (type) {
      case 0x30: return NULL; // '0'
      case 0x4e: return NONE; // 'N'
      case 0x46: return { t: 'bool', v: false }; // 'F'
      case 0x54: return { t: 'bool', v: true }; // 'T'
      case 0x53: return { t: 'stopiter' }; // 'S'
      case 0x2e: return { t: 'ellipsis' }; // '.'
      case 0x69: return { t: 'int', v: this.i32() }; // 'i'
      case 0x49: { // 'I' int64, legacy
        const b = this.bytes(8);
        const v = new DataView(b.buffer, b.byteOffset, 8).getBigInt64(0, true);
        return { t: 'int', v: v >= -MAX_SAFE && v <= MAX_SAFE ? Number(v) : v };
      }
      case 0x6c: return this.long(); // 'l'
      case 0x67: return { t: 'float', bits: this.bytes(8) }; // 'g'
      case 0x79: return { t: 'complex', re: this.bytes(8), im: this.bytes(8) }; // 'y'
      case 0x66: return { t: 'float', bits: this.textFloat() }; // 'f'
      case 0x78: { // 'x'
        const re = this.textFloat();
        return { t: 'complex', re, im: this.textFloat() };
      }
      case 0x73: return { t: 'bytes', v: this.bytes(this.length(1)) }; // 's'
      case 0x75: case 0x74: { // 'u', 't'
        const v = this.bytes(this.length(1));
        if (!isAscii(v) && !isWtf8(v)) this.fail('invalid UTF-8 in str', at);
        return { t: 'str', v, interned: type === 0x74 };
      }
      case 0x61: case 0x41: return this.ascii(this.length(1), type === 0x41); // 'a', 'A'
      case 0x7a: case 0x5a: return this.ascii(this.u8(), type === 0x5a); // 'z', 'Z'
      case 0x28: return { t: 'tuple', items: this.items(this.length(1), depth) }; // '('
      case 0x29: { const n = this.u8(); this.need(n); return { t: 'tuple', items: this.items(n, depth) }; } // ')'
      case 0x5b: return { t: 'list', items: this.items(this.length(1), depth) }; // '['
      case 0x3c: return { t: 'set', items: this.items(this.length(1), depth) }; // '<'
      case 0x3e: return { t: 'frozenset', items: this.items(this.length(1), depth) }; // '>'
      case 0x7b: { // '{'
        const entries: [MValue, MValue][] = [];
        for (;;) {
          const k = this.object(depth);
          if (k.t === 'null') break;
          entries.push([k, this.object(depth)]);
        }
        return { t: 'dict', entries };
      }
      case 0x72: { // 'r'
        const n = this.i32();
        if (n < 0 || n >= this.refs.length) this.fail(`invalid reference ${n} (table has ${this.refs.length})`, at);
        const v = this.refs[n];
        // An unfilled slot is an object still being read: a reference cycle, which no pyc contains.
        if (v === undefined) this.fail(`reference ${n} to an unfinished object (cycle)`, at);
        this.shared.add(v);
        return v;
      }
      case 0x3a: { // ':' slice, marshal v5 (3.14)
        if (!this.fmt.slices) this.fail(`slice type ':' before 3.14 (magic ${this.fmt.magic})`, at);
        const start = this.object(depth);
        const stop = this.object(depth);
        return { t: 'slice', start, stop, step: this.object(depth) };
      }
      case 0x63: return this.code(depth); // 'c'
      default:
        return this.fail(`unknown type code 0x${type.toString(16).padStart(2, '0')}`, at);
    }
  }

  private ascii(n: number, interned: boolean): MValue {
    const raw = this.bytes(n);
    // CPython decodes these forms as Latin-1; store every str as UTF-8 so values compare by bytes.
    return { t: 'str', v: isAscii(raw) ? raw : latin1ToUtf8(raw), interned };
  }

  private textFloat(): Uint8Array {
    const at = this.pos;
    const n = this.u8();
    const text = Buffer.from(this.bytes(n)).toString('latin1').trim().toLowerCase();
    const special: Record<string, number> = { inf: Infinity, '+inf': Infinity, '-inf': -Infinity, nan: NaN, '+nan': NaN, '-nan': NaN };
    const x = special[text] ?? (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(text) ? Number(text) : undefined);
    if (x === undefined) this.fail(`bad float literal ${JSON.stringify(text)}`, at);
    const out = new Uint8Array(8);
    new DataView(out.buffer).setFloat64(0, x, true);
    return out;
  }

  private long(): MValue {
    const at = this.pos;
    const n = this.i32();
    if (n === -2147483648) this.fail('long size out of range', at);
    const size = Math.abs(n);
    this.need(size * 2);
    const b = this.buf;
    const p = this.pos;
    this.pos += size * 2;
    for (let i = 0; i < size; i++) {
      const d = (b[p + 2 * i] as number) | ((b[p + 2 * i + 1] as number) << 8);
      if (d > 0x7fff) this.fail('digit out of range in long', p + 2 * i);
    }
    if (size > 0 && ((b[p + 2 * size - 2] as number) | ((b[p + 2 * size - 1] as number) << 8)) === 0) {
      this.fail('unnormalized long data', at);
    }
    if (size <= 3) {
      let v = 0;
      for (let i = size - 1; i >= 0; i--) v = v * 32768 + ((b[p + 2 * i] as number) | ((b[p + 2 * i + 1] as number) << 8));
      return { t: 'int', v: n < 0 ? -v : v };
    }
    let v = 0n;
    for (let i = size - 1; i >= 0; i--) v = (v << 15n) | BigInt((b[p + 2 * i] as number) | ((b[p + 2 * i + 1] as number) << 8));
    if (n < 0) v = -v;
    return { t: 'int', v: v >= -MAX_SAFE && v <= MAX_SAFE ? Number(v) : v };
  }

  private code(depth: number): MValue {
    const f: Record<string, number | MValue> = {};
    for (const [name, kind] of this.fields) f[name] = kind === 'i' ? this.i32() : this.object(depth);
    return { t: 'code', layout: this.fmt.layout, f };
  }
}

/** Read one marshalled object (the whole of `body` need not be consumed, as with marshal.loads). */
export function readMarshal(body: Uint8Array, fmt: MarshalFormat, baseOffset = 0): MValue {
  return new Reader(body, fmt, baseOffset).object(0);
}

export interface ParsedPyc {
  header: PycHeader;
  format: MarshalFormat;
  body: Uint8Array;
  code: MValue;
  /** The nodes that occur more than once in `code` (reference targets); every other node occurs once. */
  shared: ReadonlySet<MValue>;
}

/** Header plus body; every problem (unknown magic, bad flags, corrupt body) is a FormatError. */
export function parsePyc(buf: Uint8Array): ParsedPyc {
  const h = parseHeader(buf);
  if (!h.ok) {
    const extra = h.magic !== undefined ? ` (magic ${h.magic}${h.flags !== undefined ? `, flags ${h.flags}` : ''})` : '';
    throw new FormatError('pyc', `bad header: ${h.reason}${extra}`, 'offset 0');
  }
  const format = formatOfMagic(h.header.magic);
  const body = buf.subarray(h.header.size);
  const reader = new Reader(body, format, h.header.size);
  const code = reader.object(0);
  return { header: h.header, format, body, code, shared: reader.shared };
}

// ---- helpers over the tree ----

export function isCode(v: MValue | number | undefined): v is CodeObject {
  return typeof v === 'object' && v.t === 'code';
}

/** A str field of a code object as text ('' when absent or not a str). */
export function codeText(c: CodeObject, field: string): string {
  const v = c.f[field];
  return typeof v === 'object' && v.t === 'str' ? wtf8ToString(v.v) : '';
}

/** Children of a node in marshal order (code fields included), for walks. */
export function children(v: MValue): MValue[] {
  switch (v.t) {
    case 'tuple': case 'list': case 'set': case 'frozenset': return v.items;
    case 'dict': return v.entries.flat();
    case 'slice': return [v.start, v.stop, v.step];
    case 'code': return Object.values(v.f).filter((x): x is MValue => typeof x === 'object');
    default: return [];
  }
}

/** Every distinct code object (by identity; shared nodes count once), pre-order. */
export function codeObjects(root: MValue): CodeObject[] {
  const seen = new Set<MValue>();
  const out: CodeObject[] = [];
  const stack: MValue[] = [root];
  while (stack.length > 0) {
    const v = stack.pop() as MValue;
    // Only containers and code objects can hold code; scalars are skipped without bookkeeping.
    if (v.t !== 'code' && v.t !== 'tuple' && v.t !== 'list' && v.t !== 'set' && v.t !== 'frozenset' && v.t !== 'dict' && v.t !== 'slice') continue;
    if (seen.has(v)) continue;
    seen.add(v);
    if (v.t === 'code') {
      out.push(v);
      const consts = v.f.co_consts;
      if (typeof consts === 'object') stack.push(consts);
      continue;
    }
    const ch = children(v);
    for (let i = ch.length - 1; i >= 0; i--) stack.push(ch[i] as MValue);
  }
  return out;
}

export { describeVersion };
