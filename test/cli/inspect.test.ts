/** `stagefix inspect` on a pyc from each interpreter prints the right version; `explain` gives the reasoning. */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { FINAL_MAGIC } from '../../src/python/pyc/header.js';
import { EXAMPLE } from '../helpers/tree.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'pyc');
const work = mkdtempSync(join(tmpdir(), 'stagefix-inspect-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const run = (args: string[]) => runCli(args, process.cwd());

const versions = readdirSync(FIXTURES)
  .map((f) => /^sample\.(3\.\d+)\.pyc\.bin$/.exec(f)?.[1])
  .filter((v): v is string => v !== undefined);

describe('stagefix inspect', () => {
  it('has a fixture for every interpreter 3.6 to 3.14', () => {
    expect(versions.sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]))).toEqual(['3.6', '3.7', '3.8', '3.9', '3.10', '3.11', '3.12', '3.13', '3.14']);
  });

  for (const v of versions) {
    it(`names Python ${v} for a pyc that interpreter wrote`, async () => {
      const dir = join(work, v, '__pycache__');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `sample.cpython-${v.replace('.', '')}.pyc`);
      copyFileSync(join(FIXTURES, `sample.${v}.pyc.bin`), file);
      const json = await run(['inspect', file, '--format', 'json']);
      expect(json.code).toBe(0);
      const info = JSON.parse(json.out) as { kind: string; magic: number; python: string; flags: number; filenames: string[] };
      expect(info.kind).toBe('pyc');
      expect(info.python).toBe(v);
      expect(info.magic).toBe(FINAL_MAGIC[v]);
      expect(info.filenames).toEqual(['/build/pkg/sample.py']);
      const text = await run(['inspect', file]);
      expect(text.out).toContain(`python: ${v}`);
    });
  }

  it('a missing file is one line and exit 2', async () => {
    const r = await run(['inspect', join(work, 'nope.pyc')]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });
});

describe('stagefix explain', () => {
  it('shows each pair, the rule and the engine evidence for a pyc conflict', async () => {
    const path = 'lib/python3.11/site-packages/flask/__pycache__/app.cpython-311.pyc';
    const r = await run(['explain', path, EXAMPLE, '--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { collision: boolean; verdict: string; pairs: { rule: string; verdict: string; evidence: { comparison: string; filenames: { a: string[]; b: string[] } } }[] };
    expect(doc.collision).toBe(true);
    expect(doc.verdict).toBe('benign');
    const pair = doc.pairs[0];
    expect(pair?.rule).toBe('python-bytecode');
    expect(pair?.evidence.comparison).toBe('filename-only');
    expect(pair?.evidence.filenames.a[0]).toMatch(/parts\/flask-a\/install\/lib\/python3\.11\/site-packages\/flask\/app\.py$/);
  });

  it('says when a path does not collide', async () => {
    const r = await run(['explain', 'lib/python3.11/site-packages/flask/app.py', EXAMPLE]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/no collision \(identical in flask-a, flask-b\)/);
  });
});
