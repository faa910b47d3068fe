/**
 * What the python-bytecode rule knows about one pyc: its header, the header as evidence, and the code
 * fingerprint (or why there is none). Computed once per file per scan, on the main thread or in a
 * fingerprint worker (`pyc-pool.ts`); both call `pycFacts`, so where it ran cannot change a verdict.
 */
import { fingerprintPyc, type PycFingerprint } from '../python/pyc/fingerprint.js';
import { describeVersion, parseHeader, type HeaderResult } from '../python/pyc/header.js';
import type { PartName } from '../model.js';
import { fileFactMemo, type FactCodec } from './memo.js';
import type { FileSource } from './types.js';

/** Kept for every pyc of a scan (26k on the bench's mixed tree). */
export interface PycFacts {
  /**
   * The file's first 16 bytes in hex: all the header there is (kept so the facts can be stored and
   * re-read). A string, not a typed array with a buffer of its own: 4 MB less on the mixed tree.
   */
  head: string;
  header: HeaderResult;
  /**
   * The header as evidence, made once per file: every pair's verdict names it. Made per pair instead,
   * the mixed tree's 250k short-lived objects raised the peak RSS by about 60 MB.
   */
  info: Record<string, unknown>;
  print: PycFingerprint | Error;
}

function headerInfo(h: HeaderResult): Record<string, unknown> {
  if (!h.ok) return { error: h.reason, magic: h.magic };
  const base = { magic: h.header.magic, python: describeVersion(h.header.version), invalidation: h.header.invalidation };
  return h.header.invalidation === 'timestamp'
    ? { ...base, mtime: h.header.mtime, sourceSize: h.header.sourceSize }
    : { ...base, hash: Buffer.from(h.header.hash).toString('hex') };
}

/** The facts from the header bytes and the fingerprint: the header and its evidence follow from the bytes. */
function withHead(head: string, print: PycFingerprint | Error): PycFacts {
  // A plain Uint8Array: the header's hash is sliced from it, and a slice of a Buffer would be a view.
  const header = parseHeader(Uint8Array.from(Buffer.from(head, 'hex')));
  return { head, header, info: headerInfo(header), print };
}

export function pycFacts(bytes: Uint8Array): PycFacts {
  let print: PycFingerprint | Error;
  try {
    print = fingerprintPyc(bytes);
  } catch (e) {
    print = e instanceof Error ? e : new Error(String(e));
  }
  return withHead(Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 16)).toString('hex'), print);
}

/**
 * Facts as JSON: the header bytes (parsed again) and the fingerprint or the error's message. The one
 * form they take to cross runs (the cache) and threads (`pyc-worker.ts`).
 * `pyc/1`: a change to the fingerprint's canonical form or to the facts must bump the version.
 */
const PYC_KIND = 'pyc/1';
export const pycCodec: FactCodec<PycFacts> = {
  encode: (f) => ({ head: f.head, ...(f.print instanceof Error ? { error: f.print.message } : { print: f.print }) }),
  decode(j) {
    if (typeof j !== 'object' || j === null) return undefined;
    const o = j as { head?: unknown; error?: unknown; print?: unknown };
    if (typeof o.head !== 'string' || !/^(?:[0-9a-f]{2}){0,16}$/.test(o.head)) return undefined;
    const head = o.head;
    const p = o.print as Partial<PycFingerprint> | undefined;
    let print: PycFingerprint | Error;
    if (typeof o.error === 'string') print = new Error(o.error);
    else if (p && typeof p.magic === 'number' && typeof p.code === 'string' && typeof p.body === 'string' && Array.isArray(p.filenames)) {
      print = { magic: p.magic, code: p.code, body: p.body, filenames: p.filenames.map(String) };
    } else return undefined;
    return withHead(head, print);
  },
};

/** Whether an earlier run's facts for this pyc can be used (then no worker needs to read it). */
export function pycFactsKnown(source: FileSource, part: PartName, path: string): boolean {
  return factsMemo.known(source, part, path);
}

/**
 * Facts computed elsewhere (fingerprint workers), per file source: asked before reading, so a file the
 * workers fingerprinted is never read on the main thread. Undefined means "read it here".
 */
export type PycFactsProvider = (part: PartName, path: string) => Promise<PycFacts> | undefined;

const providers = new WeakMap<FileSource, PycFactsProvider>();
const factsMemo = fileFactMemo(PYC_KIND, pycCodec);

export function providePycFacts(source: FileSource, provider: PycFactsProvider | undefined): void {
  if (provider) providers.set(source, provider);
  else providers.delete(source);
}

/** Each part's pyc is fingerprinted once per scan, however many pairs it is in. */
export function pycFactsOf(source: FileSource, part: PartName, path: string): Promise<PycFacts> {
  return factsMemo(source, part, path, () => providers.get(source)?.(part, path) ?? source.readWith(part, path, pycFacts));
}
