/** The digest cache through the CLI: a second run reads no shared bytes; `--no-cache` reads them all again. */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLE } from '../helpers/tree.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'stagefix-cli-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Stats = { hashedFiles: number; hashedBytes: number };
const stats = (out: string): Stats => (JSON.parse(out) as { stats: Stats }).stats;

describe('--cache-dir and --no-cache', () => {
  it('reuses digests of unchanged files and can be turned off', async () => {
    const project = join(dir, 'example');
    cpSync(EXAMPLE, project, { recursive: true, verbatimSymlinks: true });
    // Entries younger than the racy margin (3 s) are never trusted, so let the copy age first.
    await new Promise((r) => setTimeout(r, 3200));
    const cacheDir = join(dir, 'cache');
    const first = stats((await runCli(['report', project, '--format', 'json', '--cache-dir', cacheDir])).out);
    expect(first.hashedBytes).toBeGreaterThan(0);
    const second = stats((await runCli(['report', project, '--format', 'json', '--cache-dir', cacheDir])).out);
    expect(second.hashedFiles).toBe(first.hashedFiles);
    expect(second.hashedBytes).toBe(0);
    const off = stats((await runCli(['report', project, '--format', 'json', '--cache-dir', cacheDir, '--no-cache'])).out);
    expect(off.hashedBytes).toBe(first.hashedBytes);
  });

  it('says once, on stderr, when the cache cannot be written, and reports as without a cache', async () => {
    // Under a regular file: no dir can be made there, not even by root (CI runs as root).
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, '');
    const cacheDir = join(blocker, 'cache');
    const run = await runCli(['report', EXAMPLE, '--format', 'json', '--cache-dir', cacheDir]);
    const plain = await runCli(['report', EXAMPLE, '--format', 'json', '--no-cache']);
    expect(run.code).toBe(0);
    const warnings = run.err.split('\n').filter((l) => l.includes('cannot write the cache'));
    expect(warnings).toEqual([`stagefix: warning: cannot write the cache in ${cacheDir} (ENOTDIR); the next run will read every shared file again. Use --cache-dir DIR for a writable dir, or --no-cache.`]);
    const withoutTime = (out: string) => ({ ...JSON.parse(out), stats: { ...JSON.parse(out).stats, durationMs: 0 } });
    expect(withoutTime(run.out)).toEqual(withoutTime(plain.out));
    expect(plain.err).not.toMatch(/cannot write the cache/);
  });
});
