/**
 * Value identity for marshal trees by hash-consing: every node gets a small integer id such that two
 * nodes have the same id exactly when they are equal values. Compare and the canonical writer both use
 * it; memoised per node, so shared (referenced) subtrees cost once and hostile DAGs cannot blow up.
 */
import type { MValue } from './marshal.js';

export interface CanonOptions {
  /** Leave co_filename out of code-object identity (compare). */
  ignoreFilename: boolean;
  /** Distinguish interned from plain strings (the writer keeps the form; compare does not). */
  keepInterned: boolean;
}

const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');

export class Canon {
  private readonly ids = new Map<string, number>();
  private readonly memo = new Map<MValue, number>();

  constructor(readonly opts: CanonOptions) {}

  private intern(key: string): number {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(key, id);
    }
    return id;
  }

  /** The node's value id. Recursion depth is bounded by the reader's MAX_DEPTH. */
  id(v: MValue): number {
    const m = this.memo.get(v);
    if (m !== undefined) return m;
    const id = this.intern(this.key(v));
    this.memo.set(v, id);
    return id;
  }

  private ids_(items: readonly MValue[]): string {
    let s = '';
    for (const x of items) s += `${this.id(x)},`;
    return s;
  }

  private key(v: MValue): string {
    switch (v.t) {
      case 'null': return '0';
      case 'none': return 'N';
      case 'stopiter': return 'S';
      case 'ellipsis': return '.';
      case 'bool': return v.v ? 'T' : 'F';
      case 'int': return `i${v.v}`;
      case 'float': return `g${latin1(v.bits)}`;
      case 'complex': return `y${latin1(v.re)}${latin1(v.im)}`;
      case 'bytes': return `s${latin1(v.v)}`;
      case 'str': return `${this.opts.keepInterned && v.interned ? 't' : 'u'}${latin1(v.v)}`;
      case 'tuple': return `(${this.ids_(v.items)}`;
      case 'list': return `[${this.ids_(v.items)}`;
      case 'set': case 'frozenset': {
        // Unordered: 3.6–3.10 write sets in hash-seed order (§3.3).
        const ids = v.items.map((x) => this.id(x)).sort((a, b) => a - b);
        return `${v.t === 'set' ? '<' : '>'}${ids.join(',')}`;
      }
      case 'dict': {
        let s = '{';
        for (const [k, x] of v.entries) s += `${this.id(k)}:${this.id(x)},`;
        return s;
      }
      case 'slice': return `:${this.id(v.start)},${this.id(v.stop)},${this.id(v.step)}`;
      case 'code': {
        let s = `c${v.layout}`;
        for (const [name, x] of Object.entries(v.f)) {
          if (name === 'co_filename' && this.opts.ignoreFilename) continue;
          s += typeof x === 'number' ? `#${x}` : `@${this.id(x)}`;
        }
        return s;
      }
    }
  }
}
