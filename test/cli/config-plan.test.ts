/** `stagefix.yaml` steers the plan: `owners:` decides who keeps a real conflict, `runtime-prefix:` the pyc paths; flags win. */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { EXAMPLE } from '../helpers/tree.js';

const dir = mkdtempSync(join(tmpdir(), 'stagefix-config-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const project = join(dir, 'example');
cpSync(EXAMPLE, project, { recursive: true, verbatimSymlinks: true });

const run = (args: string[]) => runCli(args, dir);

type PlanDoc = { runtimePrefix: string; actions: { kind: string; path: string; keep?: string; winner?: string; owner?: string; runtimeFilename?: string }[] };

describe('plan with stagefix.yaml', () => {
  it('owners and runtime-prefix come from the file, and flags override them', async () => {
    writeFileSync(join(project, 'stagefix.yaml'), 'runtime-prefix: /opt/from-config\nowners:\n  - path: "lib/python3.11/site-packages/numpy/**"\n    part: numpy-old\n');
    const r = await run(['plan', project, '--format', 'json']);
    expect(r.err).toBe('');
    const doc = JSON.parse(r.out) as PlanDoc;
    expect(doc.runtimePrefix).toBe('/opt/from-config');
    const numpy = doc.actions.filter((a) => a.kind.startsWith('propose') && a.path.startsWith('lib/python3.11/site-packages/numpy/'));
    expect(numpy.length).toBeGreaterThan(0);
    expect(JSON.stringify(numpy)).toContain('"numpy-old"');
    for (const a of numpy) expect(a.owner).toBe("numpy-old");
    const flag = JSON.parse((await run(['plan', project, '--format', 'json', '--runtime-prefix', '/opt/from-flag'])).out) as PlanDoc;
    expect(flag.runtimePrefix).toBe('/opt/from-flag');
  });

  it('an owner naming an unknown part is a one-line error', async () => {
    writeFileSync(join(project, 'stagefix.yaml'), 'owners:\n  - path: "bin/*"\n    part: nosuchpart\n');
    const r = await run(['plan', project]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/nosuchpart/);
  });
});
