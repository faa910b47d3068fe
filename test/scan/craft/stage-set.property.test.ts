/**
 * stageSet against the oracle (real pathlib/os.walk on a real tree) for random small trees and stage lists.
 * Runs for each of python3.10/3.11/3.12 found, with the matching pathlib flavour. STAGEFIX_FULL=1 runs more.
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CraftSemanticsError } from '../../../src/scan/craft/errors.js';
import { type PathlibVersion, stageSet } from '../../../src/scan/craft/stage-set.js';
import { pythonOrSkip, skipTitle } from '../../helpers/python.js';
import { listDir, materialise, oracleStageSet, type TreeSpec } from './disk.js';

const FULL = process.env.STAGEFIX_FULL === '1';
const NAMES = ['a', 'b', 'lib', '.h', 'x.py', 's', 'lib64'];
const TARGETS = ['lib', 'a', '../lib', 'a/b', 'missing', '.', '..', 'x.py', '/nonexistent-stagefix', '@ROOT@/lib', '@ROOT@/a/x.py', '/etc/hostname'];
const INCLUDES = ['*', 'lib', 'a/*', '*/*', '*.py', 'lib/**', 'a', '.h', '*/', 'lib/', '[ab]*', '?', 'missing/x', 'lib/*/', '*/s', 'lib64/x.py', '\\a', '**/x.py', '.*', 'a/b'];
const EXCLUDES = ['-lib', '-*.py', '-**/x.py', '-a/*', '-.h', '-*/s', '-lib/**', '-lib64', '-[!a]', '-a/b', '-**', '-*/'];

const segment = fc.constantFrom(...NAMES);
const pathArb = fc.array(segment, { minLength: 1, maxLength: 3 }).map((p) => p.join('/'));
const entryArb: fc.Arbitrary<TreeSpec> = fc.oneof(
  pathArb.map((path) => ({ path, kind: 'file' as const })),
  pathArb.map((path) => ({ path, kind: 'dir' as const })),
  fc.tuple(pathArb, fc.constantFrom(...TARGETS)).map(([path, target]) => ({ path, kind: 'link' as const, target })),
);
const treeArb = fc.array(entryArb, { minLength: 1, maxLength: 12 });
const stageArb = fc.oneof(
  fc.constant(undefined),
  fc.tuple(fc.subarray(INCLUDES, { maxLength: 3 }), fc.subarray(EXCLUDES, { maxLength: 2 })).map(([i, e]) => [...i, ...e]),
);

for (const minor of ['3.12', '3.11', '3.10'] as const) {
  const py = pythonOrSkip(minor);
  describe.skipIf(!py)(skipTitle(`stageSet equals migratable_filesets under python${minor}`, minor, py), () => {
    it('random trees and stage lists', () => {
      fc.assert(
        fc.property(treeArb, stageArb, (tree, stage) => {
          const dir = realpathSync(mkdtempSync(join(tmpdir(), 'stagefix-ss-')));
          try {
            materialise(dir, tree);
            const listing = listDir(dir);
            const expected = oracleStageSet(py?.exe ?? '', dir, stage ?? ['*']);
            let actual: string[] | CraftSemanticsError;
            try {
              actual = [...stageSet(listing, stage, { python: minor as PathlibVersion, installDir: dir })].sort();
            } catch (e) {
              if (!(e instanceof CraftSemanticsError)) throw e;
              actual = e;
            }
            if (actual instanceof CraftSemanticsError) {
              if (actual.code === 'needs-host') return; // the answer depends on files outside the tree
              expect(Array.isArray(expected), `TS raised ${actual.message}, oracle gave ${JSON.stringify(expected)}`).toBe(false);
            } else {
              expect(actual).toEqual(expected);
            }
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        }),
        { seed: 42, numRuns: FULL ? 1000 : 60, interruptAfterTimeLimit: FULL ? 150_000 : 20_000 },
      );
      // The test's own timeout must outlast fast-check's time budget, or vitest cuts the run short.
    }, FULL ? 240_000 : 120_000);
  });
}
