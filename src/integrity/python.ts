/**
 * The Python layout of a staged tree: which directories are import roots (`sys.path` entries) and which
 * interpreter reads each. A `…/lib/pythonX.Y/site-packages` dir is only ever on the path of a Python X.Y,
 * so the directory name fixes the minor; the exact extension suffixes come from a staged
 * `_sysconfigdata_*.py` when the stage bundles the interpreter (pyc-format.md §8.3), else from what the
 * base's interpreter is (glibc Linux), with the architecture left open.
 */
import { posix } from 'node:path';
import { extensionSuffixes, loadSuffix, parseExtensionName } from '../python/env/extensions.js';
import { interpreterFromVenv, type Evidence } from '../python/env/interpreter.js';
import { parseSysconfigdata } from '../python/env/sysconfigdata.js';
import { FINAL_MAGIC } from '../python/pyc/header.js';
import { memoFor } from '../classify/memo.js';
import { baseFacts } from './bases.js';
import type { IntegrityContext } from './types.js';

export interface ImportRoot {
  /** Stage-relative dir, e.g. `lib/python3.11/site-packages`. */
  dir: string;
  /** The install prefix above `lib/` (`''` for a venv at the part root). */
  prefix: string;
  minor: string;
}

const SITE = /^(?:(.*)\/)?lib\/python(\d+\.\d+)t?\/(?:site|dist)-packages$/;

/** Every staged site-packages/dist-packages dir, plus Debian's `usr/lib/python3/dist-packages` (base minor). */
export function importRoots(ctx: IntegrityContext): ImportRoot[] {
  const out: ImportRoot[] = [];
  ctx.staged.forEach((s, path) => {
    if (s.entry.type !== 'dir') return;
    const m = SITE.exec(path);
    if (m?.[2]) {
      out.push({ dir: path, prefix: m[1] ?? '', minor: m[2] });
      return;
    }
    if (path === 'usr/lib/python3/dist-packages') {
      const minor = baseFacts(ctx.project.base)?.pythonMinor;
      if (minor) out.push({ dir: path, prefix: 'usr', minor });
    }
  });
  return out.sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
}

export interface StagedInterpreter {
  minor: string;
  /** EXTENSION_SUFFIXES in search order; exact only when `exact`. */
  suffixes: string[];
  /** True when read from a staged `_sysconfigdata_*.py`. */
  exact: boolean;
  soabi?: string;
  multiarch?: string;
  /** The libc the interpreter is built for (Ubuntu bases: glibc). */
  libc: 'gnu' | 'musl';
  /** Where this came from, for evidence. */
  from: string;
  /** What the venv's own files say (pyvenv.cfg, lib dirs), for evidence; may disagree with `minor`. */
  venv?: { minor: string; evidence: Evidence[] };
}

/** `find` memoised per run and import root (prefix and minor): rules ask once per file, the answer is per root. */
function perRoot<T>(find: (ctx: IntegrityContext, root: ImportRoot) => Promise<T>): (ctx: IntegrityContext, root: ImportRoot) => Promise<T> {
  const memo = memoFor<T, IntegrityContext>();
  return (ctx, root) => memo(ctx, `${root.prefix}\0${root.minor}`, () => find(ctx, root));
}

/** The interpreter that reads `root` (memoised per run). */
export const interpreterFor: (ctx: IntegrityContext, root: ImportRoot) => Promise<StagedInterpreter> = perRoot(findInterpreter);

async function readText(ctx: IntegrityContext, path: string): Promise<string | undefined> {
  const s = ctx.staged.get(path);
  if (s?.entry.type !== 'file') return undefined;
  try {
    return Buffer.from(await ctx.source.read(s.part, path)).toString('utf8');
  } catch {
    return undefined;
  }
}

async function findInterpreter(ctx: IntegrityContext, root: ImportRoot): Promise<StagedInterpreter> {
  const pre = root.prefix === '' ? '' : `${root.prefix}/`;
  // Where a bundled stdlib for this minor would sit: beside the site-packages, or a payload interpreter in usr/.
  const stdlibDirs = [...new Set([`${pre}lib/python${root.minor}`, `usr/lib/python${root.minor}`, `usr/local/lib/python${root.minor}`])];
  let venv: StagedInterpreter['venv'];
  const cfg = await readText(ctx, `${pre}pyvenv.cfg`);
  const libDirs = ctx.staged.children(`${pre}lib`).filter((n) => /^python\d+\.\d+t?$/.test(n));
  const fromVenv = interpreterFromVenv({ ...(cfg !== undefined ? { pyvenvCfg: cfg } : {}), libDirs });
  if (fromVenv) venv = { minor: fromVenv.minor, evidence: fromVenv.evidence };
  for (const dir of stdlibDirs) {
    for (const name of ctx.staged.children(dir).sort()) {
      if (!/^_sysconfigdata_.*\.py$/.test(name)) continue;
      const text = await readText(ctx, `${dir}/${name}`);
      if (text === undefined) continue;
      try {
        const sc = parseSysconfigdata(text);
        if (sc.version !== root.minor || (sc.soabi === undefined && sc.extSuffix === undefined)) continue;
        const abi = { minor: root.minor, ...(sc.soabi ? { soabi: sc.soabi } : {}), ...(sc.extSuffix ? { extSuffix: sc.extSuffix } : {}) };
        const out: StagedInterpreter = {
          minor: root.minor,
          suffixes: extensionSuffixes(abi),
          exact: true,
          libc: /-linux-musl/.test(sc.soabi ?? sc.extSuffix ?? '') ? 'musl' : 'gnu',
          from: `${dir}/${name}`,
        };
        if (sc.soabi) out.soabi = sc.soabi;
        if (sc.multiarch) out.multiarch = sc.multiarch;
        if (venv) out.venv = venv;
        return out;
      } catch {
        // Not a readable sysconfigdata: fall back to the defaults below.
      }
    }
  }
  const out: StagedInterpreter = {
    minor: root.minor,
    suffixes: extensionSuffixes({ minor: root.minor }),
    exact: false,
    libc: 'gnu',
    from: `${root.dir} (directory name)`,
  };
  if (venv) out.venv = venv;
  return out;
}

