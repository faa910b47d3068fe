/**
 * What the python-bytecode rule knows about one pyc: its header, the header as evidence, and the code
 * fingerprint (or why there is none). Computed once per file per scan, on the main thread or in a
 * fingerprint worker (`pyc-pool.ts`); both call `pycFacts`, so where it ran cannot change a verdict.
 */
import { fingerprintPyc, type PycFingerprint } from '../python/pyc/fingerprint.js';
import { describeVersion, parseHeader, type HeaderResult } from '../python/pyc/header.js';
import type { PartName } from '../model.js';
import { memoFor } from './memo.js';
import type { FileSource } from './types.js';

export interface PycFacts {
  header: HeaderResult;
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

export function pycFacts(bytes: Uint8Array): PycFacts {
  let print: PycFingerprint | Error;
  try {
    print = fingerprintPyc(bytes);
  } catch (e) {
    print = e instanceof Error ? e : new Error(String(e));
  }
  const header = parseHeader(bytes);
  return { header, info: headerInfo(header), print };
}

/**
 * Facts computed elsewhere (fingerprint workers), per file source: asked before reading, so a file the
 * workers fingerprinted is never read on the main thread. Undefined means "read it here".
 */
export type PycFactsProvider = (part: PartName, path: string) => Promise<PycFacts> | undefined;

const providers = new WeakMap<FileSource, PycFactsProvider>();
const factsMemo = memoFor<PycFacts>();

export function providePycFacts(source: FileSource, provider: PycFactsProvider | undefined): void {
  if (provider) providers.set(source, provider);
  else providers.delete(source);
}

/** Each part's pyc is fingerprinted once per scan, however many pairs it is in. */
export function pycFactsOf(source: FileSource, part: PartName, path: string): Promise<PycFacts> {
  return factsMemo(source, `${part}\0${path}`, () => providers.get(source)?.(part, path) ?? source.read(part, path).then(pycFacts));
}
