/** Where a pyc's source lives, as importlib computes it. */
import { posix } from 'node:path';

/**
 * `a/__pycache__/m.cpython-311.opt-1.pyc` → `a/m.py`, following importlib's `source_from_cache`:
 * two or three dots in the name, the optional third part `opt-<level>`; undefined otherwise, and for a
 * pyc outside `__pycache__`.
 */
export function sourceFromCache(path: string): string | undefined {
  const dir = posix.dirname(path);
  if (posix.basename(dir) !== '__pycache__') return undefined;
  const m = /^([^.]+)\.[^.]+(?:\.opt-[^.]+)?\.pyc$/.exec(posix.basename(path));
  if (!m || m[1] === undefined) return undefined;
  const parent = posix.dirname(dir);
  return parent === '.' ? `${m[1]}.py` : `${parent}/${m[1]}.py`;
}

/** The source of a cached pyc, or of a legacy `m.pyc` beside `m.py` (compileall -b). */
export function sourceOfPyc(path: string): string | undefined {
  if (posix.basename(posix.dirname(path)) === '__pycache__') return sourceFromCache(path);
  return path.endsWith('.pyc') ? path.slice(0, -1) : undefined;
}
