/**
 * Do two pycs hold the same code? Equal up to co_filename, header stamp, FLAG_REF bits, ref indices and
 * set order (pyc-format.md §7.5). The verdict is data; the first difference is a readable path.
 */
import { describeVersion, parseHeader, versionOfMagic } from './header.js';
import { Canon } from './canon.js';
import { codeObjects, codeText, parsePyc, wtf8ToString, type CodeObject, type MValue } from './marshal.js';

export interface Filenames {
  a: string[];
  b: string[];
}

export type CompareResult =
  | { kind: 'identical' }
  /** Same body bytes, different header (mtime/size/flags/hash). */
  | { kind: 'header-only' }
  /** Bodies differ in bytes but hold equal code with the same filenames (set order, FLAG_REF bits). */
  | { kind: 'equivalent'; headerDiffers: boolean }
  | { kind: 'filename-only'; headerDiffers: boolean; filenames: Filenames }
  | {
      kind: 'code-differs';
      /** e.g. "<module>.co_consts[4].co_code" */
      path: string;
      /** Qualified name of the innermost code object holding the difference. */
      code: string;
      a: string;
      b: string;
      filenames: Filenames;
    }
  | { kind: 'magic-differs'; a: { magic: number; python: string }; b: { magic: number; python: string } };

export interface CompareOptions {
  /** Skip the identical-bytes fast paths (benchmarks, tests of the structural path). */
  structuralOnly?: boolean;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

const magicOf = (b: Uint8Array): number => (b[0] ?? 0) | ((b[1] ?? 0) << 8);

/** Distinct co_filename values, sorted. */
export function filenamesOf(root: MValue): string[] {
  // co_filename is one shared node per module: decode each distinct node once.
  const nodes = new Set<MValue | number | undefined>(codeObjects(root).map((c) => c.f.co_filename));
  const names = new Set<string>();
  for (const n of nodes) names.add(typeof n === 'object' && n.t === 'str' ? wtf8ToString(n.v) : '');
  return [...names].sort();
}

/** Short rendering of a value for difference reports. */
export function preview(v: MValue | number | undefined, max = 60): string {
  const cut = (s: string): string => (s.length > max ? `${s.slice(0, max)}…` : s);
  if (v === undefined) return '(missing)';
  if (typeof v === 'number') return String(v);
  switch (v.t) {
    case 'null': return 'NULL';
    case 'none': return 'None';
    case 'stopiter': return 'StopIteration';
    case 'ellipsis': return 'Ellipsis';
    case 'bool': return v.v ? 'True' : 'False';
    case 'int': return `int ${v.v}`;
    case 'float': return `float ${new DataView(v.bits.buffer, v.bits.byteOffset, 8).getFloat64(0, true)}`;
    case 'complex': return 'complex';
    case 'bytes': return cut(`bytes[${v.v.length}] ${Buffer.from(v.v).toString('hex')}`);
    case 'str': return cut(`str ${JSON.stringify(wtf8ToString(v.v))}`);
    case 'code': return `code ${codeText(v, 'co_qualname') || codeText(v, 'co_name')}`;
    case 'dict': return `dict[${v.entries.length}]`;
    case 'slice': return 'slice';
    default: return `${v.t}[${v.items.length}]`;
  }
}

const codeName = (c: CodeObject): string => codeText(c, 'co_qualname') || codeText(c, 'co_name');

interface Diff {
  path: string;
  code: string;
  a: string;
  b: string;
}

function sameArray(a: Uint8Array, b: Uint8Array): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  if (n > 64) return Buffer.from(a.buffer, a.byteOffset, n).equals(Buffer.from(b.buffer, b.byteOffset, n));
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Direct pairwise equality (co_filename ignored): cheaper than hash-consing every node. Sets, whose
 * order is hash-seed dependent before 3.11, fall back to value ids from Canon.
 */
class Eq {
  private canon: Canon | undefined;
  private readonly same = new Map<MValue, MValue>();

  ids(v: MValue): number {
    this.canon ??= new Canon({ ignoreFilename: true, keepInterned: false });
    return this.canon.id(v);
  }

