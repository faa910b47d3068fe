/**
 * A per-file fingerprint of a pyc's code that two pycs share exactly when `comparePycs` would call
 * them equal apart from filenames: references resolved (the tree already is), FLAG_REF and encoding
 * forms ignored, set items unordered, floats bit-exact, every co_filename left out. It lets a
 * classifier parse each file once and compare many pairs by one string, instead of re-parsing both
 * files for every pair (13 parts share a path in up to 78 pairs). The digest is SHA-256 over a
 * canonical serialisation, so equal fingerprints mean equal code short of a SHA-256 collision.
 */
import { createHash } from 'node:crypto';
import { canonicalBytes } from './canonical-bytes.js';
import { filenamesOf } from './compare.js';
import type { MValue } from './marshal.js';
import { parsePyc } from './marshal.js';

export interface PycFingerprint {
  magic: number;
  /** SHA-256 (hex) of the canonical code, filenames excluded. */
  code: string;
  /** Every distinct co_filename, sorted. */
  filenames: string[];
  /** The marshal body's own bytes digest: equal bodies mean a header-only difference. */
  body: string;
}

const sha = (s: string | Uint8Array): string =>
  typeof s === 'string' ? createHash('sha256').update(s, 'latin1').digest('hex') : createHash('sha256').update(s).digest('hex');
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/**
 * One canonical serialisation of the tree, hashed once. Strings are length-prefixed, so the encoding
 * is unambiguous. Shared subtrees are memoised as strings; a hostile reference graph could make the
 * expanded text explode, so past a budget we fall back to per-node digests (linear in nodes).
 * `canonicalBytes` writes the same text as bytes, faster; this is the reference it is tested against,
 * and the judge when only the exact budget count can tell.
 */
export function canonicalText(root: MValue, budget: number): string | undefined {
  const memo = new Map<MValue, string>();
  let total = 0;
  const lb = (b: Uint8Array): string => `${b.length}:${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1')}`;
  const d = (v: MValue): string => {
    const m = memo.get(v);
    if (m !== undefined) return m;
    let out: string;
    switch (v.t) {
      case 'null':
      case 'none':
      case 'stopiter':
      case 'ellipsis':
        out = v.t[0] as string;
        break;
      case 'bool':
        out = v.v ? 'T' : 'F';
        break;
      case 'int':
        out = `i${v.v.toString()};`;
        break;
      case 'float':
        out = `g${hex(v.bits)}`;
        break;
      case 'complex':
        out = `y${hex(v.re)}${hex(v.im)}`;
        break;
      case 'bytes':
        out = `s${lb(v.v)}`;
        break;
      case 'str':
        out = `u${lb(v.v)}`;
        break;
      case 'tuple':
      case 'list':
        out = `${v.t === 'tuple' ? '(' : '['}${v.items.length}:${v.items.map(d).join('')}`;
        break;
      case 'set':
      case 'frozenset': {
        // Items sorted by their own serialisation: order-free, like the structural compare.
        out = `${v.t === 'set' ? '<' : '>'}${v.items.length}:${v.items.map(d).sort().join('')}`;
        break;
      }
      case 'dict':
        out = `{${v.entries.length}:${v.entries.map(([k, x]) => d(k) + d(x)).join('')}`;
        break;
      case 'slice':
        out = `:${d(v.start)}${d(v.stop)}${d(v.step)}`;
        break;
      case 'code': {
        let s = `c${v.layout}`;
        for (const [name, f] of Object.entries(v.f)) {
          if (name === 'co_filename') continue;
          s += `|${name}=${typeof f === 'number' ? `${f};` : d(f)}`;
        }
        out = s;
        break;
      }
    }
    total += out.length;
    if (total > budget) throw new BudgetExceeded();
    memo.set(v, out);
    return out;
  };
  try {
    return d(root);
  } catch (e) {
    if (e instanceof BudgetExceeded) return undefined;
    throw e;
  }
}

class BudgetExceeded extends Error {}

function digestTree(root: MValue): string {
  // Memoised per node: shared subtrees (references) cost once, and hostile DAGs stay linear.
  const memo = new Map<MValue, string>();
  const d = (v: MValue): string => {
    const m = memo.get(v);
    if (m !== undefined) return m;
    let key: string;
    switch (v.t) {
      case 'null':
      case 'none':
      case 'stopiter':
      case 'ellipsis':
        key = v.t;
        break;
      case 'bool':
        key = v.v ? 'T' : 'F';
        break;
      case 'int':
        key = `i${v.v.toString()}`;
        break;
      case 'float':
        key = `g${hex(v.bits)}`;
        break;
      case 'complex':
        key = `y${hex(v.re)}${hex(v.im)}`;
        break;
      case 'bytes':
        key = `s${sha(v.v)}`;
        break;
      case 'str':
        // By value: z/Z/a/A/u/t and interning are encoding choices, not code.
        key = `u${sha(v.v)}`;
        break;
      case 'tuple':
      case 'list':
        key = `${v.t === 'tuple' ? '(' : '['}${v.items.map(d).join(',')}`;
        break;
      case 'set':
      case 'frozenset':
        key = `${v.t === 'set' ? '<' : '>'}${v.items.map(d).sort().join(',')}`;
        break;
      case 'dict':
        key = `{${v.entries.map(([k, x]) => `${d(k)}:${d(x)}`).join(',')}`;
        break;
      case 'slice':
        key = `:${d(v.start)},${d(v.stop)},${d(v.step)}`;
        break;
      case 'code': {
        let s = `c${v.layout}`;
        for (const [name, f] of Object.entries(v.f)) {
          if (name === 'co_filename') continue;
          s += `|${name}=${typeof f === 'number' ? f : d(f)}`;
        }
        key = s;
        break;
      }
    }
    const out = sha(key);
    memo.set(v, out);
    return out;
  };
  return d(root);
}

/** The digest budget: normal pycs serialise to a few times their body; 64x plus slack bounds memory. */
const budgetOf = (body: Uint8Array): number => 64 * body.length + (1 << 20);

/** Throws FormatError (from the reader) when the file cannot be parsed. */
export function fingerprintPyc(buf: Uint8Array): PycFingerprint {
  const p = parsePyc(buf);
  const budget = budgetOf(p.body);
  const fast = canonicalBytes(p.code, budget, p.shared);
  let code: string;
  if (fast.ok && fast.upper <= budget) {
    code = `s:${sha(fast.bytes)}`;
  } else if (!fast.ok) {
    code = `d:${digestTree(p.code)}`;
  } else {
    // Near the budget only the slow path's exact count decides which digest applies.
    const text = canonicalText(p.code, budget);
    code = text !== undefined ? `s:${sha(text)}` : `d:${digestTree(p.code)}`;
  }
  return { magic: p.header.magic, code, filenames: filenamesOf(p.code), body: sha(p.body) };
}

/** The fingerprint as computed before `canonicalBytes` (tests hold the two equal). */
export function fingerprintPycReference(buf: Uint8Array): PycFingerprint {
  const p = parsePyc(buf);
  const text = canonicalText(p.code, budgetOf(p.body));
  const code = text !== undefined ? `s:${sha(text)}` : `d:${digestTree(p.code)}`;
  return { magic: p.header.magic, code, filenames: filenamesOf(p.code), body: sha(p.body) };
}
