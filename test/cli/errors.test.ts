/**
 * Every bad input has a defined outcome: exit 2 and one line on stderr that names the file and the
 * reason, never a stack trace (issue 7). Runs `main` in-process with captured streams.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeTree, EXAMPLE } from '../helpers/tree.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const run = (args: string[], cwd = process.cwd()) => runCli(args, cwd);

function project(yaml: string, parts: Record<string, boolean> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'stagefix-err-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'snapcraft.yaml'), yaml);
  for (const [name, built] of Object.entries(parts)) if (built) makeTree(join(dir, 'parts', name, 'install'), { x: { text: 'same in every part' } });
  return dir;
}

function expectOneLineError(r: { code: number; err: string }, ...needles: (string | RegExp)[]): void {
  expect(r.code).toBe(2);
  const lines = r.err.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(r.err).not.toMatch(/\n\s+at /);
  for (const n of needles) expect(r.err).toMatch(n);
}

describe('bad input gives exit 2 and one line', () => {
  it('a missing project', async () => {
    expectOneLineError(await run(['check', '/nonexistent/project']), '/nonexistent/project', /no such file/);
  });

  it('a directory without a project file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stagefix-empty-'));
    dirs.push(dir);
    expectOneLineError(await run(['check', dir]), dir, /snapcraft\.yaml/);
  });

  it('invalid YAML names the file and line', async () => {
    const dir = project('name: x\nparts:\n  a:\n    plugin: nil\n   bad-indent: [\n');
    expectOneLineError(await run(['check', dir]), 'snapcraft.yaml:', /invalid YAML/);
  });

  it('a YAML alias bomb is refused, not expanded', async () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)}]`);
    const dir = project(`${levels.join('\n')}\nparts:\n  a:\n    plugin: nil\n`);
    const started = Date.now();
    expectOneLineError(await run(['check', dir]), 'snapcraft.yaml', /alias/i);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a huge project file is refused before parsing', async () => {
    const dir = project(`name: x\nparts:\n  a:\n    plugin: nil\ndescription: "${'x'.repeat(5 * 1024 * 1024)}"\n`);
    expectOneLineError(await run(['check', dir]), 'snapcraft.yaml', /refusing to read more than/);
  });

  it('a mistyped key names the key and line', async () => {
    const dir = project('name: x\nparts:\n  a:\n    plugin: nil\n    stage: lib\n', { a: true });
    expectOneLineError(await run(['check', dir]), 'snapcraft.yaml:5', 'parts.a.stage', /list of strings/);
  });

  it('stage and organize entries that escape the install dir', async () => {
    expectOneLineError(await run(['check', project('parts:\n  a:\n    plugin: nil\n    stage: ["../../etc"]\n')]), 'parts.a.stage', /\.\./);
    expectOneLineError(await run(['check', project('parts:\n  a:\n    plugin: nil\n    organize: {bin/x: /etc/passwd}\n')]), 'parts.a.organize', /absolute/);
  });

  it('a stage pattern that craft-parts itself cannot glob', async () => {
    expectOneLineError(await run(['check', project('parts:\n  a:\n    plugin: nil\n    stage: ["**/*.py"]\n')]), 'snapcraft.yaml:4', 'parts.a.stage', /\*\*/);
  });

  it('after: naming an unknown part, and a dependency cycle', async () => {
    expectOneLineError(await run(['check', project('parts:\n  a:\n    plugin: nil\n    after: [zz]\n')]), /unknown part "zz"/);
    expectOneLineError(await run(['check', project('parts:\n  a:\n    after: [b]\n  b:\n    after: [a]\n')]), 'snapcraft.yaml', /cycle|circular/i);
  });

  it('an unknown format and a bad --part', async () => {
    expectOneLineError(await run(['report', EXAMPLE, '--format', 'xml']), /unknown format "xml"/);
    expectOneLineError(await run(['report', '--part', 'nodir']), /NAME=DIR/);
  });

  it('an invalid configuration names the file, line and key', async () => {
    const dir = project('parts:\n  a:\n    plugin: nil\n', { a: true });
    writeFileSync(join(dir, 'stagefix.yaml'), 'accept:\n  - path: "lib/**"\n    reason: ""\nbogus: 1\n');
    const r = await run(['check', dir]);
    expectOneLineError(r, 'stagefix.yaml:');
  });
});

describe('incomplete projects are reported, not skipped', () => {
  it('a declared part that was never built is a warning in the report, and the scan goes on', async () => {
    const dir = project('parts:\n  a:\n    plugin: nil\n  b:\n    plugin: nil\n  c:\n    plugin: nil\n', { a: true, c: true });
    const r = await run(['check', dir, '--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { parts: { name: string; built: boolean }[]; warnings: { code: string; part?: string }[] };
    expect(doc.parts.find((p) => p.name === 'b')?.built).toBe(false);
    expect(doc.warnings).toContainEqual(expect.objectContaining({ code: 'part-not-built', part: 'b' }));
  });

  it('a missing parts dir: every part is reported unbuilt', async () => {
    const dir = project('parts:\n  a:\n    plugin: nil\n');
    mkdirSync(join(dir, 'elsewhere'));
    const r = await run(['report', dir, '--parts-dir', join(dir, 'elsewhere'), '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).warnings[0].code).toBe('part-not-built');
  });
});
