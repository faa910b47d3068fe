/**
 * The exit-code contract of `stagefix check`, end to end on parts of the real example build:
 * 0 no real conflict, 1 a real conflict (or any with --fail-on benign), 2 usage/config/I/O errors;
 * an accepted real conflict never fails the check.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { EXAMPLE } from '../helpers/tree.js';

const dir = mkdtempSync(join(tmpdir(), 'stagefix-exit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const part = (name: string): string => `${name}=${join(EXAMPLE, 'parts', name, 'install')}`;

const check = (args: string[]) => runCli(['check', ...args], dir);

describe('stagefix check exit codes', () => {
  it('0 when every conflict is benign (flask-a + flask-b)', async () => {
    const r = await check(['--part', part('flask-a'), '--part', part('flask-b'), '--quiet']);
    expect(r.out).toMatch(/0 real, \d+ benign|[1-9]\d* benign/);
    expect(r.code).toBe(0);
  });

  it('1 with --fail-on benign on the same parts', async () => {
    expect((await check(['--part', part('flask-a'), '--part', part('flask-b'), '--fail-on', 'benign'])).code).toBe(1);
  });

  it('1 with real conflicts (numpy 1.26.4 vs 2.2.6)', async () => {
    expect((await check(['--part', part('numpy-old'), '--part', part('numpy-new')])).code).toBe(1);
  });

  it('0 when every real conflict is accepted in stagefix.yaml, which still lists them', async () => {
    const config = join(dir, 'accept.yaml');
    writeFileSync(config, 'accept:\n  - path: "**"\n    reason: "numpy-old is a legacy part kept on purpose"\n');
    const r = await check(['--part', part('numpy-old'), '--part', part('numpy-new'), '--config', config, '--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { conflicts: { verdict: string; accepted?: { reason: string } }[] };
    const real = doc.conflicts.filter((c) => c.verdict === 'real');
    expect(real.length).toBeGreaterThan(0);
    for (const c of real) expect(c.accepted?.reason).toMatch(/legacy part/);
  });

  it('2 with a one-line reason for a missing project and for an invalid config', async () => {
    const missing = await check([join(dir, 'no-such-project')]);
    expect(missing.code).toBe(2);
    expect(missing.err.trim().split('\n')).toHaveLength(1);
    const config = join(dir, 'bad.yaml');
    writeFileSync(config, 'fail-on: sometimes\n');
    const bad = await check(['--part', part('flask-a'), '--config', config]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/bad\.yaml:1/);
    expect(bad.err).not.toMatch(/\n\s+at /);
  });
});

describe('--format github in a GitHub Actions step', () => {
  it('prints well-formed annotations and appends a Markdown summary to $GITHUB_STEP_SUMMARY', async () => {
    const summary = join(dir, 'step-summary.md');
    writeFileSync(summary, '# earlier step\n');
    const r = await runCli(['check', '--part', part('numpy-old'), '--part', part('numpy-new'), '--format', 'github'], dir, { NO_COLOR: '1', GITHUB_STEP_SUMMARY: summary });
    expect(r.code).toBe(1);
    const commands = r.out.split('\n').filter((l) => l.startsWith('::'));
    expect(commands.length).toBeGreaterThan(0);
    for (const c of commands) expect(c).toMatch(/^::(error|warning|notice)( [^:]*)?::.+/);
    const md = readFileSync(summary, 'utf8');
    expect(md.startsWith('# earlier step\n')).toBe(true);
    expect(md).toMatch(/\|.*\|/);
    // Markdown-escaped: `numpy\-new`.
    expect(md).toMatch(/numpy\\?-new/);
  });
});
