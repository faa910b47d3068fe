/**
 * Facts rules derive from a file's bytes (pyc fingerprints, text facts, RECORD rows) are kept in the
 * digest cache under the file's status: a second run over unchanged parts reads none of those files and
 * reports exactly the same, and a changed file is read and judged again.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { Report } from '../../src/model.js';
import { analyse } from '../../src/run.js';
import { DigestCache } from '../../src/scan/cache.js';
import { DiskFileSource } from '../../src/scan/file-source.js';
import { projectFromPartArgs } from '../../src/scan/project.js';
import { examplePart } from '../helpers/tree.js';

const root = mkdtempSync(join(tmpdir(), 'stagefix-facts-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** Scans "later": the racy-entry rule then trusts files written moments ago (tests cannot wait 3 s). */
const LATER = BigInt(Date.now() + 3_600_000) * 1_000_000n;
const PYC = 'lib/python3.11/site-packages/flask/__pycache__/app.cpython-311.pyc';

/** Real pip-built parts from the example, copied so the test can change them. */
function parts(): { project: ReturnType<typeof projectFromPartArgs>; dir: string } {
  const dir = join(root, 'p');
  mkdirSync(join(dir, 'parts'), { recursive: true });
  for (const p of ['flask-a', 'flask-b']) execFileSync('cp', ['-a', examplePart(p, ''), join(dir, 'parts', p)]);
  return { project: projectFromPartArgs(['flask-a', 'flask-b'].map((p) => `${p}=${join(dir, 'parts', p)}`), dir), dir };
}

async function run(project: ReturnType<typeof projectFromPartArgs>, cacheDir: string): Promise<{ report: Report; reads: string[] }> {
  const reads: string[] = [];
  // Every way a rule reads a file's bytes.
  for (const method of ['read', 'readWith', 'range'] as const) {
    const real = DiskFileSource.prototype[method] as (...args: unknown[]) => unknown;
    vi.spyOn(DiskFileSource.prototype, method).mockImplementation(function (this: DiskFileSource, ...args: unknown[]) {
      reads.push(args[1] as string);
      return real.apply(this, args);
    } as never);
  }
  const { report } = await analyse(project, undefined, { cache: await DigestCache.open(cacheDir, LATER) });
  vi.restoreAllMocks();
  // Time and bytes hashed differ between a cold and a warm run by design; the rest must not.
  return { report: { ...report, stats: { ...report.stats, durationMs: 0, hashedBytes: 0 } }, reads };
}

describe('rule facts in the cache', () => {
  it('a second run reads no pyc, text or RECORD file again (only venv scaffolding) and reports the same', async () => {
    const { project } = parts();
    const cacheDir = join(root, 'cache');
    const first = await run(project, cacheDir);
    const kinds = (rs: string[]) => ({ pyc: rs.filter((r) => r.endsWith('.pyc')).length, record: rs.filter((r) => r.endsWith('/RECORD')).length, all: rs.length });
    expect(first.report.findings.length).toBeGreaterThan(20);
    expect(kinds(first.reads).pyc).toBeGreaterThan(10);
    expect(kinds(first.reads).record).toBeGreaterThan(0);
    const second = await run(project, cacheDir);
    expect(second.report).toEqual(first.report);
    expect(kinds(second.reads)).toMatchObject({ pyc: 0, record: 0 });
    // What is still read: the venv scaffolding (a few small files per part), which no fact covers.
    expect(second.reads.filter((r) => !/^(bin\/activate(\.\w+)?|pyvenv\.cfg)$/.test(r))).toEqual([]);
    expect(second.reads.length).toBeLessThan(first.reads.length / 5);
  });

  it('a changed file is read and judged again', async () => {
    const { project, dir } = parts();
    const cacheDir = join(root, 'cache2');
    const first = await run(project, cacheDir);
    const before = first.report.findings.find((f) => f.path === PYC);
    expect(before?.verdict).toBe('benign');
    // flask-b's app pyc replaced by another real pyc of the same interpreter: now the code differs.
    const other = readFileSync(examplePart('flask-b', 'lib/python3.11/site-packages/flask/__pycache__/ctx.cpython-311.pyc'));
    writeFileSync(join(dir, 'parts', 'flask-b', PYC), other);
    const second = await run(project, cacheDir);
    expect(second.reads).toContain(PYC);
    expect(second.report.findings.find((f) => f.path === PYC)?.verdict).toBe('real');
  });
});
