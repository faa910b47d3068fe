/**
 * `_sysconfigdata_*.py`: the `build_time_vars = {...}` dict a CPython build writes into its stdlib
 * (pprint form, one `'KEY': value,` per line, long strings possibly split into implicitly concatenated
 * literals; Pyodide rewrites it as one line with f-strings). Read as text with a small literal lexer,
 * never executed. Facts: docs pyc-format.md §8.3.
 */
import { FormatError } from '../../errors.js';

/** A value as far as it can be known without running the file; `null` for f-strings and expressions. */
export type SysconfigValue = string | number | null;

export interface SysconfigData {
  soabi?: string;
  extSuffix?: string;
  multiarch?: string;
  abiflags?: string;
  /** `VERSION`, the minor version, e.g. `3.11`. */
  version?: string;
  vars: Map<string, SysconfigValue>;
}

const FORMAT = '_sysconfigdata';

type Token =
  | { t: 'str'; value: string; f: boolean; at: number }
  | { t: 'num'; value: number; at: number }
  | { t: 'name'; value: string; at: number }
  | { t: 'punct'; value: string; at: number };

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\', "'": "'", '"': '"', n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b', f: '\f', v: '\v',
};

function decodeEscapes(body: string): string {
  return body.replace(
    /\\(?:([\\'"nrtabfv])|\n|([0-7]{1,3})|x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))/g,
    (m, simple: string | undefined, oct: string | undefined, x: string | undefined, u: string | undefined, U: string | undefined) => {
      if (simple !== undefined) return SIMPLE_ESCAPES[simple] ?? m;
      const code = oct !== undefined ? parseInt(oct, 8) : parseInt(x ?? u ?? U ?? '', 16);
      if (Number.isNaN(code)) return ''; // backslash-newline: line continuation
      return code <= 0x10ffff ? String.fromCodePoint(code) : m;
    },
  );
}

class Lexer {
  pos: number;
  constructor(
    readonly src: string,
    start: number,
  ) {
    this.pos = start;
  }

  next(): Token | undefined {
    const s = this.src;
    for (;;) {
      while (this.pos < s.length && /\s/.test(s[this.pos] ?? '')) this.pos++;
      if (s[this.pos] === '\\' && s[this.pos + 1] === '\n') this.pos += 2;
      else if (s[this.pos] === '#') while (this.pos < s.length && s[this.pos] !== '\n') this.pos++;
      else break;
    }
    if (this.pos >= s.length) return undefined;
    const at = this.pos;
    const str = /^([rRbBuUfF]{0,2})('''|"""|'|")/.exec(s.slice(at, at + 5));
    if (str?.[2] !== undefined) {
      const prefix = (str[1] ?? '').toLowerCase();
      const quote = str[2];
      let i = at + str[0].length;
      const bodyStart = i;
      for (;;) {
        if (i >= s.length) throw new FormatError(FORMAT, 'unterminated string', `offset ${at}`);
        const c = s[i];
        if (c === '\\') i += 2;
        else if (s.startsWith(quote, i)) break;
        else if (c === '\n' && quote.length === 1) throw new FormatError(FORMAT, 'newline in string', `offset ${at}`);
        else i++;
      }
      const body = s.slice(bodyStart, i);
      this.pos = i + quote.length;
      return { t: 'str', value: prefix.includes('r') ? body : decodeEscapes(body), f: prefix.includes('f'), at };
    }
    const num = /^-?(?:0[xX][0-9a-fA-F_]+|\d[\d_]*(?:\.\d+)?(?:[eE][-+]?\d+)?)/.exec(s.slice(at, at + 64));
    if (num) {
      this.pos += num[0].length;
      return { t: 'num', value: Number(num[0].replace(/_/g, '')), at };
    }
    const name = /^[A-Za-z_]\w*/.exec(s.slice(at, at + 256));
    if (name) {
      this.pos += name[0].length;
      return { t: 'name', value: name[0], at };
    }
    this.pos++;
    return { t: 'punct', value: s[at] ?? '', at };
  }
}

const OPEN: Record<string, string> = { '{': '}', '(': ')', '[': ']' };

/** Reads one value up to the `,` or `}` that ends it. Only literal strings, their concatenation and numbers have a value. */
function readValue(lx: Lexer): { value: SysconfigValue; end: Token } {
  const parts: Token[] = [];
  const stack: string[] = [];
  for (;;) {
    const tok = lx.next();
    if (!tok) throw new FormatError(FORMAT, 'unterminated dict');
    if (tok.t === 'punct') {
      if (stack.length === 0 && (tok.value === ',' || tok.value === '}')) {
        return { value: evaluate(parts), end: tok };
      }
      const close = OPEN[tok.value];
      if (close) stack.push(close);
      else if (tok.value === ')' || tok.value === ']' || tok.value === '}') {
        if (stack.pop() !== tok.value) throw new FormatError(FORMAT, `unbalanced "${tok.value}"`, `offset ${tok.at}`);
      }
    }
    parts.push(tok);
  }
}

function evaluate(parts: Token[]): SysconfigValue {
  // pprint wraps a split string in parentheses: ('abc' 'def').
  let inner = parts;
  if (inner[0]?.t === 'punct' && inner[0].value === '(' && inner.at(-1)?.t === 'punct' && inner.at(-1)?.value === ')') {
    inner = inner.slice(1, -1);
  }
  if (inner.length === 1 && inner[0]?.t === 'num') return inner[0].value;
  if (inner.length > 0 && inner.every((p) => p.t === 'str' && !p.f)) {
    return inner.map((p) => (p.t === 'str' ? p.value : '')).join('');
  }
  return null;
}

/** Parses the `build_time_vars` dict; FormatError when there is none or it is not a literal dict. */
export function parseSysconfigdata(text: string): SysconfigData {
  const m = /^build_time_vars\s*=\s*\{/m.exec(text);
  if (!m) throw new FormatError(FORMAT, 'no "build_time_vars = {" found');
  const lx = new Lexer(text, m.index + m[0].length);
  const vars = new Map<string, SysconfigValue>();
  for (;;) {
    const key = lx.next();
    if (!key) throw new FormatError(FORMAT, 'unterminated dict');
    if (key.t === 'punct' && key.value === '}') break;
    if (key.t !== 'str' || key.f) throw new FormatError(FORMAT, 'expected a string key', `offset ${key.at}`);
    const colon = lx.next();
    if (colon?.t !== 'punct' || colon.value !== ':') throw new FormatError(FORMAT, 'expected ":"', `offset ${key.at}`);
    const { value, end } = readValue(lx);
    vars.set(key.value, value);
    if (end.value === '}') break;
  }
  const str = (k: string): string | undefined => {
    const v = vars.get(k);
    return typeof v === 'string' ? v : undefined;
  };
  const out: SysconfigData = { vars };
  const fields = { soabi: 'SOABI', extSuffix: 'EXT_SUFFIX', multiarch: 'MULTIARCH', abiflags: 'ABIFLAGS', version: 'VERSION' } as const;
  for (const [field, key] of Object.entries(fields) as [keyof typeof fields, string][]) {
    const v = str(key);
    if (v !== undefined) out[field] = v;
  }
  return out;
}
