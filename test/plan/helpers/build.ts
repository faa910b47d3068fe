/**
 * Fresh, untrimmed parts built with scripts/build-part.sh (the craft-parts python plugin recipe) and a
 * snapcraft.yaml naming them, for tests that must import what they stage. Offline (the local index).
 */
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { buildHostEnv } from '../../helpers/python.js';

export const BUILD_PART = join(import.meta.dirname, '..', '..', '..', 'scripts', 'build-part.sh');

export interface PartRecipe {
  name: string;
  python: string;
  /** PARTS_PYTHON_INTERPRETER; default python3. */
  interpreter?: string;
  packages: string[];
}

export function buildPart(installDir: string, python: string, packages: string[], interpreter = 'python3'): void {
  execFileSync(BUILD_PART, [installDir, python, ...packages], {
    env: buildHostEnv({ PARTS_PYTHON_INTERPRETER: interpreter }),
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 64 << 20,
  });
}

/** A snapcraft project at `dir` with each recipe built into `parts/<name>/install`. */
export async function buildProject(dir: string, name: string, recipes: PartRecipe[]): Promise<void> {
  await fsp.mkdir(join(dir, 'parts'), { recursive: true });
  const parts = Object.fromEntries(recipes.map((r) => [r.name, { plugin: 'python', source: '.', 'python-packages': ['pip', 'setuptools', 'wheel', ...r.packages] }]));
  await fsp.writeFile(join(dir, 'snapcraft.yaml'), stringify({ name, base: 'core24', version: '0.1', summary: 's', description: 'd', grade: 'devel', confinement: 'strict', parts }));
  for (const r of recipes) buildPart(join(dir, 'parts', r.name, 'install'), r.python, r.packages, r.interpreter);
}
