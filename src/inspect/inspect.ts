/**
 * `stagefix inspect FILE`: what stagefix knows about one file, as data. A pyc gets the bytecode
 * engine's full reading (interpreter, header, validity against the sibling source, embedded
 * filenames); the Python metadata formats get their parsed fields; anything else its type and size.
 */
import { constants } from 'node:fs';
import { lstat, open, readlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FsError } from '../errors.js';
import { sourceOfPyc } from '../python/pyc/paths.js';
import { looksLikeText } from '../classify/build-paths.js';
import { inspectPyc } from '../python/pyc/inspect.js';
import { parseRecord } from '../python/dist/record.js';
import { parseMetadata } from '../python/dist/metadata.js';
import { parsePyvenvCfg } from '../python/env/pyvenv.js';
import { parseExtensionName } from '../python/env/extensions.js';

/** Inspection reads whole files only up to this size. */
const MAX_INSPECT = 256 * 1024 * 1024;

async function readConfined(path: string, size: number): Promise<Uint8Array> {
  if (size > MAX_INSPECT) throw new FsError(path, `file is ${size} bytes; inspect reads at most ${MAX_INSPECT}`);
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const { bytesRead } = await fh.read(buf, off, size - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return buf.subarray(0, off);
  } finally {
    await fh.close();
  }
}

const text = (b: Uint8Array): string => new TextDecoder('utf-8', { fatal: false }).decode(b);

export async function inspectFile(path: string): Promise<Record<string, unknown>> {
  let st;
  try {
    st = await lstat(path, { bigint: true });
  } catch (e) {
    throw new FsError(path, `cannot inspect: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const base = { path, size: Number(st.size), mode: Number(st.mode & 0o7777n).toString(8).padStart(4, '0') };
  if (st.isSymbolicLink()) return { kind: 'symlink', ...base, target: await readlink(path) };
  if (st.isDirectory()) return { kind: 'directory', ...base };
  if (!st.isFile()) return { kind: 'special', ...base };
  const name = basename(path);
  if (name.endsWith('.pyc')) {
    const bytes = await readConfined(path, Number(st.size));
    const inCache = basename(dirname(path)) === '__pycache__';
    const rel = sourceOfPyc(inCache ? `__pycache__/${name}` : name);
    const legacy = rel === undefined ? undefined : inCache ? join(dirname(dirname(path)), rel) : path.slice(0, -1);
    let source;
    if (legacy) {
      try {
        const sst = await lstat(legacy, { bigint: true });
        if (sst.isFile()) source = { bytes: await readConfined(legacy, Number(sst.size)), size: Number(sst.size), mtimeNs: sst.mtimeNs };
      } catch {
        // No sibling source: a sourceless pyc; nothing to check against.
      }
    }
    try {
      return { ...inspectPyc(bytes, source), path, sourcePath: source ? legacy : null };
    } catch (e) {
      return { kind: 'pyc', path, error: (e as Error).message };
    }
  }
  const ext = parseExtensionName(name);
  if (ext) return { kind: 'extension-module', ...base, extension: ext };
  if (Number(st.size) > 4 * 1024 * 1024) return { kind: 'file', ...base };
  const bytes = await readConfined(path, Number(st.size));
  try {
    if (name === 'RECORD' && dirname(path).endsWith('.dist-info')) {
      const rows = parseRecord(text(bytes));
      return { kind: 'record', ...base, rows: rows.length, hashed: rows.filter((r) => r.digest !== undefined).length };
    }
    if ((name === 'METADATA' && dirname(path).endsWith('.dist-info')) || name === 'PKG-INFO') {
      const m = parseMetadata(text(bytes));
      return { kind: 'metadata', ...base, name: m.name, version: m.version, requiresPython: m.requiresPython ?? null };
    }
    if (name === 'pyvenv.cfg') return { kind: 'pyvenv.cfg', ...base, fields: parsePyvenvCfg(text(bytes)) };
  } catch (e) {
    return { kind: 'file', ...base, error: (e as Error).message };
  }
  const isText = looksLikeText(bytes);
  const first = isText ? text(bytes.subarray(0, 200)).split('\n')[0] : undefined;
  return { kind: 'file', ...base, text: isText, ...(first?.startsWith('#!') ? { shebang: first } : {}) };
}

/** Human-readable form of an inspection: `key: value` lines. */
export function renderInspection(info: Record<string, unknown>): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(info)) {
    if (v === undefined) continue;
    const shown = typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
    lines.push(`${k}: ${shown}`);
  }
  return `${lines.join('\n')}\n`;
}
