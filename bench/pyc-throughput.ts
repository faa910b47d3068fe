/**
 * Parse-and-compare throughput of the pyc engine over a real site-packages (flask + numpy, CPython
 * 3.11), against a baseline measured in the same run: hashing the same in-memory bytes with xxh64.
 * Run: npx tsx bench/pyc-throughput.ts   (builds bench/.work/venv311 on first use; gitignored)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import xxhash from 'xxhash-wasm';
import { comparePycs } from '../src/python/pyc/index.js';
import { findPython } from '../test/helpers/python.js';

const WORK = join(import.meta.dirname, '.work');
const VENV = join(WORK, 'venv311');

function ensureVenv(): string {
  const py = join(VENV, 'bin', 'python');
  if (!existsSync(py)) {
    const base = findPython('3.11');
    if (!base) throw new Error('python3.11 not found (pyenv or PATH)');
    const env: NodeJS.ProcessEnv = { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1' };
    delete env.PYTHONDONTWRITEBYTECODE; // pip compiles pycs at install, like a real build host
    execFileSync(base.exe, ['-m', 'venv', VENV], { stdio: 'inherit', env });
    execFileSync(py, ['-m', 'pip', 'install', '-q', '--index-url', 'file:///opt/pypi/simple', 'flask', 'numpy==1.26.4'], { stdio: 'inherit', env });
  }
  return py;
}

function pycsUnder(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) pycsUnder(p, out);
    else if (e.name.endsWith('.pyc')) out.push(p);
  }
  return out;
}

function measure(label: string, bytes: number, reps: number, f: () => void): number {
  f(); // warm-up
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) f();
  const s = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  // CPU time too: on a shared machine wall time mostly measures the other tenants.
  const cpu = (c.user + c.system) / 1e6;
  const mbs = (bytes * reps) / s / 1e6;
  const cpuMbs = (bytes * reps) / cpu / 1e6;
  console.log(`${label.padEnd(44)} ${mbs.toFixed(1).padStart(8)} MB/s wall  ${cpuMbs.toFixed(1).padStart(8)} MB/s cpu  (${((s / reps) * 1000).toFixed(0)} ms per pass)`);
  return cpuMbs;
}

ensureVenv();
const site = readdirSync(join(VENV, 'lib')).map((d) => join(VENV, 'lib', d, 'site-packages')).find((d) => existsSync(d));
if (!site) throw new Error('no site-packages in the venv');
const files = pycsUnder(site);
const bufs = files.map((f) => new Uint8Array(readFileSync(f)));
// The other side of each comparison: same body, different header word, so the fast paths never apply.
const others = bufs.map((b) => {
  const c = b.slice();
  c[8] = (c[8] ?? 0) ^ 0xff;
  return c;
});
const total = bufs.reduce((n, b) => n + b.length, 0);
console.log(`${files.length} pycs, ${(total / 1e6).toFixed(1)} MB, from ${site}`);

const { h64Raw } = await xxhash();
const readBytes = files.reduce((n, f) => n + statSync(f).size, 0);
const base = measure('baseline: read files + xxh64', readBytes, 3, () => {
  for (const f of files) h64Raw(new Uint8Array(readFileSync(f)));
});
const hashOnly = measure('baseline: xxh64 of in-memory bytes', total, 5, () => {
  for (const b of bufs) h64Raw(b);
});
let failures = 0;
const ours = measure('parse both + structural compare (in memory)', total, 3, () => {
  for (let i = 0; i < bufs.length; i++) {
    const r = comparePycs(bufs[i] as Uint8Array, others[i] as Uint8Array, { structuralOnly: true });
    if (r.kind !== 'equivalent') failures++;
  }
});
console.log(`(by CPU time) relative to read+xxh64: ${(ours / base).toFixed(2)}x; to in-memory xxh64: ${(ours / hashOnly).toFixed(3)}x`);
console.log(`target >= 50 MB/s: ${ours >= 50 ? 'met' : 'NOT met'}; unexpected verdicts: ${failures}`);
