/**
 * Content hashing. xxh64 (xxhash-wasm) is the scanner's equality hash: fast, and collisions are
 * irrelevant in practice because equality is only ever decided on equal sizes plus a full-content hash
 * (never a partial one). sha256 is used only where a file format demands it (RECORD).
 */
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import xxhash from 'xxhash-wasm';
import { digest, type Digest } from '../model.js';

type XXHashApi = Awaited<ReturnType<typeof xxhash>>;
let api: Promise<XXHashApi> | undefined;

export function xxhashApi(): Promise<XXHashApi> {
  api ??= xxhash();
  return api;
}

/** A raw xxh64 value as 16 hex digits. */
export const hex16 = (n: bigint): string => n.toString(16).padStart(16, '0');

/** The Digest of a raw xxh64 value. */
export function xxh64Digest(n: bigint): Digest {
  return digest(`xxh64:${hex16(n)}`);
}

/** xxh64 of an in-memory buffer. */
export async function xxh64Bytes(bytes: Uint8Array): Promise<Digest> {
  const { h64Raw } = await xxhashApi();
  return xxh64Digest(h64Raw(bytes));
}

/** xxh64 of a whole file, streamed in bounded chunks so huge and sparse files never sit in memory. */
export async function xxh64File(path: string, highWaterMark = 1 << 20): Promise<{ digest: Digest; size: number }> {
  const { create64 } = await xxhashApi();
  const h = create64();
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark })) {
    const buf = chunk as Buffer;
    size += buf.length;
    h.update(buf);
  }
  return { digest: xxh64Digest(h.digest()), size };
}

/** sha256 as RECORD writes it: urlsafe base64 without padding. */
export function sha256RecordDigest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64url');
}
