import { cpSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ALL_MINORS, buildHostEnv, pythonOrSkip, skipTitle } from '../../helpers/python.js';
import {
  canonicalizePyc,
  checkAgainstSource,
  compareTrees,
  filenamesOf,
  parsePyc,
  readMarshal,
  writeMarshal,
} from '../../../src/python/pyc/index.js';
import { loadPy314 } from '../../../scripts/pyc/pyodide.js';
import { FIXTURES, FIXTURE_MINORS, fixturePyc, fixtureSource, runPy, tempDir } from './helpers.js';

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

describe('canonical writer on the fixtures', () => {
  it.each(FIXTURE_MINORS)('%s: round trip, rename, header, idempotence', (minor) => {
    const pyc = fixturePyc(minor);
    const p = parsePyc(pyc);
    const again = readMarshal(writeMarshal(p.code, p.format), p.format);
    expect(compareTrees(p.code, again)).toEqual({ equal: true });
    expect(filenamesOf(again)).toEqual(filenamesOf(p.code));

    const source = fixtureSource();
    const opts = {
      filename: (old: string) => old.replace('/build/', '/srv/app/'),
      invalidation: 'unchecked-hash' as const,
      source,
      sourceMtimeNs: 1_700_000_000_123_000_000n,
    };
    const canon = canonicalizePyc(pyc, opts);
    const c = parsePyc(canon);
    expect(filenamesOf(c.code)).toEqual(['/srv/app/pkg/sample.py']);
    expect(compareTrees(p.code, c.code)).toEqual({ equal: true });
    expect(same(canonicalizePyc(canon, opts), canon)).toBe(true);
    if (minor === '3.6') {
      expect(c.header).toMatchObject({ invalidation: 'timestamp', mtime: 1_700_000_000, sourceSize: source.length });
    } else {
      expect(c.header).toMatchObject({ invalidation: 'unchecked-hash', flags: 1 });
      const h = parsePyc(canonicalizePyc(pyc, { ...opts, invalidation: 'checked-hash' })).header;
      expect(checkAgainstSource(h, { bytes: source, size: source.length, mtimeNs: 0n })).toEqual({ status: 'valid' });
    }
  });
  it('3.6 needs the source mtime', () => {
    expect(() => canonicalizePyc(fixturePyc('3.6'), { filename: 'x.py', invalidation: 'checked-hash', source: fixtureSource() })).toThrow(/sourceMtimeNs/);
  });
});

/** Lay out pkg/{__init__.py,sample.py} under `root`. */
function makePkg(root: string): string {
  const pkg = join(root, 'pkg');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, '__init__.py'), '');
  cpSync(join(FIXTURES, 'sample.py'), join(pkg, 'sample.py'));
  return pkg;
}

describe.each(ALL_MINORS)('canonical pycs for %s', (minor) => {
  const py = pythonOrSkip(minor);
  it.skipIf(!py)(skipTitle('two parts become byte-identical and the interpreter uses the result', minor, py), () => {
    if (!py) return;
    const dir = tempDir(`canon${minor}`);
    const tag = `cpython-${minor.replace('.', '')}`;
    // Two parts build the same package under different paths, with different hash seeds.
    const pycs = ['partA', 'partB'].map((part, i) => {
      const pkg = makePkg(join(dir, part, 'install'));
      runPy(py.exe, ['-m', 'compileall', '-q', pkg], { ...buildHostEnv(), PYTHONHASHSEED: String(i * 7) });
      return new Uint8Array(readFileSync(join(pkg, '__pycache__', `sample.${tag}.pyc`)));
    });
    const runPkg = makePkg(join(dir, 'run'));
    const src = join(runPkg, 'sample.py');
    const st = statSync(src, { bigint: true });
    const source = new Uint8Array(readFileSync(src));
    const [a, b] = pycs.map((pyc) =>
      canonicalizePyc(pyc, { filename: src, invalidation: 'checked-hash', source, sourceMtimeNs: st.mtimeNs, sourceSize: Number(st.size) }),
    ) as [Uint8Array, Uint8Array];
    expect(same(a, b)).toBe(true);

    const target = join(runPkg, '__pycache__', `sample.${tag}.pyc`);
    mkdirSync(join(runPkg, '__pycache__'), { recursive: true });
    writeFileSync(target, a);
    const r = spawnSync(py.exe, ['-v', '-c', 'import pkg.sample as m; print(m.main()); print(m.outer.__code__.co_filename)'], {
      cwd: join(dir, 'run'),
      env: buildHostEnv(),
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`# ${target} matches ${src}`);
    expect(r.stderr).toContain(`# code object from '${target}'`);
    expect(r.stderr).not.toMatch(/bytecode is stale|created '.*sample\./);
    expect(same(new Uint8Array(readFileSync(target)), a)).toBe(true);
    // Same behaviour as running the source itself, with no pyc at all.
    const plain = runPy(py.exe, ['-B', src], buildHostEnv());
    expect(r.stdout.split('\n')[0]).toBe(plain.trim());
    expect(r.stdout.split('\n')[1]).toBe(src);
  });
});

describe('canonical pycs for 3.14 (Pyodide)', () => {
  it('two dfiles become byte-identical and the import uses the pyc without recompiling', async () => {
    const py = await loadPy314();
    if (!py) throw new Error('pyodide must load');
    const source = fixtureSource();
    py.mkdirTree('/tmp/run314/pkg/__pycache__');
    py.writeFile('/tmp/run314/pkg/__init__.py', '');
    py.writeFile('/tmp/run314/pkg/sample.py', source);
    const pycs = ['/parts/a/pkg/sample.py', '/parts/b/install/pkg/sample.py'].map((dfile, i) => {
      py.run(
        `import py_compile\npy_compile.compile('/tmp/run314/pkg/sample.py', cfile='/tmp/c${i}.pyc', dfile=${JSON.stringify(dfile)}, doraise=True)`,
        [],
      );
      return py.readFile(`/tmp/c${i}.pyc`);
    });
    const [a, b] = pycs.map((p) =>
      canonicalizePyc(p, { filename: '/tmp/run314/pkg/sample.py', invalidation: 'checked-hash', source }),
    ) as [Uint8Array, Uint8Array];
    expect(same(a, b)).toBe(true);
    const target = '/tmp/run314/pkg/__pycache__/sample.cpython-314.pyc';
    py.writeFile(target, a);
    // No -v in Pyodide: record recompiles by wrapping the loader's compile step instead.
    const out = py.run(
      [
        'import sys, importlib._bootstrap_external as be',
        'sys.dont_write_bytecode = False',
        "sys.path.insert(0, '/tmp/run314')",
        'compiled = []',
        'orig = be.SourceLoader.source_to_code',
        'def spy(self, data, path, **kw):',
        '    compiled.append(path)',
        '    return orig(self, data, path, **kw)',
        'be.SourceLoader.source_to_code = spy',
        'import pkg.sample as m',
        'print(m.main())',
        "print([p for p in compiled if p.endswith('sample.py')])",
      ].join('\n'),
      [],
    );
    const lines = out.trim().split('\n');
    expect(lines[1]).toBe('[]');
    expect(same(py.readFile(target), a)).toBe(true);
    expect(lines[0]).toBe(py.run("import runpy; runpy.run_path('/tmp/run314/pkg/sample.py', run_name='__main__')", []).trim());
  });
});
