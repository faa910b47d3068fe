/**
 * The launcher runs the bundled CLI (`npm run build` writes dist/bundle/): it must answer exactly as the
 * module tree does, and its worker threads must start from the bundle directory (otherwise the scan
 * would silently fall back to one thread).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { PART_WORKER_MARK, type PartClaims, type WireReply } from '../../src/scan/part-worker.js';
import { fromWire } from '../../src/scan/part-wire.js';
import { runCli } from '../helpers/cli.js';
import { EXAMPLE } from '../helpers/tree.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BUNDLE = join(ROOT, 'dist', 'bundle');
const tmp = mkdtempSync(join(tmpdir(), 'stagefix-bundle-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The JSON report without the one field that differs between two runs. */
const stable = (json: string): unknown => {
  const r = JSON.parse(json) as { stats: Record<string, unknown> };
  delete r.stats['durationMs'];
  return r;
};

describe('bundled CLI', () => {
  it('is built by npm run build', () => {
    for (const f of ['stagefix.js', 'part-worker.js', 'hash-worker.js', 'pyc-worker.js']) expect(existsSync(join(BUNDLE, f)), `${f}: run npm run build`).toBe(true);
  });

  it('bin/stagefix.js gives the in-process answer on the example (json and text)', async () => {
    const env = { ...process.env, NO_COLOR: '1', CI: 'true' };
    for (const format of ['json', 'text']) {
      const args = ['report', '--no-cache', '--format', format, EXAMPLE];
      const spawned = execFileSync(process.execPath, [join(ROOT, 'bin', 'stagefix.js'), ...args], { encoding: 'utf8', env });
      const inProcess = await runCli(args, ROOT, { NO_COLOR: '1', CI: 'true' });
      expect(inProcess.code).toBe(0);
      if (format === 'json') expect(stable(spawned)).toEqual(stable(inProcess.out));
      else expect(spawned.replace(/in \d+ ms/g, 'in N ms')).toBe(inProcess.out.replace(/in \d+ ms/g, 'in N ms'));
    }
  });

  it('walks with the C walker when it was built (dist/native, beside dist/bundle), unless STAGEFIX_NATIVE=0', () => {
    const built = existsSync(join(ROOT, 'dist', 'native', 'walk.node'));
    // Which shared objects the process loaded: the C walker is one when the bundle found it.
    const script = [
      `const { main } = await import(${JSON.stringify(pathToFileURL(join(BUNDLE, 'stagefix.js')).href)});`,
      `await main(['report', '--quiet', '--no-cache', '--format', 'json=/dev/null', ${JSON.stringify(EXAMPLE)}]);`,
      `console.log('loaded:' + process.report.getReport().sharedObjects.some((s) => s.endsWith('/walk.node')));`,
    ].join('\n');
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
    expect(out).toContain(`loaded:${built}`);
    // STAGEFIX_NATIVE=0: the JavaScript walk, without loading the C walker at all.
    const off = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, CI: 'true', STAGEFIX_NATIVE: '0' } });
    expect(off).toContain('loaded:false');
  });

  it('reuses the report of an unchanged project: the same JSON, nothing read, nothing written', async () => {
    const project = join(tmp, 'reuse');
    cpSync(EXAMPLE, project, { recursive: true, verbatimSymlinks: true });
    // Entries younger than the racy margin (3 s) give no walk key, so let the copy age first.
    await new Promise((r) => setTimeout(r, 3200));
    const cacheDir = join(tmp, 'reuse-cache');
    const run = (...extra: string[]): { stats: Record<string, unknown> } & Record<string, unknown> =>
      JSON.parse(execFileSync(process.execPath, [join(ROOT, 'bin', 'stagefix.js'), 'report', '--format', 'json', ...extra, project], { encoding: 'utf8', env: { ...process.env, CI: 'true' } }));
    const first = run('--cache-dir', cacheDir);
    const built = existsSync(join(ROOT, 'dist', 'native', 'walk.node'));
    const reports = join(cacheDir, 'reports');
    // Walk keys come from the C walker only; without it every run is analysed.
    expect(existsSync(reports)).toBe(built);
    const stored = built ? statSync(join(reports, readdirSync(reports)[0] as string), { bigint: true }) : undefined;
    const second = run('--cache-dir', cacheDir);
    if (stored) expect(statSync(join(reports, readdirSync(reports)[0] as string), { bigint: true }).mtimeNs).toBe(stored.mtimeNs);
    expect(second.stats['hashedBytes']).toBe(0);
    const plain = run('--no-cache');
    for (const r of [first, second, plain]) {
      delete r.stats['durationMs'];
      delete r.stats['hashedBytes'];
    }
    expect(second).toEqual(plain);
    expect(first).toEqual(plain);
  });

  it('the bundled part worker claims and scans parts', async () => {
    const dirs = ['a', 'b'].map((n) => {
      const d = join(tmp, n);
      mkdirSync(join(d, 'lib'), { recursive: true });
      writeFileSync(join(d, 'lib', 'x.py'), `part ${n}\n`);
      return d;
    });
    const claims: PartClaims = {
      jobs: dirs.map((d, i) => ({ name: `p${i}` as PartClaims['jobs'][number]['name'], installDir: d, stage: undefined })),
      order: [0, 1],
      counter: new Int32Array(new SharedArrayBuffer(4)),
    };
    const w = new Worker(join(BUNDLE, 'part-worker.js'), { workerData: { mark: PART_WORKER_MARK } });
    try {
      const replies = await new Promise<WireReply[]>((resolve, reject) => {
        const got: WireReply[] = [];
        w.on('message', (m: WireReply | { done: true }) => ('done' in m ? resolve(got) : got.push(m)));
        w.on('error', reject);
        w.postMessage(claims);
      });
      expect(replies.map((r) => r.id).sort()).toEqual([0, 1]);
      for (const r of replies) expect('wire' in r && [...fromWire(r.wire).entries.keys()]).toEqual(['lib', 'lib/x.py']);
    } finally {
      await w.terminate();
    }
  });
});
