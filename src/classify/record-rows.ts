/**
 * A RECORD file's rows, parsed once per part per scan: the pip-record rule compares one RECORD in up
 * to 78 part pairs, and the distribution index reads the same files again.
 */
import type { PartName } from '../model.js';
import { parseRecord, type RecordRow } from '../python/dist/record.js';
import { fileFactMemo } from './memo.js';
import type { FileSource } from './types.js';

const decoder = new TextDecoder('utf-8', { fatal: false });
/**
 * Rows as parsed, without each row's text (`raw`): rules compare paths, hashes and sizes, and every
 * RECORD of a scan stays here. `record/2`: bump it when parsing changes. A RECORD that fails to parse is
 * not stored.
 */
const memo = fileFactMemo<readonly RecordRow[]>('record/2', {
  encode: (rows) => rows,
  decode: (j) => (Array.isArray(j) && j.every((r) => typeof r === 'object' && r !== null && typeof (r as RecordRow).path === 'string') ? (j as RecordRow[]) : undefined),
});

/** Rejects with the read or FormatError, as reading and parsing it here would. */
export function recordRowsOf(source: FileSource, part: PartName, path: string): Promise<readonly RecordRow[]> {
  return memo(source, part, path, async () => parseRecord(decoder.decode(await source.read(part, path)), { raw: false }));
}

/**
 * The rows for one use, not kept afterwards: the distribution index keeps only their paths, and every
 * RECORD of every part it indexes stayed in the memo (about 25k rows on the mixed bench tree).
 */
export async function recordRowsOnce(source: FileSource, part: PartName, path: string): Promise<readonly RecordRow[]> {
  try {
    return await recordRowsOf(source, part, path);
  } finally {
    memo.forget(source, part, path);
  }
}
