/**
 * `stagefix hook` in two freshly built parts with the same packages, each blind to the other (one by
 * the library command with CRAFT_* variables, one by the single-file bundle run from a directory with
 * no node_modules, with core20's SNAPCRAFT_* variables): afterwards the two install dirs do not collide
 * at all, the hooked part still imports from its pycs, and a second run changes nothing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyse, selectProject } from '../../src/run.js';
import { hookCommand } from '../../src/hook/command.js';
import { runHook } from '../../src/hook/hook.js';
import { tempDir } from '../apply/helpers/tree.js';
import { buildHostEnv, pythonOrSkip, skipTitle } from '../helpers/python.js';
import { buildPart } from '../plan/helpers/build.js';

const py = pythonOrSkip('3.11');
const REPO = join(import.meta.dirname, '..', '..');

let work: string;
let one: string;
let two: string;

const collisions = async (): Promise<string[]> => {
  const { scan } = await analyse(selectProject({ parts: [`one=${one}`, `two=${two}`], cwd: work }));
  return scan.collisions.map((c) => c.path);
};

describe.skipIf(!py)(skipTitle('stagefix hook makes independently built parts converge', '3.11', py), () => {
  beforeAll(async () => {
    work = await tempDir('hook');
    one = join(work, 'parts', 'one', 'install');
    two = join(work, 'parts', 'two', 'install');
    buildPart(one, py?.exe ?? '', ['click']);
    buildPart(two, py?.exe ?? '', ['click']);
  }, 600_000);

  afterAll(async () => {
    if (work) await fsp.rm(work, { recursive: true, force: true });
  });

  it('the two builds collide before the hook', async () => {
    const before = await collisions();
    expect(before.some((p) => p.endsWith('.pyc'))).toBe(true);
    expect(before).toContain('pyvenv.cfg');
    expect(before).toContain('bin/activate');
  });

  it('after the hook in each part (library and bundle, CRAFT_* and SNAPCRAFT_*), nothing collides', async () => {
    let out = '';
    const code = await hookCommand(
      { stdout: { write: (s: string) => (out += s) }, env: { CRAFT_PART_INSTALL: one, CRAFT_PART_NAME: 'one', CRAFT_PROJECT_NAME: 'hooktest' } },
      {},
    );
    expect(code).toBe(0);
    expect(out.split('\n').filter((l) => l !== '')).toHaveLength(1);
    expect(out).toMatch(/^stagefix hook: part one: [1-9]\d* pyc rewritten .*pycs and RECORDs verified\n$/);

    // The bundle, alone in a directory without node_modules.
    const binDir = join(work, 'hookbin');
    await fsp.mkdir(binDir);
    const bundle = join(binDir, 'stagefix-hook.mjs');
    execFileSync(process.execPath, [join(REPO, 'scripts', 'bundle-hook.mjs'), bundle]);
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, SNAPCRAFT_PART_INSTALL: two, SNAPCRAFT_PART_NAME: 'two', SNAPCRAFT_PROJECT_NAME: 'hooktest' };
    const r = spawnSync(process.execPath, [bundle], { cwd: binDir, env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^stagefix hook: part two: [1-9]\d* pyc rewritten .*pycs and RECORDs verified\n$/);

    expect(await collisions()).toEqual([]);
  });

  it('the hooked part imports click from its rewritten pycs; a second run changes nothing', async () => {
    const r = spawnSync(join(one, 'bin', 'python3.11'), ['-v', '-c', 'import click'], { env: buildHostEnv(), encoding: 'utf8', cwd: work });
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    expect(r.stderr).toMatch(/site-packages\/click\/__pycache__\/core\.cpython-311\.pyc matches /);
    expect(r.stderr).not.toMatch(/bytecode is stale/);
    const again = await runHook({ installDir: one, partName: 'one', projectName: 'hooktest' });
    expect(again.pyc.rewritten + again.venv.rewritten + again.record.rewritten).toBe(0);
    expect(again.pyc.unchanged).toBeGreaterThan(10);
  });

  it('pyvenv.cfg keeps home and version; the venv path becomes the run-time path', async () => {
    const cfg = await fsp.readFile(join(one, 'pyvenv.cfg'), 'utf8');
    expect(cfg).toContain(`home = ${join(py?.exe ?? '', '..')}`);
    expect(cfg).toMatch(/^version = 3\.11\.\d+$/m);
    expect(cfg).toMatch(/-m venv \/snap\/hooktest\/current$/m);
    expect(cfg).not.toContain(one);
    expect(await fsp.readFile(join(one, 'bin', 'activate'), 'utf8')).toContain('/snap/hooktest/current');
  });
});
