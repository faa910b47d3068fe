/**
 * CPython 3.14 for the tests, through the pyodide npm package (no native 3.14 on the machine). Scripts
 * run inside Pyodide's in-memory file system; files are copied in and out explicitly.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

export interface Py314 {
  version: string;
  /** Run `script` with sys.argv = [name, ...args]; returns what it printed. */
  run(script: string, args: string[]): string;
  readFile(path: string): Uint8Array;
  writeFile(path: string, data: Uint8Array | string): void;
  mkdirTree(path: string): void;
  listDir(path: string): string[];
}

interface PyodideLike {
  runPython(code: string, opts?: { globals?: unknown }): unknown;
  globals: { get(name: string): unknown };
  FS: {
    readFile(p: string): Uint8Array;
    writeFile(p: string, d: Uint8Array | string): void;
    mkdirTree(p: string): void;
    readdir(p: string): string[];
  };
  setStdout(o: { batched: (s: string) => void }): void;
  setStderr(o: { batched: (s: string) => void }): void;
}

let cached: Promise<Py314 | undefined> | undefined;

/** The Pyodide 3.14 interpreter, or undefined when the package is not installed. */
export function loadPy314(): Promise<Py314 | undefined> {
  cached ??= (async () => {
    let indexURL: string;
    try {
      indexURL = dirname(createRequire(import.meta.url).resolve('pyodide/package.json'));
      readFileSync(`${indexURL}/python_stdlib.zip`, { flag: 'r' });
    } catch {
      return undefined;
    }
    const mod = (await import('pyodide')) as unknown as { loadPyodide(o: { indexURL: string }): Promise<PyodideLike> };
    const py = await mod.loadPyodide({ indexURL: `${indexURL}/` });
    let out = '';
    py.setStdout({ batched: (s) => { out += `${s}\n`; } });
    py.setStderr({ batched: () => undefined });
    const version = String(py.runPython('import sys; "%d.%d.%d" % sys.version_info[:3]'));
    return {
      version,
      run(script, args) {
        out = '';
        py.FS.writeFile('/tmp/__script.py', script);
        py.runPython(
          `import sys, runpy\nsys.argv = ${JSON.stringify(['script', ...args])}\ntry:\n    runpy.run_path('/tmp/__script.py', run_name='__main__')\nexcept SystemExit as e:\n    if e.code not in (None, 0): raise\n`,
        );
        return out;
      },
      readFile: (p) => py.FS.readFile(p),
      writeFile: (p, d) => py.FS.writeFile(p, d),
      mkdirTree: (p) => py.FS.mkdirTree(p),
      listDir: (p) => py.FS.readdir(p).filter((n) => n !== '.' && n !== '..'),
    };
  })();
  return cached;
}
