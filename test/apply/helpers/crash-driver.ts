/**
 * Child process for the crash tests: applies (or applies then undoes) a plan and SIGKILLs itself at
 * the `STAGEFIX_TEST_KILL_NTH`-th step of kind `STAGEFIX_TEST_KILL_KIND` (see src/apply/faults.ts).
 * Usage: crash-driver <plan.json> <apply|apply-undo>. Exit 0 means the kill point was never reached.
 */
import { readFileSync } from 'node:fs';
import { applyOps } from '../../../src/apply/apply.js';
import { undo } from '../../../src/apply/undo.js';
import { setStepHook, type StepKind } from '../../../src/apply/faults.js';
import { parsePlan } from './plan-file.js';

const [planFile, mode] = process.argv.slice(2);
const { ops, stateDir, roots } = parsePlan(readFileSync(planFile ?? '', 'utf8'));
const kind = process.env.STAGEFIX_TEST_KILL_KIND as StepKind | undefined;
const nth = Number(process.env.STAGEFIX_TEST_KILL_NTH ?? '0');
let seen = 0;
let armed = mode !== 'apply-undo';
setStepHook((k) => {
  if (armed && k === kind && ++seen === nth) process.kill(process.pid, 'SIGKILL');
});
const res = await applyOps(ops, { stateDir, allowedRoots: roots });
if (res.errors.length > 0) throw new Error(JSON.stringify(res.errors));
if (mode === 'apply-undo') {
  armed = true;
  await undo({ stateDir });
}
