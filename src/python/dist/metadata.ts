/**
 * Core metadata (`METADATA` in .dist-info, `PKG-INFO` in .egg-info): RFC 822 style headers, then an
 * optional body (the long description) after the first blank line.
 * https://packaging.python.org/en/latest/specifications/core-metadata/
 */
import { FormatError } from '../../errors.js';

export interface CoreMetadata {
  name: string;
  version: string;
  metadataVersion?: string;
  summary?: string;
  requiresPython?: string;
  /** Multiple-use field, in file order. */
  requiresDist: string[];
  /** Every header, lowercased key → values in file order (continuation lines joined with `\n`). */
  headers: Map<string, string[]>;
  /** Text after the blank line that ends the headers; undefined when there is none. */
  body?: string;
}

// RFC 5322 field-name: printable ASCII except `:` and space.
const HEADER = /^([\x21-\x39\x3b-\x7e]+):[ \t]*(.*)$/;

/** Parses METADATA / PKG-INFO text. Missing Name or Version, or a line that is no header, is a FormatError. */
export function parseMetadata(text: string, format = 'METADATA'): CoreMetadata {
  const lines = text.split(/\r\n|\n|\r/);
  const headers = new Map<string, string[]>();
  let last: { key: string; index: number } | undefined;
  let bodyStart: number | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === '') {
      bodyStart = i + 1;
      break;
    }
    if (line[0] === ' ' || line[0] === '\t') {
      if (!last) throw new FormatError(format, 'continuation line before any header', `line ${i + 1}`);
      const values = headers.get(last.key) ?? [];
      values[last.index] = `${values[last.index] ?? ''}\n${line}`;
      continue;
    }
    const m = HEADER.exec(line);
    if (!m?.[1]) throw new FormatError(format, 'expected "Name: value"', `line ${i + 1}`);
    const key = m[1].toLowerCase();
    const values = headers.get(key) ?? [];
    values.push(m[2] ?? '');
    headers.set(key, values);
    last = { key, index: values.length - 1 };
  }
  const one = (key: string): string | undefined => headers.get(key)?.[0]?.trim();
  const name = one('name');
  const version = one('version');
  if (!name) throw new FormatError(format, 'no Name header');
  if (!version) throw new FormatError(format, 'no Version header');
  const out: CoreMetadata = {
    name,
    version,
    requiresDist: (headers.get('requires-dist') ?? []).map((v) => v.trim()),
    headers,
  };
  const metadataVersion = one('metadata-version');
  const summary = one('summary');
  const requiresPython = one('requires-python');
  if (metadataVersion !== undefined) out.metadataVersion = metadataVersion;
  if (summary !== undefined) out.summary = summary;
  if (requiresPython !== undefined) out.requiresPython = requiresPython;
  if (bodyStart !== undefined && bodyStart < lines.length) out.body = lines.slice(bodyStart).join('\n');
  return out;
}
