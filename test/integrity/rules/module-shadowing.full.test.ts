/**
 * Exhaustive check (STAGEFIX_FULL=1): for every installed CPython 3.6–3.13 and every pair of pure-Python
 * forms (package, namespace dir, source, legacy bytecode written by that interpreter) shipped by two
 * parts, the rule's winner is the file the real interpreter imports from the materialised stage.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_MINORS, findPython } from '../../helpers/python.js';
import type { Tree } from '../../helpers/tree.js';
import { materialiseStage, runOn, runPython } from '../helpers.js';

const FULL = process.env.STAGEFIX_FULL === '1';
type Form = 'package' | 'namespace' | 'source' | 'bytecode';
const FORMS: Form[] = ['package', 'namespace', 'source', 'bytecode'];

describe.skipIf(!FULL)('module-shadowing against every interpreter [STAGEFIX_FULL=1 only]', () => {
  for (const minor of ALL_MINORS) {
    const py = findPython(minor);
    it.skipIf(!py)(`matches python${minor}'s FileFinder for every pair of forms`, async () => {
      if (!py) return;
      const sp = `lib/python${minor}/site-packages`;
      const tmp = mkdtempSync(join(tmpdir(), 'stagefix-forms-'));
      writeFileSync(join(tmp, 'foo.py'), 'KIND = "bytecode"\n');
      execFileSync(py.exe, ['-m', 'compileall', '-q', '-b', tmp]);
      const tree = (form: Form): Tree =>
        form === 'package' ? { [`${sp}/foo/__init__.py`]: { text: 'KIND = "package"\n' } }
        : form === 'namespace' ? { [`${sp}/foo/data.txt`]: { text: 'x\n' } }
        : form === 'source' ? { [`${sp}/foo.py`]: { text: 'KIND = "source"\n' } }
        : { [`${sp}/foo.pyc`]: { from: join(tmp, 'foo.pyc') } };
      for (const a of FORMS) {
        for (const b of FORMS) {
          if (a === b || (a === 'package' && b === 'namespace') || (a === 'namespace' && b === 'package')) continue;
          const r = await runOn({ first: { tree: tree(a) }, second: { tree: tree(b) } });
          try {
            const [f] = r.of('module-shadowing');
            expect(f, `${a} vs ${b}`).toBeDefined();
            const stage = materialiseStage(r, sp);
            const got = runPython(py, [join(stage, sp)], 'import foo; print(foo.__file__ or list(foo.__path__)[0])');
            expect(relative(stage, got), `${a} vs ${b} on ${minor}`).toBe(f?.args.winner);
          } finally {
            r.cleanup();
          }
        }
      }
    });
  }
});
