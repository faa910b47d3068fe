import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sourceOfPyc } from '../../../src/python/pyc/paths.js';
import { examplePart, treeRunner } from '../../helpers/tree.js';
import { buildHostEnv, pythonOrSkip, skipTitle } from '../../helpers/python.js';

const SP = 'lib/python3.11/site-packages';
const pair = treeRunner(afterAll);

describe('python-bytecode', () => {
  it('maps pycs to their sources', () => {
    expect(sourceOfPyc('a/b/__pycache__/mod.cpython-311.pyc')).toBe('a/b/mod.py');
    expect(sourceOfPyc('__pycache__/mod.cpython-36.opt-2.pyc')).toBe('mod.py');
    expect(sourceOfPyc('a/legacy.pyc')).toBe('a/legacy.py');
  });

  it('benign: the same flask module built in two parts differs only in the embedded path', async () => {
    const pyc = `${SP}/flask/__pycache__/app.cpython-311.pyc`;
    const py = `${SP}/flask/app.py`;
    const f = await pair({
      'flask-a': { [pyc]: { from: examplePart('flask-a', pyc) }, [py]: { from: examplePart('flask-a', py) } },
      'flask-b': { [pyc]: { from: examplePart('flask-b', pyc) }, [py]: { from: examplePart('flask-b', py) } },
    });
    const finding = f.finding(pyc);
    expect(finding?.rule).toBe('python-bytecode');
    expect(finding?.verdict).toBe('benign');
    expect(finding?.messageId).toBe('filename');
    expect(finding?.reason).toContain('parts/flask-a/install');
    expect(finding?.reason).toContain('parts/flask-b/install');
  });

  it('real: numpy 1.26.4 vs 2.2.6 bytecode of a source that changed', async () => {
    const pyc = `${SP}/numpy/__pycache__/__init__.cpython-311.pyc`;
    const py = `${SP}/numpy/__init__.py`;
    const f = await pair({
      'numpy-old': { [pyc]: { from: examplePart('numpy-old', pyc) }, [py]: { from: examplePart('numpy-old', py) } },
      'numpy-new': { [pyc]: { from: examplePart('numpy-new', pyc) }, [py]: { from: examplePart('numpy-new', py) } },
    });
    const finding = f.finding(pyc);
    expect(finding?.rule).toBe('python-bytecode');
    expect(finding?.verdict).toBe('real');
    expect(finding?.messageId).toBe('source');
  });

  it('not applicable: a .py file is left to the other rules', async () => {
    const py = `${SP}/numpy/__init__.py`;
    const f = await pair({
      'numpy-old': { [py]: { from: examplePart('numpy-old', py) } },
      'numpy-new': { [py]: { from: examplePart('numpy-new', py) } },
    });
    expect(f.finding(py)?.rule).not.toBe('python-bytecode');
    expect(f.finding(py)?.verdict).toBe('real');
  });

  const py310 = pythonOrSkip('3.10');
  const py311 = pythonOrSkip('3.11');
  describe.skipIf(!py310 || !py311)(skipTitle('with real interpreters', '3.10/3.11', py310 && py311), () => {
    const work = mkdtempSync(join(tmpdir(), 'stagefix-pyc-'));
    afterAll(() => rmSync(work, { recursive: true, force: true }));
    const src = join(work, 'mod.py');
    writeFileSync(src, '"""Docstring that -OO strips."""\nVALUE = {"alpha", "beta"}\ndef f(x):\n    return x in VALUE\n');
    const compile = (exe: string, out: string, optimize = 0): string => {
      execFileSync(exe, ['-c', `import py_compile,sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], optimize=${optimize}, doraise=True)`, src, out], {
        env: buildHostEnv(),
      });
      return out;
    };

    it('real: the same source compiled by 3.10 and 3.11 names both interpreters', async () => {
      const a = compile((py310 as { exe: string }).exe, join(work, 'a.pyc'));
      const b = compile((py311 as { exe: string }).exe, join(work, 'b.pyc'));
      const f = await pair({ a: { 'mod.pyc': { from: a }, 'mod.py': { from: src } }, b: { 'mod.pyc': { from: b }, 'mod.py': { from: src } } });
      const finding = f.finding('mod.pyc');
      expect(finding?.verdict).toBe('real');
      expect(finding?.messageId).toBe('magic');
      expect(finding?.args).toMatchObject({ pythonA: '3.10', pythonB: '3.11', magicA: 3439, magicB: 3495 });
    });

    it('real: the same source at another optimisation level is different code, located', async () => {
      const a = compile((py311 as { exe: string }).exe, join(work, 'o0.pyc'), 0);
      const b = compile((py311 as { exe: string }).exe, join(work, 'o2.pyc'), 2);
      const f = await pair({ a: { 'mod.pyc': { from: a }, 'mod.py': { from: src } }, b: { 'mod.pyc': { from: b }, 'mod.py': { from: src } } });
      const finding = f.finding('mod.pyc');
      expect(finding?.verdict).toBe('real');
      expect(finding?.messageId).toBe('code');
      expect(String(finding?.args.where)).toMatch(/^<module>/);
    });
  });
});
