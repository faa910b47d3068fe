#!/usr/bin/env node
/**
 * Builds the C walker (native/walk.c → dist/native/walk.node) with the system C compiler and Node's
 * own headers. It is an accelerator: when it cannot be built (no compiler, no headers, not Linux or
 * macOS), this says why in one line and exits 0, and stagefix walks in JavaScript. (Under CI=true the
 * tests fail instead when it is missing: test/scan/native-walk.test.ts.)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'native', 'walk.c');
const out = join(root, 'dist', 'native', 'walk.node');

function skip(why) {
  // A build left from an older walk.c must not be loaded with this one's JavaScript side.
  rmSync(out, { force: true });
  process.stderr.write(`stagefix: the C walker was not built (${why}); the JavaScript walker will be used.\n`);
  process.exit(0);
}

if (process.platform !== 'linux' && process.platform !== 'darwin') skip(`no build for ${process.platform}`);
if (!existsSync(src)) skip(`${src} is missing`);
// Up to date: N-API is ABI-stable, so a build outlives Node upgrades.
if (existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) process.exit(0);

// Node's headers: where npm is told they are, else beside this node binary (system packages, nvm, the official tarballs).
const candidates = [process.env.npm_config_nodedir, join(dirname(process.execPath), '..')].filter(Boolean).map((d) => join(d, 'include', 'node'));
const include = candidates.find((d) => existsSync(join(d, 'node_api.h')));
if (!include) skip(`node_api.h not found in ${candidates.join(' or ')}`);

const cc = process.env.CC || 'cc';
const args = ['-O2', '-std=gnu11', '-Wall', '-shared', '-fPIC', `-I${include}`, src, '-o', `${out}.tmp`];
// On macOS the N-API symbols are resolved when Node loads the module.
if (process.platform === 'darwin') args.splice(4, 0, '-undefined', 'dynamic_lookup');
mkdirSync(dirname(out), { recursive: true });
try {
  execFileSync(cc, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  renameSync(`${out}.tmp`, out);
} catch (e) {
  const detail = (e.stderr?.toString() ?? '').trim().split('\n')[0] || e.message;
  skip(`${cc} failed: ${detail}`);
}