  eq(a: MValue, b: MValue): boolean {
    if (a === b) return true;
    if (a.t !== b.t) return false;
    switch (a.t) {
      case 'int': return a.v === (b as typeof a).v;
      case 'bool': return a.v === (b as typeof a).v;
      case 'str': case 'bytes': return sameArray(a.v, (b as typeof a).v);
      case 'float': return sameArray(a.bits, (b as typeof a).bits);
      case 'complex': return sameArray(a.re, (b as typeof a).re) && sameArray(a.im, (b as typeof a).im);
      case 'null': case 'none': case 'stopiter': case 'ellipsis': return true;
      default: break;
    }
    if (this.same.get(a) === b) return true;
    let r: boolean;
    switch (a.t) {
      case 'tuple': case 'list': {
        const x = a.items;
        const y = (b as typeof a).items;
        r = x.length === y.length;
        for (let i = 0; r && i < x.length; i++) r = this.eq(x[i] as MValue, y[i] as MValue);
        break;
      }
      case 'set': case 'frozenset': {
        const x = a.items;
        const y = (b as typeof a).items;
        if (x.length !== y.length) r = false;
        else {
          const ix = x.map((v) => this.ids(v)).sort((p, q) => p - q);
          const iy = y.map((v) => this.ids(v)).sort((p, q) => p - q);
          r = ix.every((v, i) => v === iy[i]);
        }
        break;
      }
      case 'dict': {
        const x = a.entries;
        const y = (b as typeof a).entries;
        r = x.length === y.length && x.every(([k, v], i) => this.eq(k, (y[i] as [MValue, MValue])[0]) && this.eq(v, (y[i] as [MValue, MValue])[1]));
        break;
      }
      case 'slice': {
        const y = b as typeof a;
        r = this.eq(a.start, y.start) && this.eq(a.stop, y.stop) && this.eq(a.step, y.step);
        break;
      }
      case 'code': {
        const y = b as typeof a;
        r = a.layout === y.layout;
        if (r) {
          for (const name in a.f) {
            if (name === 'co_filename') continue;
            const fx = a.f[name] as number | MValue;
            const fy = y.f[name];
            if (typeof fx === 'number' || typeof fy !== 'object' ? fx !== fy : !this.eq(fx, fy)) {
              r = false;
              break;
            }
          }
        }
        break;
      }
      default: r = false;
    }
    if (r) this.same.set(a, b);
    return r;
  }
}

/** Walk down two unequal trees to the first differing leaf-most place. */
function locate(canon: Eq, a: MValue, b: MValue): Diff {
  let path = a.t === 'code' ? codeName(a) : '';
  let code = a.t === 'code' ? codeName(a) : '';
  let x = a;
  let y = b;
  for (;;) {
    const here = (): Diff => ({ path, code, a: preview(x), b: preview(y) });
    if (x.t !== y.t) return here();
    let next: [string, MValue, MValue] | undefined;
    if (x.t === 'code' && y.t === 'code') {
      if (x.layout !== y.layout) return here();
      for (const [name, fx] of Object.entries(x.f)) {
        if (name === 'co_filename') continue;
        const fy = y.f[name];
        if (typeof fx === 'number' || typeof fy === 'number' || fy === undefined) {
          if (fx !== fy) return { path: `${path}.${name}`, code, a: preview(fx), b: preview(fy) };
          continue;
        }
        if (!canon.eq(fx, fy)) {
          next = [`.${name}`, fx, fy];
          break;
        }
      }
    } else if ((x.t === 'tuple' || x.t === 'list') && (y.t === 'tuple' || y.t === 'list')) {
      const n = Math.min(x.items.length, y.items.length);
      for (let i = 0; i < n && next === undefined; i++) {
        const xi = x.items[i] as MValue;
        const yi = y.items[i] as MValue;
        if (!canon.eq(xi, yi)) next = [`[${i}]`, xi, yi];
      }
      if (next === undefined) return { path, code, a: `${x.t}[${x.items.length}]`, b: `${y.t}[${y.items.length}]` };
    } else if (x.t === 'dict' && y.t === 'dict') {
      const n = Math.min(x.entries.length, y.entries.length);
      for (let i = 0; i < n && next === undefined; i++) {
        const [kx, vx] = x.entries[i] as [MValue, MValue];
        const [ky, vy] = y.entries[i] as [MValue, MValue];
        if (!canon.eq(kx, ky)) next = [`{key ${i}}`, kx, ky];
        else if (!canon.eq(vx, vy)) next = [`[${preview(kx)}]`, vx, vy];
      }
    } else if (x.t === 'slice' && y.t === 'slice') {
      for (const k of ['start', 'stop', 'step'] as const) {
        if (!canon.eq(x[k], y[k])) {
          next = [`.${k}`, x[k], y[k]];
          break;
        }
      }
    }
    if (next === undefined) return here();
    path += next[0];
    x = next[1];
    y = next[2];
    if (x.t === 'code') code = codeName(x);
  }
}

/** Structural comparison of two parsed bodies (co_filename ignored). */
export function compareTrees(a: MValue, b: MValue): { equal: true } | ({ equal: false } & Diff) {
  const canon = new Eq();
  if (canon.eq(a, b)) return { equal: true };
  return { equal: false, ...locate(canon, a, b) };
}

/** Compare two pyc files. Throws FormatError when either cannot be parsed (after the magic check). */
export function comparePycs(a: Uint8Array, b: Uint8Array, opts: CompareOptions = {}): CompareResult {
  if (!opts.structuralOnly && sameBytes(a, b)) return { kind: 'identical' };
  const ma = magicOf(a);
  const mb = magicOf(b);
  if (ma !== mb) {
    return {
      kind: 'magic-differs',
      a: { magic: ma, python: describeVersion(versionOfMagic(ma)) },
      b: { magic: mb, python: describeVersion(versionOfMagic(mb)) },
    };
  }
  const ha = parseHeader(a);
  const size = ha.ok ? ha.header.size : 16;
  const headerDiffers = !sameBytes(a.subarray(0, size), b.subarray(0, size));
  if (!opts.structuralOnly && sameBytes(a.subarray(size), b.subarray(size))) return { kind: 'header-only' };
  const pa = parsePyc(a);
  const pb = parsePyc(b);
  const filenames = { a: filenamesOf(pa.code), b: filenamesOf(pb.code) };
  const r = compareTrees(pa.code, pb.code);
  if (!r.equal) return { kind: 'code-differs', path: r.path, code: r.code, a: r.a, b: r.b, filenames };
  const sameNames = filenames.a.length === filenames.b.length && filenames.a.every((n, i) => n === filenames.b[i]);
  return sameNames ? { kind: 'equivalent', headerDiffers } : { kind: 'filename-only', headerDiffers, filenames };
}
