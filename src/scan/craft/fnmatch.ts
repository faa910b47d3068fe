/**
 * Python's `fnmatch.translate` (3.9+) as a matcher over whole strings. pathlib applies it to one name at a
 * time, `fnmatch.fnmatch` (permissions) to a whole relative path, where `*` also crosses `/`.
 * Bracket handling follows CPython: `[!..]` negates, a leading `]` is literal, an unclosed `[` is literal,
 * reversed ranges are dropped, and the resulting class is read with `re`'s rules (`a-c-e` is a range then
 * the literals `-` and `e`).
 */

type Token =
  | { t: 'star' }
  | { t: 'any' }
  | { t: 'lit'; cp: number }
  | { t: 'never' }
  | { t: 'class'; negate: boolean; ranges: [number, number][] };

const cache = new Map<string, RegExp>();

/** Whole-string match with Python `fnmatch.fnmatchcase` semantics (case-sensitive, DOTALL). */
export function fnmatchcase(name: string, pattern: string): boolean {
  let re = cache.get(pattern);
  if (re === undefined) {
    re = toRegExp(translate(pattern));
    if (cache.size > 4096) cache.clear();
    cache.set(pattern, re);
  }
  return re.test(name);
}

/** True when pathlib (3.10–3.12) treats a pattern component as a wildcard rather than a literal name. */
export const isWildcard = (pat: string): boolean => pat.includes('*') || pat.includes('?') || pat.includes('[');

function translate(pattern: string): Token[] {
  const pat = Array.from(pattern);
  const n = pat.length;
  const out: Token[] = [];
  let i = 0;
  while (i < n) {
    const c = pat[i] as string;
    i++;
    if (c === '*') {
      if (out.at(-1)?.t !== 'star') out.push({ t: 'star' });
    } else if (c === '?') {
      out.push({ t: 'any' });
    } else if (c === '[') {
      let j = i;
      if (j < n && pat[j] === '!') j++;
      if (j < n && pat[j] === ']') j++;
      while (j < n && pat[j] !== ']') j++;
      if (j >= n) {
        out.push({ t: 'lit', cp: 0x5b });
        continue;
      }
      const stuff = bracketBody(pat, i, j);
      i = j + 1;
      out.push(stuff);
    } else {
      out.push({ t: 'lit', cp: c.codePointAt(0) as number });
    }
  }
  return out;
}

/** The class between `[` (at i-1) and `]` (at j), built the way fnmatch builds the `re` source. */
function bracketBody(pat: string[], start: number, j: number): Token {
  // fnmatch's chunking: split on the hyphens that form ranges, merge reversed ranges away.
  let i = start;
  let body: string;
  const slice = (a: number, b: number): string => pat.slice(a, b).join('');
  const stuffRaw = slice(i, j);
  if (!stuffRaw.includes('-')) {
    body = stuffRaw.replaceAll('\\', '\\\\');
  } else {
    const chunks: string[] = [];
    let k = pat[i] === '!' ? i + 2 : i + 1;
    for (;;) {
      let found = -1;
      for (let q = k; q < j; q++) {
        if (pat[q] === '-') {
          found = q;
          break;
        }
      }
      if (found < 0) break;
      chunks.push(slice(i, found));
      i = found + 1;
      k = found + 3;
    }
    const chunk = slice(i, j);
    if (chunk) chunks.push(chunk);
    else chunks[chunks.length - 1] += '-';
    for (let q = chunks.length - 1; q > 0; q--) {
      const prev = Array.from(chunks[q - 1] as string);
      const cur = Array.from(chunks[q] as string);
      if (cp(prev.at(-1)) > cp(cur[0])) {
        chunks[q - 1] = prev.slice(0, -1).join('') + cur.slice(1).join('');
        chunks.splice(q, 1);
      }
    }
    body = chunks.map((s) => s.replaceAll('\\', '\\\\').replaceAll('-', '\\-')).join('-');
  }
  body = body.replace(/([&~|])/g, '\\$1');
  if (body === '') return { t: 'never' };
  if (body === '!') return { t: 'any' };
  let negate = false;
  if (body[0] === '!') {
    negate = true;
    body = body.slice(1);
  } else if (body[0] === '^' || body[0] === '[') {
    body = `\\${body}`;
  }
  return { t: 'class', negate, ranges: parseReClass(Array.from(body)) };
}

const cp = (s: string | undefined): number => (s === undefined ? -1 : (s.codePointAt(0) as number));

/** `sre_parse`'s reading of a class body made only of literals and `\x` escapes (x never alphanumeric). */
function parseReClass(s: string[]): [number, number][] {
  const ranges: [number, number][] = [];
  let p = 0;
  const get = (): number | undefined => {
    const c = s[p++];
    if (c === undefined) return undefined;
    if (c === '\\') return cp(s[p++]);
    return cp(c);
  };
  while (p < s.length) {
    const lo = get() as number;
    if (s[p] === '-' && p + 1 < s.length) {
      p++;
      const hi = get() as number;
      if (hi < lo) return []; // re.error in CPython; fnmatch never produces it after merging
      ranges.push([lo, hi]);
    } else {
      ranges.push([lo, lo]);
    }
  }
  return ranges;
}

function toRegExp(tokens: Token[]): RegExp {
  const hex = (n: number): string => `\\u{${n.toString(16)}}`;
  let src = '';
  for (const tok of tokens) {
    switch (tok.t) {
      case 'star':
        src += '[^]*';
        break;
      case 'any':
        src += '[^]';
        break;
      case 'never':
        src += '(?!)';
        break;
      case 'lit':
        src += hex(tok.cp);
        break;
      case 'class':
        src += `[${tok.negate ? '^' : ''}${tok.ranges.map(([a, b]) => (a === b ? hex(a) : `${hex(a)}-${hex(b)}`)).join('')}]`;
        break;
    }
  }
  return new RegExp(`^(?:${src})$`, 'u');
}
