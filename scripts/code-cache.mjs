#!/usr/bin/env node
/**
 * Writes V8's code cache for the CLI bundle (dist/bundle/stagefix.cjs.v8cache; run by `npm run build`
 * after the bundle and the C walker): the compiled code of every function that two reports on the
 * bundled example run, the first analysing, the second with the digest cache it filled. src/cli/boot.ts
 * uses it on every start of bin/stagefix.js made with this Node and these V8 flags, and ignores it
 * otherwise, so a missing or outdated cache only costs start-up time.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { codeCacheFile, loadBundle, writeCodeCache } from '../dist/cli/boot.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'bundle', 'stagefix.cjs');
const example = join(root, 'example');

// Compiled from source, not from a cache an older bundle left.
rmSync(codeCacheFile(bundle), { force: true });
if (!existsSync(example)) {
  process.stderr.write(`stagefix: no code cache written: ${example} is missing; the CLI compiles as it starts.\n`);
  process.exit(0);
}
const booted = loadBundle(bundle);
const discard = new Writable({ write: (_chunk, _enc, done) => done() });
const io = { stdout: discard, stderr: discard, env: { ...process.env, NO_COLOR: '1' }, cwd: root };
const cacheDir = mkdtempSync(join(tmpdir(), 'stagefix-code-cache-'));
try {
  for (let run = 0; run < 2; run++) {
    const code = await booted.main(['report', '--cache-dir', cacheDir, example], io);
    if (code === 2) throw new Error(`stagefix report ${example} failed (exit 2): run it to see why`);
  }
} finally {
  rmSync(cacheDir, { recursive: true, force: true });
}
const size = writeCodeCache(bundle, booted);
process.stdout.write(`${codeCacheFile(bundle)}: ${(size / 1024).toFixed(0)} KiB\n`);
