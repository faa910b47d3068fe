/**
 * A RECORD file's rows, parsed once per part per scan: the pip-record rule compares one RECORD in up
 * to 78 part pairs, and the distribution index reads the same files again.
 */
import type { PartName } from '../model.js';
import { parseRecord, type RecordRow } from '../python/dist/record.js';
import { memoFor } from './memo.js';
import type { FileSource } from './types.js';

const decoder = new TextDecoder('utf-8', { fatal: false });
const memo = memoFor<readonly RecordRow[]>();

/** Rejects with the read or FormatError, as reading and parsing it here would. */
export function recordRowsOf(source: FileSource, part: PartName, path: string): Promise<readonly RecordRow[]> {
  return memo(source, `${part}\0${path}`, async () => parseRecord(decoder.decode(await source.read(part, path))));
}
