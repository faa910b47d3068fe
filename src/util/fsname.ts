/**
 * File names are bytes on Linux; JavaScript strings are UTF-16. A lossy decode folds different
 * undecodable names onto one string (both `caf\xe9` and `caf\xe8` become `caf\uFFFD`), which would
 * merge or lose paths. We decode like Python's `surrogateescape`: every byte that is not part of valid
 * UTF-8 becomes the lone surrogate U+DC80+byte, so the mapping is lossless and round-trips, and paths
 * compare as the bytes do. Only names that need it pay for the Buffer round-trip.
 */
import { join } from 'node:path';

const fatal = new TextDecoder('utf-8', { fatal: true });

/** Decodes a raw file name losslessly (surrogateescape). */
export function decodeName(raw: Uint8Array): string {
  try {
    return fatal.decode(raw);
  } catch {
    return decodeSlow(raw);
  }
}

function decodeSlow(b: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < b.length) {
    const x = b[i] as number;
    const need = x < 0x80 ? 0 : x >= 0xc2 && x <= 0xdf ? 1 : x >= 0xe0 && x <= 0xef ? 2 : x >= 0xf0 && x <= 0xf4 ? 3 : -1;
    if (need === 0) {
      out += String.fromCharCode(x);
      i++;
      continue;
    }
    if (need > 0 && i + need < b.length) {
      try {
        // The fatal decoder rejects overlongs and encoded surrogates, so a success here never yields a
        // lone surrogate: the escape range stays unambiguous.
        out += fatal.decode(b.subarray(i, i + need + 1));
        i += need + 1;
        continue;
      } catch {
        // Not a valid sequence: escape this byte alone.
      }
    }
    out += String.fromCharCode(0xdc00 + x);
    i++;
  }
  return out;
}

const ESCAPED = /[\uDC80-\uDCFF]/;

/** True when a decoded name carries escaped bytes and must go back to the kernel as a Buffer. */
export const needsBytes = (name: string): boolean => ESCAPED.test(name);

/** Encodes a decoded name back to its exact bytes. */
export function encodeName(name: string): Buffer {
  if (!needsBytes(name)) return Buffer.from(name, 'utf8');
  const parts: Buffer[] = [];
  let run = '';
  for (const ch of name) {
    const c = ch.charCodeAt(0);
    if (ch.length === 1 && c >= 0xdc80 && c <= 0xdcff) {
      if (run) parts.push(Buffer.from(run, 'utf8'));
      run = '';
      parts.push(Buffer.from([c - 0xdc00]));
    } else {
      run += ch;
    }
  }
  if (run) parts.push(Buffer.from(run, 'utf8'));
  return Buffer.concat(parts);
}

/** The path to hand to `fs`: a string normally, the exact bytes when the relative path has escapes. */
export function fsPath(root: string, rel: string): string | Buffer {
  return needsBytes(rel) ? encodeName(join(root, rel)) : join(root, rel);
}

/** A printable form for messages: escaped bytes shown as `\xNN`. */
export function displayName(name: string): string {
  return name.replace(/[\uDC80-\uDCFF]/g, (c) => `\\x${(c.charCodeAt(0) - 0xdc00).toString(16).padStart(2, '0')}`);
}

/** An absolute path for `fs`: unchanged, or its exact bytes when it carries escaped bytes. */
export const toFsPath = (p: string): string | Buffer => (needsBytes(p) ? encodeName(p) : p);
