/**
 * Extension-module file names and the suffixes an interpreter loads them by (importlib's
 * EXTENSION_SUFFIXES, searched in list order). Facts: docs pyc-format.md §8.
 */

export type ExtensionKind = 'soabi' | 'abi3' | 'plain' | 'windows';

export interface ExtensionName {
  /** The module's last name component (everything before the first `.`). */
  module: string;
  /** From the first `.` on, e.g. `.cpython-311-x86_64-linux-gnu.so`. */
  suffix: string;
  kind: ExtensionKind;
  /** `311` from `cpython-311…` or `cp311…`. */
  pythonTag?: string;
  /** `m` (3.6/3.7 pymalloc), `d`, `t`, `dm`…; empty string when the tag has none. */
  abiflags?: string;
  /** `x86_64-linux-gnu`, `darwin`, `wasm32-emscripten`, `win_amd64`… */
  platform?: string;
  libc?: 'gnu' | 'musl';
  /** Windows `_d` debug build marker. */
  debug?: boolean;
}

const SOABI = /^\.cpython-(\d)(\d+)([a-z]*)(?:-(.+))?\.so$/;
const ABI3 = /^\.abi3t?(?:-(.+))?\.so$/;
const PYD = /^(_d)?(?:\.cp(\d)(\d+)([a-z]*)-([^.]+))?\.pyd$/;

function libcOf(platform: string | undefined): 'gnu' | 'musl' | undefined {
  const m = platform ? /-linux-(gnu|musl)/.exec(platform) : null;
  return m ? (m[1] as 'gnu' | 'musl') : undefined;
}

/** Parses an extension-module file name; undefined when it is not one (`.py`, `libfoo.so.1`...). */
export function parseExtensionName(fileName: string): ExtensionName | undefined {
  // Windows debug modules are `name_d.cp311-win_amd64.pyd`: the `_d` belongs to the suffix.
  const dot = fileName.indexOf('.');
  if (dot <= 0) return undefined;
  let module = fileName.slice(0, dot);
  let suffix = fileName.slice(dot);
  if (suffix.endsWith('.pyd')) {
    let debug = false;
    if (module.endsWith('_d') && module.length > 2) {
      debug = true;
      module = module.slice(0, -2);
      suffix = `_d${suffix}`;
    }
    const m = PYD.exec(suffix);
    if (!m) return undefined;
    const out: ExtensionName = { module, suffix, kind: 'windows' };
    if (debug) out.debug = true;
    if (m[2] && m[3]) {
      out.pythonTag = `${m[2]}${m[3]}`;
      out.abiflags = m[4] ?? '';
      if (m[5]) out.platform = m[5];
    }
    return out;
  }
  const s = SOABI.exec(suffix);
  if (s) {
    const out: ExtensionName = { module, suffix, kind: 'soabi', pythonTag: `${s[1]}${s[2]}`, abiflags: s[3] ?? '' };
    if (s[4]) out.platform = s[4];
    const libc = libcOf(s[4]);
    if (libc) out.libc = libc;
    return out;
  }
  const a = ABI3.exec(suffix);
  if (a) {
    const out: ExtensionName = { module, suffix, kind: 'abi3' };
    if (a[1]) out.platform = a[1];
    const libc = libcOf(a[1]);
    if (libc) out.libc = libc;
    return out;
  }
  if (suffix === '.so') return { module, suffix, kind: 'plain' };
  return undefined;
}

export interface InterpreterAbi {
  /** `3.11`. */
  minor: string;
  /** sysconfig `SOABI`, e.g. `cpython-311-x86_64-linux-gnu`. */
  soabi?: string;
  /** sysconfig `EXT_SUFFIX`, e.g. `.cpython-311-x86_64-linux-gnu.so`. */
  extSuffix?: string;
}

/**
 * The interpreter's EXTENSION_SUFFIXES in search order: the SOABI-tagged suffix, for a 3.8+ debug
 * build the release one (ALT_SOABI), then `.abi3.so`, then `.so`. Windows (`.pyd` EXT_SUFFIX): tagged,
 * then untagged `.pyd`. Without SOABI or EXT_SUFFIX only the untagged suffixes are known.
 */
export function extensionSuffixes(interp: InterpreterAbi): string[] {
  const ext = interp.extSuffix ?? (interp.soabi !== undefined ? `.${interp.soabi}.so` : undefined);
  if (ext?.endsWith('.pyd')) {
    const untagged = ext.startsWith('_d') ? '_d.pyd' : '.pyd';
    return ext === untagged ? [ext] : [ext, untagged];
  }
  const out: string[] = [];
  if (ext !== undefined) {
    out.push(ext);
    const p = parseExtensionName(`x${ext}`);
    // Debug 3.8+ builds also load release-mode extensions (pyconfig ALT_SOABI: the SOABI without `d`).
    const [maj, min] = interp.minor.split('.').map(Number);
    const pre38 = maj === 3 && min !== undefined && min < 8;
    if (p?.kind === 'soabi' && p.abiflags?.includes('d') && !pre38) {
      out.push(`.cpython-${p.pythonTag}${p.abiflags.replace('d', '')}${p.platform ? `-${p.platform}` : ''}.so`);
    }
  }
  out.push('.abi3.so', '.so');
  return out;
}

/** The suffix a file loads by, given the suffixes in search order; undefined when it cannot be imported. */
export function loadSuffix(fileName: string, suffixes: readonly string[]): string | undefined {
  for (const s of suffixes) {
    if (!fileName.endsWith(s)) continue;
    const module = fileName.slice(0, fileName.length - s.length);
    // A module name has no `.`: `foo.cpython-311-x86_64-linux-gnu.so` is not `.so` module `foo.cpython-…`.
    if (module !== '' && !module.includes('.')) return s;
  }
  return undefined;
}

/** Whether an interpreter with these EXTENSION_SUFFIXES imports the file as an extension module. */
export function willLoad(fileName: string, suffixes: readonly string[]): boolean {
  return loadSuffix(fileName, suffixes) !== undefined;
}
