/**
 * Extension modules the staged interpreter will never load, and one module shipped by several parts
 * under different suffixes (issue 8). The interpreter of an import root is fixed by its `lib/pythonX.Y`
 * name; its exact EXTENSION_SUFFIXES come from a staged `_sysconfigdata_*.py` when the stage bundles the
 * interpreter, else from what an Ubuntu base's CPython is (glibc Linux, pyc-format.md §8): a wrong
 * version tag (`cpython-310` in a 3.11 site-packages), libc (`-linux-musl`, bpo-43112), OS or ABI flags
 * is reported; the CPU name is judged only when the suffixes are exact.
 */
import { posix } from 'node:path';
import { parseExtensionName } from '../../python/env/extensions.js';
import type { PartName } from '../../model.js';
import { dirOf, importRoots, interpreterFor, judgeExtension, rootOf, type StagedInterpreter } from '../python.js';
import type { StagedEntry } from '../staged.js';
import type { IntegrityResult, IntegrityRule } from '../types.js';

const interpEvidence = (i: StagedInterpreter): Record<string, unknown> => ({
  minor: i.minor,
  suffixes: i.suffixes,
  exact: i.exact,
  from: i.from,
  libc: i.libc,
  ...(i.soabi ? { soabi: i.soabi } : {}),
  ...(i.venv ? { venv: i.venv } : {}),
});

export const extensionAbiRule: IntegrityRule = {
  id: 'extension-abi',
  description: 'Extension modules the staged interpreter never loads, and one module shipped under different suffixes.',
  messages: {
    version: '{file} is built for {detail}, but {dir} is read by Python {minor}: it never imports',
    libc: '{file} is built for {detail}, but the staged Python {minor} is a linux-{libc} build: it never imports',
    platform: '{file} is built for another platform ({detail}): Python {minor} on Linux never imports it',
    abiflags: '{file} has ABI flags "{detail}", which Python {minor} does not load',
    suffix: '{file} has suffix {detail}, not one of Python {minor}\'s extension suffixes ({suffixes})',
    variants: '{module} is shipped as {variants}; Python {minor} loads {winner} from {winnerPart}, never the others',
  },
  async check(ctx) {
    const out: IntegrityResult[] = [];
    const roots = importRoots(ctx);
    if (roots.length === 0) return out;
    // Loadable extension modules per (dir, module), to find one module under several suffixes.
    const loadable = new Map<string, { file: string; part: PartName; rank: number; suffix: string }[]>();
    const extensions: [string, StagedEntry][] = [];
    ctx.staged.forEach((s, path) => s.entry.type === 'file' && /\.(so|pyd)$/.test(path) && extensions.push([path, s]));
    for (const [path, s] of extensions) {
      const root = rootOf(roots, path);
      if (!root) continue;
      const name = posix.basename(path);
      const parsed = parseExtensionName(name);
      if (!parsed) continue;
      const interp = await interpreterFor(ctx, root);
      const j = judgeExtension(name, interp);
      if (j.loads === 'not-extension') continue;
      if (j.loads) {
        const key = `${dirOf(path)}\0${parsed.module}`;
        const list = loadable.get(key) ?? [];
        list.push({ file: path, part: s.part, rank: j.rank, suffix: j.suffix });
        loadable.set(key, list);
        continue;
      }
      // A module of the same name that does load, from any part: what the user likely meant to ship.
      const siblings = ctx.staged
        .children(dirOf(path))
        .filter((n) => n !== name && parseExtensionName(n)?.module === parsed.module && judgeExtension(n, interp).loads === true);
      out.push({
        path,
        parts: [s.part],
        verdict: 'real',
        messageId: j.reason,
        args: { file: path, detail: j.detail, dir: root.dir, minor: interp.minor, libc: interp.libc, suffixes: interp.suffixes.join(' ') },
        evidence: { suffix: parsed.suffix, parsed, interpreter: interpEvidence(interp), loadableSiblings: siblings },
      });
    }
    for (const [key, list] of loadable) {
      const parts = new Set(list.map((l) => l.part));
      const suffixes = new Set(list.map((l) => l.suffix));
      if (parts.size < 2 || suffixes.size < 2) continue;
      list.sort((a, b) => a.rank - b.rank);
      const winner = list[0] as (typeof list)[number];
      const root = rootOf(roots, winner.file);
      const interp = root ? await interpreterFor(ctx, root) : undefined;
      const [dir = '', module = ''] = key.split('\0');
      out.push({
        path: winner.file,
        parts: ctx.staged.parts.filter((p) => parts.has(p)),
        verdict: 'real',
        messageId: 'variants',
        args: {
          module: dir === '' ? module : `${dir}/${module}`,
          variants: list.map((l) => `${posix.basename(l.file)} (${l.part})`).join(', '),
          minor: interp?.minor ?? '',
          winner: posix.basename(winner.file),
          winnerPart: winner.part,
        },
        evidence: { variants: list, ...(interp ? { interpreter: interpEvidence(interp) } : {}) },
      });
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  },
};
