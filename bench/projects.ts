/**
 * The benchmark projects (issue 6), built once with the craft-parts python plugin recipe
 * (`scripts/build-part.sh`) from the local offline index, and cached under `bench/.work/`.
 *
 * (a) `mixed`: fourteen parts with overlapping and different packages (numpy in several versions, the
 *     scientific stack, web frameworks), like a real ML/desktop snap.
 * (b) `copies`: one large part and five `cp -a` copies of it: every shared path is byte-identical, so
 *     every shared regular file must be read (the worst case for a content check without conflicts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '..');
export const WORK = join(REPO, 'bench', '.work');

export interface PartRecipe {
  name: string;
  packages: string[];
}

export interface BenchProject {
  name: string;
  dir: string;
  parts: PartRecipe[];
  /** For (b): build the first part, copy it to the others. */
  copiesOf?: string;
}

/** Pinned so a rebuild gives the same trees; numpy differs between parts on purpose (real conflicts). */
export const MIXED: PartRecipe[] = [
  { name: 'scipy', packages: ['scipy==1.17.1'] },
  { name: 'pandas', packages: ['pandas==2.3.3', 'numpy==1.26.4'] },
  { name: 'sklearn', packages: ['scikit-learn==1.9.1'] },
  { name: 'matplotlib', packages: ['matplotlib==3.11.2'] },
  { name: 'sympy', packages: ['sympy'] },
  { name: 'statsmodels', packages: ['statsmodels==0.15.0'] },
  { name: 'astropy', packages: ['astropy==8.0.1'] },
  { name: 'pyarrow', packages: ['pyarrow==25.0.1', 'numpy==2.2.6'] },
  { name: 'web', packages: ['django', 'flask', 'requests'] },
  { name: 'numba', packages: ['numba==0.68.0'] },
  { name: 'jax', packages: ['jax', 'jaxlib==0.10.2'] },
  { name: 'scipy-old', packages: ['scipy==1.13.1', 'numpy==2.0.2'] },
  { name: 'ml-new', packages: ['scikit-learn==1.9.1', 'pandas==3.0.6'] },
  { name: 'tools', packages: ['networkx==3.6.1', 'sqlalchemy==2.1.1', 'babel==2.18.0', 'pygments==2.21.0'] },
];

/** One large part; six identical copies of it are about 126k entries. */
export const LARGE: PartRecipe = { name: 'p1', packages: ['scipy==1.17.1', 'pandas==2.3.3', 'matplotlib==3.11.2', 'scikit-learn==1.9.1', 'sympy'] };

export const PROJECTS: BenchProject[] = [
  { name: 'mixed', dir: join(WORK, 'mixed'), parts: MIXED },
  {
    name: 'copies',
    dir: join(WORK, 'copies'),
    parts: ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'].map((name) => ({ name, packages: LARGE.packages })),
    copiesOf: 'p1',
  },
];

export function pyenvPython(version = '3.11'): string {
  const root = spawnSync('pyenv', ['root'], { encoding: 'utf8' }).stdout.trim();
  const vs = spawnSync('ls', [join(root, 'versions')], { encoding: 'utf8' }).stdout.split('\n');
  const v = vs.filter((x) => x.startsWith(`${version}.`)).sort().pop();
  if (!v) throw new Error(`no pyenv CPython ${version}`);
  return join(root, 'versions', v, 'bin', `python${version}`);
}

function sh(cmd: string, args: string[], opts: { cwd?: string } = {}): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal})`);
}

/** Builds missing parts; a `.recipe` file beside each install dir records what it was built from. */
export function buildProject(p: BenchProject, log: (s: string) => void): void {
  mkdirSync(p.dir, { recursive: true });
  const yaml = ['name: bench-' + p.name, 'base: core24', 'confinement: strict', 'parts:']
    .concat(p.parts.flatMap((r) => [`  ${r.name}:`, '    plugin: python', '    source: .']))
    .join('\n');
  writeFileSync(join(p.dir, 'snapcraft.yaml'), yaml + '\n');
  const python = pyenvPython();
  let sourceRebuilt = false;
  for (const r of p.parts) {
    const partDir = join(p.dir, 'parts', r.name);
    const install = join(partDir, 'install');
    const recipe = JSON.stringify({ python, packages: r.packages, copy: p.copiesOf && p.copiesOf !== r.name ? p.copiesOf : undefined });
    const marker = join(partDir, '.recipe');
    const isCopy = p.copiesOf !== undefined && p.copiesOf !== r.name;
    if (!(isCopy && sourceRebuilt) && existsSync(marker) && readFileSync(marker, 'utf8') === recipe) continue;
    if (!isCopy) sourceRebuilt = true;
    rmSync(partDir, { recursive: true, force: true });
    mkdirSync(partDir, { recursive: true });
    const t0 = performance.now();
    if (isCopy && p.copiesOf) {
      log(`copying ${p.copiesOf} → ${p.name}/${r.name}`);
      sh('cp', ['-a', join(p.dir, 'parts', p.copiesOf, 'install'), install]);
    } else {
      log(`building ${p.name}/${r.name}: ${r.packages.join(' ')}`);
      sh(join(REPO, 'scripts', 'build-part.sh'), [install, python, ...r.packages]);
    }
    writeFileSync(marker, recipe);
    log(`  done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
}
