#!/usr/bin/env node
// Thin launcher: everything else lives in src/cli. Only this file and src/cli touch `process`.
// `npm run build` bundles the CLI (dist/bundle/, faster to start, compiled with V8's code cache: see
// src/cli/boot.ts); the module tree in dist/ is the fallback.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/bundle/stagefix.cjs', import.meta.url));
const { main } = existsSync(bundle) ? (await import('../dist/cli/boot.js')).loadBundle(bundle) : await import('../dist/cli/main.js');

process.exitCode = await main(process.argv.slice(2));
