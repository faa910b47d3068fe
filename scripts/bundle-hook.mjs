#!/usr/bin/env node
// Bundle `stagefix hook` into one file that runs with a bare Node.js >= 18 and no node_modules:
//   node scripts/bundle-hook.mjs [OUTFILE]      (default dist/stagefix-hook.mjs)
// Then, on a build host: node stagefix-hook.mjs [--runtime-prefix P]. See docs/hook.md.
// xxhash-wasm carries its wasm as base64 inside its JS, so nothing else needs shipping.
import { build } from 'esbuild';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = resolve(process.argv[2] ?? join(repo, 'dist', 'stagefix-hook.mjs'));

await build({
  entryPoints: [join(repo, 'src', 'hook', 'bin.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node18',
  outfile,
  logLevel: 'warning',
  legalComments: 'eof',
  // CommonJS dependencies (commander, csv-*) require() Node's built-ins; an ES module has no require.
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __stagefixCreateRequire } from 'node:module';\nconst require = __stagefixCreateRequire(import.meta.url);" },
});
process.stdout.write(`${outfile}\n`);
