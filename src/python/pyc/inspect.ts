/** A JSON-able description of one pyc, for reports and the CLI. */
import { toHex } from './header.js';
import { filenamesOf } from './compare.js';
import { codeObjects, parsePyc } from './marshal.js';
import { checkAgainstSource, type SourceCheck, type SourceInfo } from './source.js';

export interface PycInspection {
  kind: 'pyc';
  magic: number;
  /** "3.11" for a final release, "3.11a3" for a pre-release magic. */
  python: string;
  final: boolean;
  headerSize: 12 | 16;
  flags: number;
  invalidation: 'timestamp' | 'unchecked-hash' | 'checked-hash';
  timestamp?: number;
  sourceSize?: number;
  hash?: string;
  sourceCheck?: SourceCheck;
  /** Every distinct co_filename, sorted. */
  filenames: string[];
  /** Total co_code bytes over distinct code objects. */
  codeSize: number;
  codeObjects: number;
  bodySize: number;
}

/** Throws FormatError for files it cannot parse (unknown magic, invalid flags, corrupt body). */
export function inspectPyc(buf: Uint8Array, source?: SourceInfo): PycInspection {
  const p = parsePyc(buf);
  const h = p.header;
  const codes = codeObjects(p.code);
  let codeSize = 0;
  for (const c of codes) {
    const co = c.f.co_code;
    if (typeof co === 'object' && co.t === 'bytes') codeSize += co.v.length;
  }
  const v = h.version;
  const out: PycInspection = {
    kind: 'pyc',
    magic: h.magic,
    python: v.known ? v.label : 'unknown',
    final: v.known && v.final,
    headerSize: h.size,
    flags: h.flags,
    invalidation: h.invalidation,
    filenames: filenamesOf(p.code),
    codeSize,
    codeObjects: codes.length,
    bodySize: p.body.length,
  };
  if (h.invalidation === 'timestamp') {
    out.timestamp = h.mtime;
    out.sourceSize = h.sourceSize;
  } else out.hash = toHex(h.hash);
  if (source !== undefined) out.sourceCheck = checkAgainstSource(h, source);
  return out;
}
