/** The digest cache through the CLI: a second run reads no shared bytes; `--no-cache` reads them all again. */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
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
});
