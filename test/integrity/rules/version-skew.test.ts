/**
 * version-skew on real parts: more-itertools 10.8.0 and 11.1.0 from the offline index, each installed
 * by pip with the plugin recipe into its own part (python3.11).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecord, resolveRecordPath } from '../../../src/python/dist/record.js';
import { pythonOrSkip, skipTitle } from '../../helpers/python.js';
import { buildPart, materialiseStage, runOn, runPython, type IntegrityRun } from '../helpers.js';

const py = pythonOrSkip('3.11');
const SP = 'lib/python3.11/site-packages';

describe.skipIf(!py)(skipTitle('version-skew', '3.11', py), () => {
  let skew: IntegrityRun;
  let same: IntegrityRun;
  beforeAll(async () => {
    if (!py) return;
    const old = buildPart({ key: 'skew-old', python: py, packages: ['more-itertools==10.8.0'] });
    const cur = buildPart({ key: 'skew-new', python: py, packages: ['more-itertools==11.1.0'] });
    skew = await runOn({ 'mi-new': { from: cur }, 'mi-old': { from: old } });
    same = await runOn({ 'mi-a': { from: cur }, 'mi-b': { from: cur } });
  });
  afterAll(() => {
    skew?.cleanup();
    same?.cleanup();
  });

  it('flags one distribution at two versions as real, naming both versions, the parts and the files that mix', () => {
    const f = skew.of('version-skew');
    expect(f).toHaveLength(1);
    const [finding] = f;
    // Part order is alphabetical: mi-new (11.1.0) stages first, mi-old (10.8.0) replaces what both ship.
    expect(finding).toMatchObject({
      kind: 'environment',
      verdict: 'real',
      pairs: [],
      parts: ['mi-new', 'mi-old'],
      path: `${SP}/more_itertools-10.8.0.dist-info`,
      args: { versionA: '11.1.0', partsA: 'mi-new', versionB: '10.8.0', partsB: 'mi-old', dir: SP },
    });
    // The mixture, recomputed from the two real RECORDs: 11.1.0's files that 10.8.0 does not list.
    const rows = (part: string, v: string): string[] =>
      parseRecord(readFileSync(join(skew.install(part), SP, `more_itertools-${v}.dist-info`, 'RECORD'), 'utf8'))
        .map((r) => resolveRecordPath(SP, r.path))
        .filter((p): p is string => p !== undefined);
    const oldRows = new Set(rows('mi-old', '10.8.0'));
    const expected = rows('mi-new', '11.1.0').filter((p) => !p.includes('.dist-info/') && !oldRows.has(p));
    expect(finding?.args.mixed).toBe(expected.length);
    expect(finding?.reason).toContain('more_itertools is installed as 11.1.0 by mi-new and as 10.8.0 by mi-old');
  });

  it('matches what a real interpreter sees in the staged tree: two installed versions', () => {
    if (!py) return;
    const stage = materialiseStage(skew, SP);
    const out = runPython(py, [join(stage, SP)], [
      'import importlib.metadata as m',
      "print(sorted(d.version for d in m.distributions(path=[sys.path[0]]) if d.metadata['Name'].lower().replace('_', '-') == 'more-itertools'))",
    ].join('\n'));
    expect(out).toBe("['10.8.0', '11.1.0']");
  });

  it('does not flag the same version in two parts (not a finding)', () => {
    expect(same.of('version-skew')).toEqual([]);
  });
});