export interface ExpectedMagic {
  magic: number;
  from: string;
}

/** The pyc magic the interpreter for `root` expects: a staged stdlib's own bytecode says, else the final release's (memoised per run). */
export const expectedMagic: (ctx: IntegrityContext, root: ImportRoot) => Promise<ExpectedMagic | undefined> = perRoot(findExpectedMagic);

async function findExpectedMagic(ctx: IntegrityContext, root: ImportRoot): Promise<ExpectedMagic | undefined> {
  const pre = root.prefix === '' ? '' : `${root.prefix}/`;
  const tag = `cpython-${root.minor.replace('.', '')}`;
  for (const dir of [`${pre}lib/python${root.minor}`, `usr/lib/python${root.minor}`]) {
    const cache = `${dir}/__pycache__`;
    // A bundled stdlib's pycs were written by the interpreter it ships with: its magic is the one to match.
    for (const mod of ['os', 'site', 'abc', 'codecs', 'io']) {
      const path = `${cache}/${mod}.${tag}.pyc`;
      const s = ctx.staged.get(path);
      if (s?.entry.type !== 'file') continue;
      try {
        const b = await ctx.source.head(s.part, path, 4);
        if (b.length >= 4 && b[2] === 0x0d && b[3] === 0x0a) return { magic: (b[0] ?? 0) | ((b[1] ?? 0) << 8), from: path };
      } catch {
        // try the next module
      }
    }
  }
  const final = FINAL_MAGIC[root.minor];
  return final === undefined ? undefined : { magic: final, from: `Python ${root.minor} final release` };
}

/** The import root a staged path lies under (the longest match). */
export function rootOf(roots: readonly ImportRoot[], path: string): ImportRoot | undefined {
  let best: ImportRoot | undefined;
  for (const r of roots) {
    if (path.startsWith(`${r.dir}/`) && (!best || r.dir.length > best.dir.length)) best = r;
  }
  return best;
}

export const dirOf = (path: string): string => {
  const d = posix.dirname(path);
  return d === '.' ? '' : d;
};

export type ExtensionJudgement =
  | { loads: true; suffix: string; /** position in the search order (lower wins) */ rank: number }
  | { loads: false; reason: 'version' | 'abiflags' | 'libc' | 'platform' | 'suffix'; detail: string }
  | { loads: 'not-extension' };

/**
 * Whether the interpreter imports `fileName` as an extension module. With an exact suffix list (a
 * staged sysconfigdata) this is `loadSuffix`; without one the SOABI's architecture is unknown, so a
 * tagged module is judged on what is known — version tag, abiflags, libc and OS — and never on the
 * CPU name alone.
 */
export function judgeExtension(fileName: string, interp: StagedInterpreter): ExtensionJudgement {
  const p = parseExtensionName(fileName);
  if (!p) return { loads: 'not-extension' };
  const tag = interp.minor.replace('.', '');
  const [maj, min] = interp.minor.split('.').map(Number);
  const wantFlags = maj === 3 && min !== undefined && min < 8 ? 'm' : '';
  const why = (): ExtensionJudgement & { loads: false } => {
    if (p.kind === 'windows') return { loads: false, reason: 'platform', detail: p.platform ?? 'windows' };
    if (p.kind === 'soabi' && p.pythonTag !== tag) return { loads: false, reason: 'version', detail: `cpython-${p.pythonTag ?? ''}` };
    // Linux builds always put the platform triplet in SOABI (`cpython-311-x86_64-linux-gnu`).
    if (p.kind === 'soabi' && p.platform === undefined) return { loads: false, reason: 'platform', detail: 'no platform tag' };
    if (p.libc && p.libc !== interp.libc) return { loads: false, reason: 'libc', detail: `linux-${p.libc}` };
    if (p.platform && !/-linux-/.test(p.platform)) return { loads: false, reason: 'platform', detail: p.platform };
    if (p.kind === 'soabi' && (p.abiflags ?? '') !== wantFlags) return { loads: false, reason: 'abiflags', detail: p.abiflags ?? '' };
    return { loads: false, reason: 'suffix', detail: p.suffix };
  };
  if (interp.exact) {
    const i = interp.suffixes.findIndex((s) => s === p.suffix);
    const s = loadSuffix(fileName, interp.suffixes);
    if (s !== undefined && i >= 0) return { loads: true, suffix: s, rank: i };
    if (s !== undefined) return { loads: true, suffix: s, rank: interp.suffixes.indexOf(s) };
    return why();
  }
  if (p.kind === 'plain') return { loads: true, suffix: '.so', rank: 2 };
  if (p.kind === 'abi3' && p.platform === undefined) return { loads: true, suffix: p.suffix, rank: 1 };
  const w = why();
  // A tagged module with the right version, flags, libc and OS: the architecture is the only unknown.
  if (w.reason === 'suffix' && p.kind === 'soabi') return { loads: true, suffix: p.suffix, rank: 0 };
  return w;
}
