// The 3.14 golden fixture, compiled and dumped inside Pyodide (see gen-fixtures.sh).
import { readFileSync, writeFileSync } from 'node:fs';
import { loadPy314 } from './pyodide.js';

const py = await loadPy314();
if (!py) throw new Error('pyodide is not installed');
py.writeFile('/tmp/sample.py', readFileSync('fixtures/pyc/sample.py'));
py.run(
  [
    'import py_compile',
    "py_compile.compile('/tmp/sample.py', cfile='/tmp/sample.pyc', dfile='/build/pkg/sample.py', doraise=True,",
    '                   invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)',
  ].join('\n'),
  [],
);
writeFileSync('fixtures/pyc/sample.3.14.pyc.bin', py.readFile('/tmp/sample.pyc'));
const dump = py.run(readFileSync('scripts/pyc/dump_marshal.py', 'utf8'), ['/tmp/sample.pyc']);
writeFileSync('fixtures/pyc/sample.3.14.json', dump.trimEnd());
console.log(`3.14 (${py.version}): ${py.readFile('/tmp/sample.pyc').length} bytes`);
