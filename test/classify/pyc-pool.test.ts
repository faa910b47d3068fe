/**
 * The pyc pool must change nothing but speed: facts from worker threads equal the facts computed
 * inline from the same bytes, classifying the example with and without workers gives the same
 * findings, and a file a worker cannot read is reported as the main thread's read reports it.
 */
import { cpSync, mkdtempSync, renameSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { classify } from '../../src/classify/classify.js';
import { pycFacts } from '../../src/classify/pyc-facts.js';
import { startPycPool } from '../../src/classify/pyc-pool.js';
import type { PartName } from '../../src/model.js';
import { DiskFileSource } from '../../src/scan/file-source.js';
import { loadProject, projectFromPartArgs } from '../../src/scan/project.js';
import { scan, type ScanResult } from '../../src/scan/scan.js';
import { EXAMPLE } from '../helpers/tree.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function pycFiles(result: ScanResult): { part: PartName; path: string }[] {
  const out: { part: PartName; path: string }[] = [];
  for (const c of result.collisions) if (c.path.endsWith('.pyc')) for (const part of c.parts) out.push({ part, path: c.path });
  return out;
}

describe('pyc pool', () => {
  it('gives the facts computed inline for every pyc of the example that collides', async () => {
    const result = await scan(loadProject(EXAMPLE));
    const source = new DiskFileSource(result);
    const files = pycFiles(result);
    expect(files.length).toBeGreaterThan(40);
    const pool = startPycPool(source, files, { minFiles: 0, threads: 2 });
    expect(pool).toBeDefined();
    try {
      for (const { part, path } of files) {
        const fromPool = await pool?.provider(part, path);
        expect(fromPool, `${part} ${path}`).toEqual(pycFacts(await source.read(part, path)));
      }
      expect(pool?.stats().workers).toBeGreaterThan(0);
    } finally {
      await pool?.close();
    }
  });

  it('classifies the example exactly as without workers', async () => {
    const result = await scan(loadProject(EXAMPLE));
    const disk = new DiskFileSource(result);
    const inline = await classify(disk, result.collisions, { pycPool: { threads: 0 } });
    const pooled = await classify(disk, result.collisions, { pycPool: { minFiles: 0, threads: 2 } });
    expect(pooled.some((f) => f.rule === 'python-bytecode')).toBe(true);
    expect(pooled).toEqual(inline);
  });

  it('leaves a file the worker cannot read to the main thread, which reports it as before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stagefix-pool-'));
    dirs.push(dir);
    const rel = 'lib/python3.11/site-packages/flask/__pycache__/app.cpython-311.pyc';
    for (const p of ['flask-a', 'flask-b']) cpSync(join(EXAMPLE, 'parts', p, 'install', rel), join(dir, p, rel), { recursive: true });
    const result = await scan(projectFromPartArgs(['flask-a=' + join(dir, 'flask-a'), 'flask-b=' + join(dir, 'flask-b')], dir));
    const source = new DiskFileSource(result);
    // Replaced after the scan: same bytes, another inode.
    const abs = join(dir, 'flask-a', rel);
    writeFileSync(`${abs}.new`, readFileSync(abs));
    renameSync(`${abs}.new`, abs);
    const expected = await source.read('flask-a' as PartName, rel).catch((e: Error) => e.message);
    expect(expected).toMatch(/replaced/);
    const pool = startPycPool(source, pycFiles(result), { minFiles: 0, threads: 1 });
    try {
      await expect(pool?.provider('flask-a' as PartName, rel)).rejects.toThrow(expected as string);
      expect(await pool?.provider('flask-b' as PartName, rel)).toEqual(pycFacts(await source.read('flask-b' as PartName, rel)));
    } finally {
      await pool?.close();
    }
  });
});

describe('pyc pool, files not readable as confined', () => {
  it('are read on the main thread, which reports them as before, and the rest of their batch still comes from workers', async () => {
    const result = await scan(loadProject(EXAMPLE));
    const source = new DiskFileSource(result);
    const files = pycFiles(result);
    // Not a file in the scan: the pool makes a batch's job when it sends it, and leaves this one out.
    const missing = { part: files[0]?.part as PartName, path: 'lib/python3.11/site-packages/not-in-the-scan.cpython-311.pyc' };
    const expected = await source.read(missing.part, missing.path).catch((e: Error) => e.message);
    expect(expected).toMatch(/not a regular file in the scan/);
    const pool = startPycPool(source, [missing, ...files], { minFiles: 0, threads: 1 });
    try {
      await expect(pool?.provider(missing.part, missing.path)).rejects.toThrow(expected as string);
      for (const { part, path } of files) expect(await pool?.provider(part, path), `${part} ${path}`).toEqual(pycFacts(await source.read(part, path)));
      expect(pool?.stats().workers).toBeGreaterThan(0);
    } finally {
      await pool?.close();
    }
  });
});

describe('pyc pool workers out of memory', () => {
  it('leave their files to the main thread, which gives the same facts', async () => {
    const result = await scan(loadProject(EXAMPLE));
    const source = new DiskFileSource(result);
    const files = pycFiles(result);
    // Too small a heap for a worker to start: every worker dies, as one would on a pyc too big for it.
    const pool = startPycPool(source, files, { minFiles: 0, threads: 2, heap: { youngMb: 1, oldMb: 1 } });
    expect(pool).toBeDefined();
    try {
      for (const { part, path } of files) {
        expect(await pool?.provider(part, path), `${part} ${path}`).toEqual(pycFacts(await source.read(part, path)));
      }
      expect(pool?.stats()).toMatchObject({ workers: 0 });
      expect(pool?.stats().inline).toBeGreaterThan(0);
    } finally {
      await pool?.close();
    }
  });
});
