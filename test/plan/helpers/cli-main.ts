/** `npx tsx test/plan/helpers/cli-main.ts ARGS...`: the resolve commands from a shell, for manual runs. */
import { runResolve } from './cli.js';

const r = await runResolve(process.argv.slice(2));
process.stdout.write(r.stdout);
process.stderr.write(r.stderr);
process.exitCode = r.code;
