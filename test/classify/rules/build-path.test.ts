import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { normaliseBuildPaths, findBuildPaths } from '../../../src/classify/build-paths.js';
import { textFacts } from '../../../src/classify/rules/build-path.js';
import { EXAMPLE, examplePart, treeRunner } from '../../helpers/tree.js';

const run = treeRunner(afterAll);

describe('build-path', () => {
  it('hashes text without build paths as bytes, exactly as the normalised text would hash', () => {
    // Every file of a real part under bin/ and in dist-info dirs: scripts with and without the venv path.
    const part = 'flask-a';
    const root = join(EXAMPLE, 'parts', part, 'install');
    const files = readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && (e.parentPath.includes('dist-info') || e.parentPath.endsWith('/bin')))
      .map((e) => join(e.parentPath, e.name));
    let plain = 0;
    let withPaths = 0;
    for (const f of files) {
      const bytes = new Uint8Array(readFileSync(f));
      const fast = textFacts(bytes, part, root);
      expect(fast, f).toEqual(textFacts(bytes, part, root, false));
      if (fast.text && fast.paths.length === 0) plain++;
      if (fast.paths.length > 0) withPaths++;
    }
    // Both routes were taken.
    expect(plain).toBeGreaterThan(5);
    expect(withPaths).toBeGreaterThan(0);
  });

  it('tokenises a part\'s own build paths only', () => {
    const text = '#!/root/parts/web/install/bin/python3\nX=/root/parts/web/build/x /root/parts/other/install/y /tmp/pip-install-ab_12/z';
    expect(normaliseBuildPaths(text, 'web')).toBe('#!${PART_INSTALL}/bin/python3\nX=${PART_BUILD}/x /root/parts/other/install/y ${PIP_TMP}/z');
    expect(findBuildPaths(text, 'web')).toEqual(['/root/parts/web/build', '/root/parts/web/install', '/tmp/pip-install-ab_12']);
  });

  it('benign: a generated text file (a venv activate script kept as data) that differs only in the part path', async () => {
    const f = await run({
      'flask-a': { 'share/env/activate': { from: examplePart('flask-a', 'bin/activate') } },
      'flask-b': { 'share/env/activate': { from: examplePart('flask-b', 'bin/activate') } },
    });
    const finding = f.finding('share/env/activate');
    expect(finding?.rule).toBe('build-path');
    expect(finding?.verdict).toBe('benign');
    expect(finding?.reason).toContain('parts/flask-a/install');
  });

  it('real: text that still differs after normalisation is passed on and reported real', async () => {
    const f = await run({
      'flask-a': { 'share/env/activate': { from: examplePart('flask-a', 'bin/activate') } },
      'click-py312': { 'share/env/activate': { from: examplePart('click-py312', 'bin/activate') } },
    });
    const finding = f.finding('share/env/activate');
    expect(finding?.verdict).toBe('real');
    expect(finding?.rule).toBe('contents');
  });

  it('real: pip scripts of a 3.12 part and a 3.11 part differ in the interpreter they run', async () => {
    const f = await run({
      'flask-a': { 'bin/pip': { from: examplePart('flask-a', 'bin/pip') } },
      'click-py312': { 'bin/pip': { from: examplePart('click-py312', 'bin/pip') } },
    });
    const finding = f.finding('bin/pip');
    expect(finding?.rule).toBe('build-path');
    expect(finding?.verdict).toBe('real');
    expect(finding?.messageId).toBe('shebang');
    expect(finding?.reason).toMatch(/python3\.12/);
  });

  it('not applicable: binary files (extension modules)', async () => {
    const so = 'lib/python3.11/site-packages/numpy/random/_sfc64.cpython-311-x86_64-linux-gnu.so';
    const f = await run({ 'numpy-old': { [so]: { from: examplePart('numpy-old', so) } }, 'numpy-new': { [so]: { from: examplePart('numpy-new', so) } } });
    expect(f.finding(so)?.rule).toBe('contents');
  });
});
