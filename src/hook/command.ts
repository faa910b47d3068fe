/** The hook as a command: shared by `stagefix hook` and the single-file bundle (src/hook/bin.ts). */
import { hookOptionsFromEnv, hookSummary, runHook } from './hook.js';
import { ApplyError } from '../errors.js';

export interface HookFlags {
  runtimePrefix?: string;
  install?: string;
  partName?: string;
  projectName?: string;
}

export interface HookIo {
  stdout: { write(s: string): unknown };
  env: NodeJS.ProcessEnv;
}

/** Runs the hook and prints its one summary line; throws (exit 2) only on errors. */
export async function hookCommand(io: HookIo, flags: HookFlags): Promise<number> {
  const opts = hookOptionsFromEnv(io.env, {
    ...(flags.runtimePrefix !== undefined ? { runtimePrefix: flags.runtimePrefix } : {}),
    ...(flags.install !== undefined ? { installDir: flags.install } : {}),
    ...(flags.partName !== undefined ? { partName: flags.partName } : {}),
    ...(flags.projectName !== undefined ? { projectName: flags.projectName } : {}),
  });
  const result = await runHook(opts);
  io.stdout.write(hookSummary(result));
  const problems = [...result.pyc.stale, ...result.record.mismatched];
  if (problems.length > 0) throw new ApplyError(`verification failed after the rewrite: ${problems.join('; ')}`, opts.installDir);
  return 0;
}
