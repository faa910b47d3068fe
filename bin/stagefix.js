#!/usr/bin/env node
// Thin launcher: everything else lives in src/cli. Only this file and src/cli touch `process`.
// `npm run build` bundles the CLI (dist/bundle/, faster to start); the module tree in dist/ is the fallback.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/bundle/stagefix.js', import.meta.url);
const { main } = await import(existsSync(bundle) ? bundle.href : '../dist/cli/main.js');

process.exitCode = await main(process.argv.slice(2));
