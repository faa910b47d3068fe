#!/usr/bin/env node
// Thin launcher: everything else lives in src/cli. Only this file and src/cli touch `process`.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
