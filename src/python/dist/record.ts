/**
 * RECORD files of installed distributions: one CSV row `path,algorithm=digest,size` per installed file.
 * https://packaging.python.org/en/latest/specifications/recording-installed-packages/#the-record-file
 *
 * pip reads and writes them with Python's `csv` module (`csv.writer(f)` on a file opened with
 * `newline=""`): default dialect, QUOTE_MINIMAL, `\r\n` line terminator. Other installers (uv, installer)
 * write `\n`, so the parser keeps whatever the file uses and the serialiser takes it as an argument.
 */
import { posix } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { FormatError } from '../../errors.js';
import { sha256RecordDigest } from '../../util/hash.js';

export type LineEnding = '\r\n' | '\n' | '\r';

export interface RecordRow {
  /** As written: relative to the site-packages dir holding the .dist-info (may start with `../`). */
  path: string;
  /** `sha256`; absent when the hash field is empty (pyc files, RECORD itself). */
  algorithm?: string;
  /** urlsafe base64 without padding, as written. */
  digest?: string;
  /** Absent when the size field is empty. */
  size?: number;
  /** The row's exact text including its line ending, for byte-exact rewriting; absent on rows made here. */
  raw?: string;
}

/** The line ending that ends the first row (`\n` when there is none); line breaks inside quotes are data. */
export function detectLineEnding(text: string): LineEnding {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    // A doubled `""` inside quotes toggles twice, which leaves the state as it was.
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === '\n') return '\n';
    else if (!quoted && c === '\r') return text[i + 1] === '\n' ? '\r\n' : '\r';
  }
  return '\n';
}

const RECORD = 'RECORD';

function rowFromFields(fields: string[], where: string, raw: string | undefined): RecordRow {
  if (fields.length !== 3) throw new FormatError(RECORD, `expected 3 fields, found ${fields.length}`, where);
  const [path, hash, size] = fields as [string, string, string];
  if (path === '') throw new FormatError(RECORD, 'empty path', where);
  const row: RecordRow = raw === undefined ? { path } : { path, raw };
  if (hash !== '') {
    const eq = hash.indexOf('=');
    if (eq <= 0) throw new FormatError(RECORD, `hash field "${hash}" is not algorithm=digest`, where);
    const algorithm = hash.slice(0, eq);
    // Nearly every row says sha256: one shared string rather than a copy per row.
    row.algorithm = algorithm === 'sha256' ? 'sha256' : algorithm;
    row.digest = hash.slice(eq + 1);
  }
  if (size !== '') {
    // Only canonical decimal sizes, so that serialising gives the same bytes back.
    if (!/^(0|[1-9][0-9]{0,15})$/.test(size)) throw new FormatError(RECORD, `size "${size}" is not a number`, where);
    row.size = Number(size);
  }
  return row;
}

export interface ParseRecordOptions {
  /**
   * Keep each row's exact text (`raw`, default true). Only byte-exact rewriting needs it; without it a
   * parsed RECORD takes about half the memory (classification keeps every RECORD of a scan).
   */
  raw?: boolean;
}

const csvOptions = (text: string) => ({ record_delimiter: detectLineEnding(text), relax_quotes: true, relax_column_count: true, skip_empty_lines: true }) as const;

/** Parses RECORD text. Blank lines are skipped; anything that is not a 3-field row is a FormatError. */
export function parseRecord(text: string, opts: ParseRecordOptions = {}): RecordRow[] {
  const keepRaw = opts.raw ?? true;
  const buf = Buffer.from(text, 'utf8');
  if (!keepRaw) {
    // Without the rows' text, csv-parse's info object per row (and a "line N" per row) is needed only
    // to say where a row is wrong. Classification parses every RECORD of every part this way, and
    // those objects were the most promoted garbage of a large run (docs/performance.md). A file with a
    // bad row is parsed again below, for the same error with its line.
    try {
      const records = parse(buf, { ...csvOptions(text), info: false }) as string[][];
      const rows = new Array<RecordRow>(records.length);
      for (let i = 0; i < records.length; i++) rows[i] = rowFromFields(records[i] as string[], '', undefined);
      return rows;
    } catch {
      // Below.
    }
  }
  let parsed: { record: string[]; info: { bytes: number; lines: number } }[];
  try {
    parsed = parse(buf, { ...csvOptions(text), info: true }) as unknown as typeof parsed;
  } catch (e) {
    throw new FormatError(RECORD, e instanceof Error ? e.message : String(e));
  }
  let offset = 0;
  return parsed.map(({ record, info }) => {
    // csv-parse's own `raw` drops part of a `\r\n` terminator, so slice the input by byte offsets instead.
    const raw = keepRaw ? buf.subarray(offset, info.bytes).toString('utf8') : undefined;
    offset = info.bytes;
    return rowFromFields(record, `line ${info.lines}`, raw);
  });
}

function fields(row: RecordRow): [string, string, string] {
  const hash = row.algorithm !== undefined ? `${row.algorithm}=${row.digest ?? ''}` : '';
  return [row.path, hash, row.size !== undefined ? String(row.size) : ''];
}

