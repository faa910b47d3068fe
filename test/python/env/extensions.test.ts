import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extensionSuffixes, loadSuffix, parseExtensionName, willLoad } from '../../../src/python/env/extensions.js';
import { ALL_MINORS, findPython, pythonOrSkip, skipTitle } from '../../helpers/python.js';
import { pythonJson } from './venv-builder.js';

interface Facts {
  suffixes: string[];
  soabi: string;
  extSuffix: string;
  dynload: string;
}
const FACTS = [
  'import importlib.machinery as m, json, sysconfig, os',
  'print(json.dumps({"suffixes": m.EXTENSION_SUFFIXES, "soabi": sysconfig.get_config_var("SOABI"),',
  '  "extSuffix": sysconfig.get_config_var("EXT_SUFFIX"), "dynload": os.path.join(sysconfig.get_paths()["platstdlib"], "lib-dynload")}))',
].join('\n');

describe('extension suffixes of the real interpreters', () => {
  for (const minor of ALL_MINORS) {
    const py = pythonOrSkip(minor);
    it.skipIf(!py)(skipTitle(`python${minor}: EXTENSION_SUFFIXES and lib-dynload`, minor, py), async () => {
      const f = await pythonJson<Facts>(py?.exe ?? '', FACTS);
      const ours = extensionSuffixes({ minor, soabi: f.soabi, extSuffix: f.extSuffix });
      expect(ours).toEqual(f.suffixes);
      expect(extensionSuffixes({ minor, soabi: f.soabi })).toEqual(f.suffixes);
      // Another minor's suffixes, to check that tagged modules are not loadable across versions.
      const other = ALL_MINORS.find((m) => m !== minor && findPython(m));
      const otherSuffixes = other ? extensionSuffixes({ minor: other, soabi: f.soabi.replace(/cpython-\d+/, `cpython-${other.replace('.', '')}`) }) : undefined;
      const files = readdirSync(f.dynload).filter((n) => n.endsWith('.so'));
      expect(files.length).toBeGreaterThan(10);
      for (const file of files) {
        const p = parseExtensionName(file);
        expect(p, file).toMatchObject({ kind: 'soabi', pythonTag: minor.replace('.', ''), platform: 'x86_64-linux-gnu', libc: 'gnu' });
        expect(p?.abiflags).toBe(minor === '3.6' || minor === '3.7' ? 'm' : '');
        expect(willLoad(file, ours), file).toBe(true);
        expect(loadSuffix(file, ours)).toBe(f.extSuffix);
        if (otherSuffixes) expect(willLoad(file, otherSuffixes), file).toBe(false);
      }
    });
  }
});

describe('parseExtensionName', () => {
  // Names from pyc-format.md §8.1 and §8.2 (other platforms are documented, not measured here).
  it.each([
    ['_ssl.cpython-37m-x86_64-linux-gnu.so', { module: '_ssl', kind: 'soabi', pythonTag: '37', abiflags: 'm', libc: 'gnu' }],
    ['x.cpython-313t-x86_64-linux-gnu.so', { kind: 'soabi', pythonTag: '313', abiflags: 't' }],
    ['x.cpython-311-x86_64-linux-musl.so', { kind: 'soabi', libc: 'musl' }],
    ['x.cpython-311-darwin.so', { kind: 'soabi', platform: 'darwin' }],
    ['x.cpython-314-wasm32-emscripten.so', { kind: 'soabi', platform: 'wasm32-emscripten' }],
    ['_cffi_backend.abi3.so', { module: '_cffi_backend', kind: 'abi3' }],
    ['x.abi3-x86_64-linux-gnu.so', { kind: 'abi3', platform: 'x86_64-linux-gnu' }],
    ['x.so', { kind: 'plain' }],
    ['x.cp311-win_amd64.pyd', { kind: 'windows', pythonTag: '311', platform: 'win_amd64' }],
    ['x_d.cp311-win_amd64.pyd', { module: 'x', kind: 'windows', debug: true }],
    ['x.pyd', { kind: 'windows' }],
  ])('%s', (name, expected) => {
    expect(parseExtensionName(name)).toMatchObject(expected);
  });

  it('rejects non-extensions and knows that a dotted stem is not a module', () => {
    for (const n of ['x.py', 'libfoo.so.1', '.so', 'x.cpython-311.pyc']) expect(parseExtensionName(n), n).toBeUndefined();
    const s311 = extensionSuffixes({ minor: '3.11', soabi: 'cpython-311-x86_64-linux-gnu' });
    expect(willLoad('foo.cpython-312-x86_64-linux-gnu.so', s311)).toBe(false);
    expect(willLoad('foo.abi3.so', s311)).toBe(true);
    expect(extensionSuffixes({ minor: '3.11', soabi: 'cpython-311d-x86_64-linux-gnu' })).toEqual([
      '.cpython-311d-x86_64-linux-gnu.so', '.cpython-311-x86_64-linux-gnu.so', '.abi3.so', '.so',
    ]);
    expect(extensionSuffixes({ minor: '3.11', extSuffix: '.cp311-win_amd64.pyd' })).toEqual(['.cp311-win_amd64.pyd', '.pyd']);
    expect(extensionSuffixes({ minor: '3.11' })).toEqual(['.abi3.so', '.so']);
  });
});
