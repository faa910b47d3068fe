/**
 * The normalised JSON form of a marshal tree, as `scripts/pyc/dump_marshal.py` prints it from the
 * interpreter's own marshal.loads: code objects by their Python attributes (3.11+ varnames, cellvars,
 * freevars and nlocals rebuilt from the localsplus kinds, §4.1), floats as their 8 LE bytes in hex,
 * references expanded. Set items keep read order; callers sort them (see sortSets).
 */
import { FormatError } from '../../errors.js';
import { children, wtf8ToString, type MValue } from './marshal.js';

export type Json = null | boolean | string | Json[] | { [k: string]: Json };

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** Expansion budget: references make a DAG, and expanding a hostile one could be exponential. */
const MAX_NODES = 20_000_000;

const CO_LOCAL = 0x20;
const CO_CELL = 0x40;
const CO_FREE = 0x80;

/** Node count once references are expanded, saturating just above MAX_NODES; linear in distinct nodes. */
function expandedSize(root: MValue): number {
  const memo = new Map<MValue, number>();
  const size = (v: MValue): number => {
    const m = memo.get(v);
    if (m !== undefined) return m;
    let n = 1;
    for (const c of children(v)) n = Math.min(MAX_NODES + 1, n + size(c));
    memo.set(v, n);
    return n;
  };
  return size(root);
}

export function dumpValue(root: MValue): Json {
  if (expandedSize(root) > MAX_NODES) throw new FormatError('pyc', `dump larger than ${MAX_NODES} nodes once references are expanded`);
  const d = (v: MValue): Json => {
    switch (v.t) {
      case 'null': return { null: true };
      case 'none': return null;
      case 'stopiter': return { stopiteration: true };
      case 'ellipsis': return { ellipsis: true };
      case 'bool': return v.v;
      case 'int': return { int: String(v.v) };
      case 'float': return { float: hex(v.bits) };
      case 'complex': return { complex: [hex(v.re), hex(v.im)] };
      case 'bytes': return { bytes: hex(v.v) };
      case 'str': return wtf8ToString(v.v);
      case 'tuple': case 'list': case 'set': case 'frozenset':
        return { [v.t]: v.items.map(d) };
      case 'dict': return { dict: v.entries.map(([k, x]) => [d(k), d(x)]) };
      case 'slice': return { slice: [d(v.start), d(v.stop), d(v.step)] };
      case 'code': {
        const out: Record<string, Json> = {};
        for (const [name, x] of Object.entries(v.f)) {
          if (name === 'co_localsplusnames' || name === 'co_localspluskinds') continue;
          out[name] = typeof x === 'number' ? { int: String(x) } : d(x);
        }
        if (v.layout === 'C') {
          const names = v.f.co_localsplusnames;
          const kinds = v.f.co_localspluskinds;
          const ns = typeof names === 'object' && names.t === 'tuple' ? names.items : [];
          const ks = typeof kinds === 'object' && kinds.t === 'bytes' ? kinds.v : new Uint8Array();
          const pick = (bit: number): Json => ({ tuple: ns.filter((_, i) => ((ks[i] ?? 0) & bit) !== 0).map(d) });
          out.co_varnames = pick(CO_LOCAL);
          out.co_cellvars = pick(CO_CELL);
          out.co_freevars = pick(CO_FREE);
          out.co_nlocals = { int: String(ks.filter((k) => (k & CO_LOCAL) !== 0).length) };
        }
        return { code: out };
      }
    }
  };
  return d(root);
}

/** Stable text of a JSON value with sorted object keys (for sorting set items on both sides alike). */
export function stableStringify(j: Json): string {
  if (j === null || typeof j !== 'object') return JSON.stringify(j);
  if (Array.isArray(j)) return `[${j.map(stableStringify).join(',')}]`;
  return `{${Object.keys(j).sort().map((k) => `${JSON.stringify(k)}:${stableStringify(j[k] as Json)}`).join(',')}}`;
}

/** Sort the items of every set/frozenset, so dumps from different writers compare with deep equality. */
export function sortSets(j: Json): Json {
  if (j === null || typeof j !== 'object') return j;
  if (Array.isArray(j)) return j.map(sortSets);
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(j)) {
    const x = sortSets(v);
    out[k] = (k === 'set' || k === 'frozenset') && Array.isArray(x)
      ? [...x].sort((a, b) => (stableStringify(a) < stableStringify(b) ? -1 : stableStringify(a) > stableStringify(b) ? 1 : 0))
      : x;
  }
  return out;
}
