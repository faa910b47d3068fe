/**
 * The launcher runs the bundled CLI (`npm run build` writes dist/bundle/): it must answer exactly as the
 * module tree does, and its worker threads must start from the bundle directory (otherwise the scan
 * would silently fall back to one thread). It compiles the bundle with the V8 code cache the build
 * wrote, but only a cache made from these very bytes by this Node (src/cli/boot.ts).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
const BOOT = pathToFileURL(join(ROOT, 'dist', 'cli', 'boot.js')).href;
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
    for (const f of ['stagefix.cjs', 'stagefix.cjs.v8cache', 'part-worker.js', 'hash-worker.js', 'pyc-worker.js']) expect(existsSync(join(BUNDLE, f)), `${f}: run npm run build`).toBe(true);
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
      `const { loadBundle } = await import(${JSON.stringify(BOOT)});`,
      `const { main } = loadBundle(${JSON.stringify(join(BUNDLE, 'stagefix.cjs'))});`,
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

describe('the code cache (src/cli/boot.ts)', () => {
  /** `stagefix ...argv` from `bundle` in a new Node (with `flags`): what became of the code cache, and stdout. */
  const boot = (bundle: string, argv: string[], flags: string[] = []): { use: string; out: string } => {
    const script = [
      `const { loadBundle } = await import(${JSON.stringify(BOOT)});`,
      `const booted = loadBundle(${JSON.stringify(bundle)});`,
      `console.log(booted.codeCache);`,
      `process.exitCode = await booted.main(${JSON.stringify(argv)});`,
    ].join('\n');
    const out = execFileSync(process.execPath, [...flags, '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', CI: 'true' } });
    const nl = out.indexOf('\n');
    return { use: out.slice(0, nl), out: out.slice(nl + 1) };
  };
  /** dist/bundle and the C walker copied to a directory of their own, without the code cache. */
  const replica = (name: string): string => {
    const dir = join(tmp, name, 'bundle');
    cpSync(BUNDLE, dir, { recursive: true, filter: (f) => !f.endsWith('.v8cache') });
    const walker = join(ROOT, 'dist', 'native', 'walk.node');
    if (existsSync(walker)) cpSync(walker, join(tmp, name, 'native', 'walk.node'));
    return join(dir, 'stagefix.cjs');
  };
  const report = ['report', '--no-cache', '--format', 'json', EXAMPLE];

  it("the build's cache is used and answers as the bundle compiled from source", () => {
    const used = boot(join(BUNDLE, 'stagefix.cjs'), report);
    // Also the order of the heap flag: the build's analyses set it, and V8 refuses a cache made under
    // other flags, so 'used' means the launcher set it before compiling (without that, 'refused').
    expect(used.use).toBe('used');
    const fresh = boot(replica('fresh'), report);
    expect(fresh.use).toBe('none');
    expect(stable(used.out)).toEqual(stable(fresh.out));
  });

  it('is not handed to V8 for an edited bundle of the same length, which V8 alone would run as the old code', () => {
    const bundle = replica('edited');
    const text = readFileSync(bundle, 'latin1');
    const edited = text.replace("VERSION = \"0.1.0\"", "VERSION = \"0.1.9\"");
    expect(edited.length === text.length && edited !== text).toBe(true);
    writeFileSync(bundle, edited, 'latin1');
    const cache = readFileSync(join(BUNDLE, 'stagefix.cjs.v8cache'));
    writeFileSync(`${bundle}.v8cache`, cache);
    expect(boot(bundle, ['--version'])).toEqual({ use: 'stale', out: '0.1.9\n' });
    // What boot.ts guards against: V8 checks a cache against the source's length only.
    const raw = [
      `import { readFileSync } from 'node:fs'; import { createRequire } from 'node:module'; import { Script } from 'node:vm';`,
      `import { setFlagsFromString } from 'node:v8'; setFlagsFromString('--heap-growing-percent=30');`,
      `const f = ${JSON.stringify(bundle)};`,
      `const raw = readFileSync(f + '.v8cache'); const cachedData = raw.subarray(raw.indexOf(10) + 1);`,
      `const s = new Script('(function (exports, require, module, __filename, __dirname) {' + readFileSync(f, 'utf8') + '\\n})', { filename: f, cachedData });`,
      `const m = { exports: {} }; s.runInThisContext().call(m.exports, m.exports, createRequire(f), m, f, '.');`,
      `console.log(s.cachedDataRejected); await m.exports.main(['--version']);`,
    ].join('\n');
    expect(execFileSync(process.execPath, ['--input-type=module', '-e', raw], { encoding: 'utf8' })).toBe('false\n0.1.0\n');
  });

  it('is not handed to V8 when its bytes are damaged', () => {
    const bundle = replica('damaged');
    const cache = readFileSync(join(BUNDLE, 'stagefix.cjs.v8cache'));
    cache[cache.length - 100] = (cache[cache.length - 100] as number) ^ 0xff;
    writeFileSync(`${bundle}.v8cache`, cache);
    const damaged = boot(bundle, report);
    expect(damaged.use).toBe('stale');
    expect(stable(damaged.out)).toEqual(stable(boot(join(BUNDLE, 'stagefix.cjs'), report).out));
  });

  it('made under other V8 flags, V8 refuses it and the bundle compiles from source', () => {
    const refused = boot(join(BUNDLE, 'stagefix.cjs'), report, ['--stack-size=2000']);
    expect(refused.use).toBe('refused');
    expect(stable(refused.out)).toEqual(stable(boot(join(BUNDLE, 'stagefix.cjs'), report).out));
  });
});
