/**
 * The integrity rules on the bundled example (five real parts, base core24; docs/fixtures.md). No
 * interpreter needed. Exactly two problems are there, and the benign pairs (flask-a/flask-b share every
 * package at the same version) add nothing:
 * - version-skew: numpy 2.2.6 (numpy-new) and 1.26.4 (numpy-old) in lib/python3.11/site-packages;
 *   numpy-old stages later, so 1.26.4's dist-info is the path and 2.2.6's leftovers are the mixture;
 * - broken-link: the staged bin/python3 (numpy-old's copy, the last of the 3.11 parts) → /usr/bin/python3.11,
 *   which core24 does not ship. click-py312's bin/python3.12 → /usr/bin/python3.12 is fine on core24, and
 *   bin/python3.11 → the build host's pyenv path is an unknown absolute target (not reported).
 * The checkout's pycs (mtimes not kept by git) are not reported: same-part timestamp pycs are judged by size.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runIntegrity } from '../../src/integrity/index.js';
import type { Finding } from '../../src/model.js';
import { parseRecord, resolveRecordPath } from '../../src/python/dist/record.js';
import { analyse } from '../../src/run.js';
import { loadProject } from '../../src/scan/project.js';
import { REPO } from './helpers.js';

const EXAMPLE = join(REPO, 'example');
const SP = 'lib/python3.11/site-packages';

describe('integrity rules on the bundled example', () => {
  let findings: Finding[];
  beforeAll(async () => {
    const a = await analyse(loadProject(EXAMPLE));
    findings = await runIntegrity(a.scan, a.source);
  });

  it('reports exactly the numpy version skew and the dangling 3.11 interpreter link', () => {
    expect(findings.map((f) => [f.rule, f.path, f.verdict])).toEqual([
      ['version-skew', `${SP}/numpy-1.26.4.dist-info`, 'real'],
      ['broken-link', 'bin/python3', 'real'],
    ]);
  });

  it('names both numpy versions, their parts and the 2.2.6 files left beside 1.26.4', () => {
    const f = findings.find((x) => x.rule === 'version-skew');
    expect(f).toMatchObject({ parts: ['numpy-new', 'numpy-old'], kind: 'environment', pairs: [], args: { versionA: '2.2.6', partsA: 'numpy-new', versionB: '1.26.4', partsB: 'numpy-old' } });
    const rows = (part: string, v: string): string[] =>
      parseRecord(readFileSync(join(EXAMPLE, 'parts', part, 'install', SP, `numpy-${v}.dist-info`, 'RECORD'), 'utf8'))
        .map((r) => resolveRecordPath(SP, r.path))
        .filter((p): p is string => p !== undefined);
    const old = new Set(rows('numpy-old', '1.26.4'));
    const left = rows('numpy-new', '2.2.6').filter((p) => !p.includes('.dist-info/') && !old.has(p));
    expect(f?.args.mixed).toBe(left.length);
    expect(f?.args.mixed).toBeGreaterThan(0);
  });

  it('says which base lacks the interpreter', () => {
    const f = findings.find((x) => x.rule === 'broken-link');
    expect(f).toMatchObject({ parts: ['numpy-old'], args: { target: '/usr/bin/python3.11', base: 'core24', basePython: '3.12' } });
  });

  it('reports nothing for the benign flask-a/flask-b pair', () => {
    expect(findings.filter((f) => f.parts.includes('flask-a' as never) || f.parts.includes('flask-b' as never))).toEqual([]);
  });
});
