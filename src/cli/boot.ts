/**
 * Start-up of the bundled CLI (bin/stagefix.js). The bundle (dist/bundle/stagefix.cjs) is a CommonJS
 * script so that it can be compiled with V8's code cache: the compiled code of every function a report
 * on the bundled example ran, which `npm run build` writes beside the bundle (scripts/code-cache.mjs).
 * A run then skips parsing and compiling those functions, which every run paid at start-up and again
 * the first time each function ran.
 *
 * V8 checks a cache only against its own version, its flags and the length of the source, and it does
 * not verify the bytes it deserialises. So the cache file carries its own check: a header naming the
 * Node build, and sha256 over the bundle's bytes and the cache's. A cache that fails it is never handed
 * to V8; one V8 refuses (its flags differ) costs an ordinary compile. The flags must be those the cache
 * was made under, so the heap growth bound (heap.ts) is set here, before compiling, for every command.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { constants, Script } from 'node:vm';
import { replaceFileAtomically } from '../util/atomic-file.js';
import { boundHeapGrowth } from './heap.js';
import type { Io } from './main.js';

const FORMAT = 'stagefix-code-cache/1';

export type CliMain = (argv: string[], io?: Io) => Promise<number>;

/**
 * What became of the code cache: used; refused by V8 (made under other V8 flags); stale (made for
 * another bundle or Node build, or not whole: not handed to V8); none (not built); or off
 * (`STAGEFIX_CODE_CACHE=0`, which the bench uses to measure what the cache saves).
 */
export type CodeCacheUse = 'used' | 'refused' | 'stale' | 'none' | 'off';

export interface Booted {
  main: CliMain;
  codeCache: CodeCacheUse;
  script: Script;
  /** The bundle's bytes, as compiled. */
  bytes: Buffer;
}

export const codeCacheFile = (bundle: string): string => `${bundle}.v8cache`;

interface Header {
  format: string;
  node: string;
  v8: string;
  arch: string;
  /** sha256 over the bundle's bytes, then the cache's, hex. */
  sum: string;
}

const sumOf = (bundle: Uint8Array, data: Uint8Array): string => createHash('sha256').update(bundle).update(data).digest('hex');

const headerFor = (bundle: Uint8Array, data: Uint8Array): Header => ({
  format: FORMAT,
  node: process.version,
  v8: process.versions.v8,
  arch: process.arch,
  sum: sumOf(bundle, data),
});

function readCodeCache(file: string, bundle: Buffer): Buffer | 'stale' | 'none' {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return 'none';
  }
  const nl = bytes.indexOf(10);
  if (nl < 0) return 'stale';
  let header: Partial<Header>;
  try {
    header = JSON.parse(bytes.toString('utf8', 0, nl)) as Partial<Header>;
  } catch {
    return 'stale';
  }
  const data = bytes.subarray(nl + 1);
  const expected = headerFor(bundle, data);
  const same = (Object.keys(expected) as (keyof Header)[]).every((k) => header[k] === expected[k]);
  return same ? data : 'stale';
}

/** Compiles and runs the bundle at `bundle` (with its code cache when that is whole and this Node's). */
export function loadBundle(bundle: string): Booted {
  boundHeapGrowth();
  const bytes = readFileSync(bundle);
  const cached = process.env['STAGEFIX_CODE_CACHE'] === '0' ? 'off' : readCodeCache(codeCacheFile(bundle), bytes);
  // Node's CommonJS wrapper, spelt out: the bundle is run as Node would run a .cjs file.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${bytes.toString('utf8')}\n})`, {
    filename: bundle,
    ...(typeof cached === 'string' ? {} : { cachedData: cached }),
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const codeCache: CodeCacheUse = typeof cached === 'string' ? cached : script.cachedDataRejected === true ? 'refused' : 'used';
  const module = { exports: {} as { main?: unknown } };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(module.exports, module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  const main = module.exports.main;
  if (typeof main !== 'function') throw new Error(`${bundle} is not the stagefix CLI bundle: run npm run build`);
  return { main: main as CliMain, codeCache, script, bytes };
}

/**
 * Writes the code cache of `booted`'s bundle: every function compiled so far in this process. Returns
 * its size in bytes.
 */
export function writeCodeCache(bundle: string, booted: Booted): number {
  const data = booted.script.createCachedData();
  const header = Buffer.from(`${JSON.stringify(headerFor(booted.bytes, data))}\n`);
  // Readable by all, like the bundle beside it.
  replaceFileAtomically(codeCacheFile(bundle), Buffer.concat([header, data]), 0o644);
  return data.length;
}
