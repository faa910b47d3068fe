/** Whole-file replacement for the files stagefix keeps between runs (the digest cache, stored reports). */
import { randomBytes } from 'node:crypto';
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';

/**
 * Replaces `file` with `bytes` (mode 0600 unless told) through a temporary file and a rename, so that
 * readers, and concurrent writers, only ever see a whole file: the cache's files are written so. Throws
 * when it cannot; the temporary file is removed then.
 */
export function replaceFileAtomically(file: string, bytes: Uint8Array, mode = 0o600): void {
  const tmp = `${file}.${randomBytes(8).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, bytes, { mode });
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // Nothing was written.
    }
    throw e;
  }
}