/** Serialises rows exactly as pip's `csv.writer` would (QUOTE_MINIMAL, `"` doubled), one terminator per row. */
export function serializeRecord(rows: readonly RecordRow[], lineEnding: LineEnding = '\r\n'): string {
  if (rows.length === 0) return '';
  // Python quotes any field holding `\r` or `\n`, whatever the line terminator.
  return stringify(rows.map(fields), {
    record_delimiter: lineEnding,
    quote: '"',
    escape: '"',
    quote_record_delimiter: true,
    eof: true,
  });
}

/** Rows regeneration leaves as they are: bytecode (pip writes it unhashed) and RECORD itself. */
export function isUnhashedRow(path: string): boolean {
  return path.endsWith('.pyc') || /(^|\/)[^/]+\.dist-info\/RECORD$/.test(path);
}

export interface RegenerateOptions {
  /** The site-packages dir holding the .dist-info, relative to the install dir (`lib/python3.11/site-packages`). */
  sitePackagesDir: string;
}

export interface RegenerateResult {
  rows: RecordRow[];
  /** Install-relative paths whose row got a new hash or size. */
  changed: string[];
  /** Install-relative paths of rows whose file is gone (row kept as it was). */
  missing: string[];
  /** Row paths (as written) that resolve outside the install dir or are absolute (row kept as it was). */
  escaping: string[];
}

/** A relative path with nothing to normalise: no empty, `.` or `..` component. */
const PLAIN = /^(?!$|\/)(?!.*(?:^|\/)\.{0,2}(?:\/|$))/s;

/** True when `${dir}/${p}` needs no normalising, for a `dir` that is plain too. */
export const isPlainPath = (p: string): boolean => PLAIN.test(p);

/** The install-relative path of a RECORD row, or undefined when it leaves the install dir. */
export function resolveRecordPath(sitePackagesDir: string, rowPath: string): string | undefined {
  if (rowPath.startsWith('/')) return undefined;
  // Nearly every row: joined as is. `path.normalize` was most of the cost of indexing a site's rows.
  if (PLAIN.test(rowPath) && PLAIN.test(sitePackagesDir)) return `${sitePackagesDir}/${rowPath}`;
  const p = posix.normalize(posix.join(sitePackagesDir, rowPath));
  if (p === '..' || p.startsWith('../') || p.startsWith('/') || p === '.') return undefined;
  return p;
}

/**
 * Recomputes `sha256=<digest>,<size>` for each hashed row from the files as they are now (after the
 * python plugin's shebang rewrite, for instance). Order is kept; `.pyc` rows and RECORD's own row are
 * copied unchanged (pip writes them with empty hash and size). `lookup` gets install-relative paths.
 */
export function regenerateRecord(
  rows: readonly RecordRow[],
  lookup: (installRelPath: string) => Uint8Array | 'missing',
  options: RegenerateOptions,
): RegenerateResult {
  const out: RegenerateResult = { rows: [], changed: [], missing: [], escaping: [] };
  for (const row of rows) {
    const rel = resolveRecordPath(options.sitePackagesDir, row.path);
    if (rel === undefined) {
      out.escaping.push(row.path);
      out.rows.push(row);
      continue;
    }
    // Kept even when hashed: numpy's wheel ships a hashed `.pyc` that pip's own compile step then
    // overwrites, so its row is stale in every install; re-hashing it would make two parts' RECORDs differ
    // (pyc bytes hold the part's path) where pip's own output agrees.
    if (isUnhashedRow(row.path)) {
      out.rows.push(row);
      continue;
    }
    const bytes = lookup(rel);
    if (bytes === 'missing') {
      out.missing.push(rel);
      out.rows.push(row);
      continue;
    }
    const digest = sha256RecordDigest(bytes);
    if (row.algorithm === 'sha256' && row.digest === digest && row.size === bytes.length) {
      out.rows.push(row);
      continue;
    }
    out.changed.push(rel);
    out.rows.push({ path: row.path, algorithm: 'sha256', digest, size: bytes.length });
  }
  return out;
}

export interface RecordRowDiff {
  path: string;
  a?: RecordRow;
  b?: RecordRow;
}

/** Same hash and size (the path aside). */
export const sameRow = (x: RecordRow, y: RecordRow): boolean =>
  x.algorithm === y.algorithm && x.digest === y.digest && x.size === y.size;

/** Rows that differ between two RECORDs, paired by path: in one only, or with another hash or size. */
export function diffRecords(a: readonly RecordRow[], b: readonly RecordRow[]): RecordRowDiff[] {
  const inB = new Map(b.map((r) => [r.path, r]));
  const out: RecordRowDiff[] = [];
  const seen = new Set<string>();
  for (const ra of a) {
    seen.add(ra.path);
    const rb = inB.get(ra.path);
    if (!rb) out.push({ path: ra.path, a: ra });
    else if (!sameRow(ra, rb)) out.push({ path: ra.path, a: ra, b: rb });
  }
  for (const rb of b) if (!seen.has(rb.path)) out.push({ path: rb.path, b: rb });
  return out;
}
