/**
 * Entry of the single-file hook bundle (`scripts/bundle-hook.mjs` → dist/stagefix-hook.mjs), for build
 * hosts without node_modules: `node stagefix-hook.mjs [--runtime-prefix P]`. Same flags as `stagefix hook`.
 */
import { Command, CommanderError } from 'commander';
import { isStagefixError } from '../errors.js';
import { hookCommand, type HookFlags } from './command.js';

async function main(argv: string[]): Promise<number> {
  const program = new Command('stagefix-hook')
    .description("canonicalise this part's install dir (run in override-build after craftctl default)")
    .option('--runtime-prefix <path>', 'where the staged tree lives at run time (default /snap/$CRAFT_PROJECT_NAME/current)')
    .option('--install <dir>', 'the install dir (default $CRAFT_PART_INSTALL)')
    .option('--part-name <name>', 'the part name (default $CRAFT_PART_NAME)')
    .option('--project-name <name>', 'the project name (default $CRAFT_PROJECT_NAME)')
    .exitOverride();
  // Accept `stagefix-hook hook ...` too, so the bundle and `stagefix hook` take the same command line.
  const args = argv[0] === 'hook' ? argv.slice(1) : argv;
  try {
    program.parse(args, { from: 'user' });
    return await hookCommand({ stdout: process.stdout, env: process.env }, program.opts<HookFlags>());
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    process.stderr.write(`stagefix hook: ${isStagefixError(e) ? e.message : e instanceof Error ? `internal error: ${e.message}` : String(e)}\n`);
    return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
