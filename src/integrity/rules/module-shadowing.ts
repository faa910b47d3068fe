/**
 * One import name provided in different forms by different parts in one directory of an import root
 * (`foo.py` from one part, `foo/` or `foo.cpython-311-x86_64-linux-gnu.so` from another). Nothing
 * collides by path, but only one form is ever imported. Which one is CPython's
 * `importlib._bootstrap_external.FileFinder.find_spec` (checked against 3.11 and cpython main):
 * 1. a directory `foo/` holding `foo/__init__<suffix>` for any loader suffix is a package and wins;
 * 2. else the first `foo<suffix>` in loader order: EXTENSION_SUFFIXES in order, then `.py`, then `.pyc`;
 * 3. else a directory without `__init__` is a namespace-package portion.
 * Two extension modules with different suffixes are left to `extension-abi`, which names the one that loads.
 */
import type { PartName } from '../../model.js';
import { importRoots, interpreterFor, judgeExtension, rootOf, type StagedInterpreter } from '../python.js';
import type { StagedView } from '../staged.js';
import type { IntegrityResult, IntegrityRule } from '../types.js';

export type ModuleForm = 'package' | 'extension' | 'source' | 'bytecode' | 'namespace';

export interface FormCandidate {
  form: ModuleForm;
  /** Stage path of the file (or the directory, for a namespace portion) that provides the form. */
  file: string;
  part: PartName;
  /** FileFinder order: lower is found first. */
  rank: number;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The loader suffixes in FileFinder order, with the form each gives. */
function loaderOrder(interp: StagedInterpreter, names: readonly string[], stem: string): { name: string; form: 'extension' | 'source' | 'bytecode'; rank: number }[] {
  const out: { name: string; form: 'extension' | 'source' | 'bytecode'; rank: number }[] = [];
  for (const n of names) {
    if (!n.startsWith(`${stem}.`)) continue;
    if (n === `${stem}.py`) out.push({ name: n, form: 'source', rank: 100 });
    else if (n === `${stem}.pyc`) out.push({ name: n, form: 'bytecode', rank: 101 });
    else {
      const j = judgeExtension(n, interp);
      // The module part must be the stem itself: `foo.cpython-311-….so` is module `foo`.
      if (j.loads === true && n.slice(0, n.length - j.suffix.length) === stem) out.push({ name: n, form: 'extension', rank: j.rank });
    }
  }
  return out.sort((a, b) => a.rank - b.rank);
}

/**
 * Every form under which `stem` can be imported from `dir`, each with the part whose copy is staged.
 * `names` may be narrowed to the directory's names that start with `stem.`.
 */
export function formsOf(staged: StagedView, dir: string, stem: string, interp: StagedInterpreter, names: readonly string[] = staged.children(dir)): FormCandidate[] {
  const out: FormCandidate[] = [];
  const sub = dir === '' ? stem : `${dir}/${stem}`;
  if (staged.get(sub)?.entry.type === 'dir') {
    const inits = loaderOrder(interp, staged.children(sub), '__init__');
    const init = inits.find((i) => staged.get(`${sub}/${i.name}`)?.entry.type === 'file');
    if (init) out.push({ form: 'package', file: `${sub}/${init.name}`, part: (staged.get(`${sub}/${init.name}`) as { part: PartName }).part, rank: -1 });
    else out.push({ form: 'namespace', file: sub, part: (staged.get(sub) as { part: PartName }).part, rank: 1000 });
  }
  for (const c of loaderOrder(interp, names, stem)) {
    const s = staged.get(dir === '' ? c.name : `${dir}/${c.name}`);
    if (s?.entry.type === 'file') out.push({ form: c.form, file: dir === '' ? c.name : `${dir}/${c.name}`, part: s.part, rank: c.rank });
  }
  return out.sort((a, b) => a.rank - b.rank);
}

/**
 * Import names a directory offers (identifiers from `foo.py`, `foo/`, `foo.<ext suffix>`, `foo.pyc`), each
 * with the directory's names that could provide it: grouped once, so a big directory is not rescanned
 * for every name in it.
 */
function stems(names: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const n of names) {
    const dot = n.indexOf('.');
    const stem = dot < 0 ? n : n.slice(0, dot);
    if (stem === '__pycache__' || stem === '__init__' || !IDENT.test(stem)) continue;
    const group = out.get(stem);
    if (group) group.push(n);
    else out.set(stem, [n]);
  }
  return out;
}

/** The parts whose copies are staged for a stem's candidate names and its directory: fewer than two cannot shadow. */
function providers(staged: StagedView, dir: string, names: readonly string[], stem: string): Set<PartName> {
  const out = new Set<PartName>();
  const at = (n: string): string => (dir === '' ? n : `${dir}/${n}`);
  for (const n of names) {
    const s = staged.get(at(n));
    if (s) out.add(s.part);
  }
  const sub = staged.get(at(stem));
  if (sub?.entry.type === 'dir') {
    // A namespace portion is the directory's part; a package is its __init__'s.
    out.add(sub.part);
    for (const c of staged.children(at(stem))) if (c.startsWith('__init__')) out.add((staged.get(`${at(stem)}/${c}`) as { part: PartName }).part);
  }
  return out;
}

export const moduleShadowingRule: IntegrityRule = {
  id: 'module-shadowing',
  description: 'One import name provided in different forms (module, package, extension) by different parts in one directory.',
  messages: {
    shadowed: '{module} is provided as {forms}; Python imports the {winnerForm} {winner} from {winnerPart}, never the others',
  },
  async check(ctx) {
    const out: IntegrityResult[] = [];
    const roots = importRoots(ctx);
    // Every staged directory inside an import root is searched the same way (a package's __path__).
    const staged: string[] = [];
    ctx.staged.forEach((s, p) => s.entry.type === 'dir' && roots.some((r) => p === r.dir || p.startsWith(`${r.dir}/`)) && staged.push(p));
    const dirs = staged
      .filter((p) => !/(^|\/)(__pycache__|[^/]+\.(dist|egg)-info)(\/|$)/.test(p))
      .sort();
    for (const dir of dirs) {
      const root = roots.find((r) => r.dir === dir) ?? rootOf(roots, dir);
      if (!root) continue;
      const interp = await interpreterFor(ctx, root);
      for (const [stem, names] of stems(ctx.staged.children(dir))) {
        // Every form found comes from one of these parts: one part alone cannot shadow itself.
        if (providers(ctx.staged, dir, names, stem).size < 2) continue;
        const forms = formsOf(ctx.staged, dir, stem, interp, names.filter((n) => n.startsWith(`${stem}.`)));
        const kinds = new Set(forms.map((f) => f.form));
        const parts = new Set(forms.map((f) => f.part));
        if (kinds.size < 2 || parts.size < 2) continue;
        const winner = forms[0] as FormCandidate;
        const module = [...dir.slice(root.dir.length + 1).split('/').filter((c) => c !== ''), stem].join('.');
        out.push({
          path: winner.file,
          parts: ctx.staged.parts.filter((p) => parts.has(p)),
          verdict: 'real',
          messageId: 'shadowed',
          args: {
            module,
            forms: forms.map((f) => `${f.form} ${f.file.slice(dir.length + (dir === '' ? 0 : 1))} (${f.part})`).join(', '),
            winnerForm: winner.form,
            winner: winner.file,
            winnerPart: winner.part,
          },
          evidence: {
            dir,
            interpreter: { minor: interp.minor, suffixes: interp.suffixes, exact: interp.exact, from: interp.from },
            forms,
            shadowed: forms.slice(1),
          },
        });
      }
    }
    return out;
  },
};
