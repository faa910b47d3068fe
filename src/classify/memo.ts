/**
 * Per-scan memoisation for rules: a fact about one file (a pyc fingerprint, normalised text, a
 * first-difference offset) is computed once per file source, however many part pairs ask for it.
 * Keyed by the FileSource, so a new scan starts empty and rules stay functions of what they read.
 */
import type { FileSource } from './types.js';

export function memoFor<T>(): (source: FileSource, key: string, compute: () => Promise<T>) => Promise<T> {
  const bySource = new WeakMap<FileSource, Map<string, Promise<T>>>();
  return (source, key, compute) => {
    let perSource = bySource.get(source);
    if (!perSource) {
      perSource = new Map();
      bySource.set(source, perSource);
    }
    let v = perSource.get(key);
    if (!v) {
      v = compute();
      perSource.set(key, v);
    }
    return v;
  };
}
