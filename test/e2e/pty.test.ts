/**
 * `stagefix report` on a real pseudo-terminal (util-linux `script`) finishes and prints its report.
 * Regression: with a pty that reports no width, the spinner's stop never returned (the process spun
 * at 100% CPU for half an hour).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLE } from '../helpers/tree.js';
import { inCI } from '../helpers/python.js';

const ROOT = join(import.meta.dirname, '..', '..');
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
if (!hasScript && inCI()) throw new Error('util-linux `script` is required under CI=true for the pty test');

describe.skipIf(!hasScript)(hasScript ? 'on a pseudo-terminal' : 'on a pseudo-terminal [skipped: util-linux script not found]', () => {
  it('report finishes in bounded time and prints the report', () => {
    const started = Date.now();
    const r = spawnSync('script', ['-qec', `node ${join(ROOT, 'bin', 'stagefix.js')} report ${EXAMPLE}`, '/dev/null'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, CI: '', NO_COLOR: '1' },
    });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/stagefix: 5 parts/);
    expect(Date.now() - started).toBeLessThan(60_000);
  });
});
