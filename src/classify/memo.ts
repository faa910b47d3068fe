/**
 * Per-scan memoisation for rules: a fact about one file (a pyc fingerprint, normalised text, a
 * first-difference offset) is computed once per file source, however many part pairs ask for it.
 * Keyed by the FileSource (or another per-run object), so a new scan starts empty and rules stay
 * functions of what they read.
 */
import type { PartName } from '../model.js';
import type { FileSource } from './types.js';

export interface Memo<T, S extends object = FileSource> {
  (scope: S, key: string, compute: () => Promise<T>): Promise<T>;
  /** Drops one remembered value: a later ask computes it again. */
  forget(scope: S, key: string): void;
}

export function memoFor<T, S extends object = FileSource>(): Memo<T, S> {
  const byScope = new WeakMap<S, Map<string, Promise<T>>>();
  const memo = (scope: S, key: string, compute: () => Promise<T>): Promise<T> => {
    let perScope = byScope.get(scope);
    if (!perScope) {
      perScope = new Map();
      byScope.set(scope, perScope);
    }
    let v = perScope.get(key);
    if (!v) {
      v = compute();
      perScope.set(key, v);
    }
    return v;
  };
  return Object.assign(memo, { forget: (scope: S, key: string) => void byScope.get(scope)?.delete(key) });
}

/** How a fact crosses runs: to a JSON value (undefined: not worth keeping) and back (undefined: unusable). */
export interface FactCodec<T> {
  encode(value: T): unknown;
  decode(json: unknown): T | undefined;
}

/** A file fact memo: ask it for the fact, or ask whether an earlier run already knows it. */
export interface FileFactMemo<T> {
  (source: FileSource, part: PartName, path: string, compute: () => Promise<T>): Promise<T>;
  /** True when an earlier run's value is usable (the cache has it and it decodes); decoded again when asked. */
  known(source: FileSource, part: PartName, path: string): boolean;
  /** Drops the value for one part's file: a later ask computes it again (or takes it from the cache). */
  forget(source: FileSource, part: PartName, path: string): void;
}

/** Every file fact memo, so that `forgetFileFacts` reaches them all. */
const fileMemos: ((source: FileSource, path: string) => void)[] = [];

/**
 * Drops what every file fact memo holds about `path` in any part. Classification asks about a path's
 * files while it classifies that path's collision, and rarely after: kept to the end, the facts of
 * every pyc, text file and RECORD of the mixed bench tree were most of the main thread's live heap
 * (see `classify`). A fact asked for again is only computed again (from the cache when it has it).
 */
export function forgetFileFacts(source: FileSource, path: string): void {
  for (const forget of fileMemos) forget(source, path);
}

/**
 * A memo, as `memoFor`, for a fact about one file that is a pure function of its bytes (and of `kind`,
 * which names the producer and its version): also asked of, and given to, the source's cache, so an
 * unchanged file is not read again in the next run. A rule that changes what it derives must change `kind`.
 */
export function fileFactMemo<T>(kindOf: string | ((part: PartName) => string), codec: FactCodec<T>): FileFactMemo<T> {
  // One memo per part, keyed by path: the path is usually one string asked for by every pair at it,
  // whose hash V8 keeps, where a joined part-and-path key was a new string to hash on every ask (a
  // warm run of the mixed bench tree asks about 200k times).
  const byPart = new Map<PartName, Memo<T>>();
  const memo = (source: FileSource, part: PartName, path: string, compute: () => Promise<T>): Promise<T> => {
    let m = byPart.get(part);
    if (!m) byPart.set(part, (m = memoFor<T>()));
    return m(source, path, compute);
  };
  // A fact that also depends on the part (its name appears in build paths) says so in its kind.
  const kindFor = (part: PartName): string => (typeof kindOf === 'string' ? kindOf : kindOf(part));
  const stored = (source: FileSource, part: PartName, path: string): T | undefined => {
    const json = source.derived?.(kindFor(part), part, path);
    return json === undefined ? undefined : codec.decode(json);
  };
  const ask = (source: FileSource, part: PartName, path: string, compute: () => Promise<T>): Promise<T> =>
    memo(source, part, path, async () => {
      const known = stored(source, part, path);
      if (known !== undefined) return known;
      const v = await compute();
      const json = codec.encode(v);
      if (json !== undefined) source.remember?.(kindFor(part), part, path, json);
      return v;
    });
  fileMemos.push((source, path) => {
    for (const m of byPart.values()) m.forget(source, path);
  });
  return Object.assign(ask, {
    forget: (source: FileSource, part: PartName, path: string) => byPart.get(part)?.forget(source, path),
    known(source: FileSource, part: PartName, path: string): boolean {
      // Decoded again when asked: seeding the memo here kept every pyc's facts of a warm run alive
      // from the start of classification, not just while its path was classified.
      return stored(source, part, path) !== undefined;
    },
  });
}
