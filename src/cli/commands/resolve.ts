/**
 * `plan`, `apply`, `undo` and `hook`: resolving conflicts (issue 4). Plan and apply share the planner;
 * apply and undo share the apply engine's journal in `PROJECT/.stagefix/`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { applyOps, listJournals, readJournal, undo, type ApplyEvent, type ApplyResult } from '../../apply/index.js';
import { ApplyError, UsageError } from '../../errors.js';
import { EMPTY_CONFIG, findConfig, loadConfig } from '../../config/index.js';
import type { Project, Report } from '../../model.js';
import { plan, PLAN_FORMATS, planOps, renderPlan, renderPlanText, type PlanFormat, type PlanOptions, type PycStrategy } from '../../plan/index.js';
import { analyse, selectProject } from '../../run.js';
import { hookCommand, type HookFlags } from '../../hook/command.js';
import type { Io } from '../main.js';
import { trimmingMemory } from '../memory.js';

interface SelectFlags {
  partsDir?: string;
  part?: string[];
}

interface PlanFlags extends SelectFlags {
  runtimePrefix?: string;
  config?: string;
  pyc?: PycStrategy;
  python?: string[];
  owner?: string[];
  propose?: 'stage' | 'organize';
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** The state dir the apply engine journals into. */
export const stateDirOf = (project: Project): string => join(project.root, '.stagefix');

function select(io: Io, projectArg: string | undefined, flags: SelectFlags): Project {
  return selectProject({
    ...(projectArg !== undefined ? { project: projectArg } : {}),
    ...(flags.partsDir !== undefined ? { partsDir: flags.partsDir } : {}),
    ...(flags.part !== undefined ? { parts: flags.part } : {}),
    cwd: io.cwd,
  });
}

/**
 * Plan options from the flags and `stagefix.yaml` (beside the project file, or `--config`): flags win;
 * `--owner` entries come before the file's `owners:`, so they win where the first match decides.
 */
function planOptions(flags: PlanFlags, project: Project, cwd: string): PlanOptions {
  const fromFlags = (flags.owner ?? []).map((s) => {
    const eq = s.lastIndexOf('=');
    if (eq <= 0 || eq === s.length - 1) throw new UsageError(`--owner wants GLOB=PART, got ${JSON.stringify(s)}`);
    return { path: s.slice(0, eq).replace(/^\/+/, ''), part: s.slice(eq + 1) };
  });
  const file = findConfig({
    root: project.root,
    ...(project.file !== undefined ? { projectFile: project.file } : {}),
    ...(flags.config !== undefined ? { explicit: flags.config } : {}),
    cwd,
  });
  const config = file !== undefined ? loadConfig(file) : EMPTY_CONFIG;
  const known = new Set(project.parts.map((p) => p.name as string));
  for (const o of config.owners) {
    if (!known.has(o.part)) throw new UsageError(`${file}: owners: part ${JSON.stringify(o.part)} is not a part of ${project.file ?? 'the project'}`);
  }
  const owners = [...fromFlags, ...config.owners.map((o) => ({ path: o.path, part: o.part as string }))];
  const runtimePrefix = flags.runtimePrefix ?? config.runtimePrefix;
  return {
    ...(runtimePrefix !== undefined ? { runtimePrefix } : {}),
    ...(flags.pyc !== undefined ? { pyc: flags.pyc } : {}),
    ...(flags.propose !== undefined ? { propose: flags.propose } : {}),
    ...(flags.python !== undefined ? { pythons: flags.python } : {}),
    owners,
  };
}

function selectOptions(cmd: Command): Command {
  return cmd
    .argument('[project]', 'project dir or project file (snapcraft.yaml, rockcraft.yaml, charmcraft.yaml)')
    .option('--parts-dir <dir>', 'where the parts are built (default: PROJECT/parts)')
    .option('--part <name=dir>', 'name a part directly, without a project file (repeatable)', collect);
}

function planFlags(cmd: Command): Command {
  return selectOptions(cmd)
    .option('--runtime-prefix <path>', 'where the staged tree lives at run time (default: /snap/NAME/current for a snap, / for a rock)')
    .option('--config <file>', 'configuration file (default: stagefix.yaml beside the project file)')
    .addOption(new Option('--pyc <strategy>', 'benign bytecode conflicts: rewrite canonically, recompile with a real interpreter, or drop').choices(['rewrite', 'recompile', 'drop']).default('rewrite'))
    .option('--python <path>', "with --pyc recompile: an interpreter to run, one per minor version (default: the part's own bin/python3 when it matches)", collect)
    .option('--owner <glob=part>', 'which part keeps a real conflict at matching paths (repeatable; default: first part in order)', collect)
    .addOption(new Option('--propose <how>', 'how a losing part gives way in a real conflict').choices(['stage', 'organize']).default('stage'));
}

const count = (r: Report, v: 'benign' | 'real'): number => r.findings.filter((f) => f.verdict === v).length;

/** The verification after apply: what a fresh scan finds, compared with before. */
function verification(before: Report, after: Report): string[] {
  const realBefore = new Set(before.findings.filter((f) => f.verdict === 'real').map((f) => f.path as string));
  const realAfter = new Set(after.findings.filter((f) => f.verdict === 'real').map((f) => f.path as string));
  const benignLeft = after.findings.filter((f) => f.verdict === 'benign');
  const newReal = [...realAfter].filter((p) => !realBefore.has(p));
  const lines = [
    `verification (fresh scan): benign ${count(before, 'benign')} → ${benignLeft.length}, real ${realBefore.size} → ${realAfter.size}${newReal.length === 0 && [...realBefore].every((p) => realAfter.has(p)) ? ' (the same paths; they need your decision: stagefix plan --format yaml)' : ''}`,
  ];
  for (const f of benignLeft) lines.push(`  still benign: ${f.path} [${f.rule}] ${f.reason}`);
  for (const p of newReal) lines.push(`  NEW real conflict: ${p}`);
  return lines;
}

/** Journals an apply left incomplete (killed mid-way). */
async function interrupted(stateDir: string): Promise<string[]> {
  const ids = await listJournals(stateDir).catch(() => []);
  const out: string[] = [];
  for (const id of ids) if ((await readJournal(stateDir, id)).status === 'incomplete') out.push(id);
  return out;
}

function describeApply(res: ApplyResult, dryRun: boolean): string[] {
  const out = [`${dryRun ? 'would apply' : 'applied'} ${res.applied.length} file op(s), skipped ${res.skipped.length}${res.journalId !== null ? ` (journal ${res.journalId}; stagefix undo restores it)` : ''}`];
  for (const r of res.recovered) out.push(`recovered: rolled back the interrupted apply ${r.journalId} first`);
  for (const s of res.skipped) out.push(`  skipped ${s.op.op} ${s.op.part}:${s.op.path}: ${s.reason} (${s.detail})`);
  for (const e of res.errors) out.push(`  error ${e.op.op} ${e.op.part}:${e.op.path}: ${e.error}`);
  return out;
}

export function registerResolveCommands(program: Command, io: Io, result: { code: number }): void {
  planFlags(program.command('plan').description('show how stagefix would resolve the conflicts: benign ones by rewriting, real ones as proposals'))
    .addOption(new Option('--format <format[=file]>', `output format, optionally to a file: ${PLAN_FORMATS.join(', ')}`).default('text'))
    .action(async (projectArg: string | undefined, flags: PlanFlags & { format: string }) => {
      const eq = flags.format.indexOf('=');
      const format = eq < 0 ? flags.format : flags.format.slice(0, eq);
      if (!(PLAN_FORMATS as readonly string[]).includes(format)) throw new UsageError(`unknown plan format ${JSON.stringify(format)} (known: ${PLAN_FORMATS.join(', ')})`);
      const project = select(io, projectArg, flags);
      const p = await plan(await trimmingMemory(() => analyse(project)), planOptions(flags, project, io.cwd));
      const text = await renderPlan(p, format as PlanFormat);
      if (eq < 0) io.stdout.write(text);
      else writeFileSync(flags.format.slice(eq + 1), text, format === 'sh' ? { mode: 0o755 } : {});
      result.code = 0;
    });

  planFlags(program.command('apply').description('resolve the benign conflicts (journaled; stagefix undo puts everything back), then re-scan'))
    .option('--dry-run', 'check every precondition and print what would happen; change nothing')
    .action(async (projectArg: string | undefined, flags: PlanFlags & { dryRun?: boolean }) => {
      const project = select(io, projectArg, flags);
      const dryRun = flags.dryRun === true;
      const engine = {
        stateDir: stateDirOf(project),
        allowedRoots: project.parts.map((s) => s.installDir),
        onEvent: (e: ApplyEvent): void => {
          if (e.type === 'lock-taken-over') io.stderr.write(`stagefix: took over a stale lock (pid ${e.holder.pid}, ${e.holder.command})\n`);
        },
      };
      // An interrupted apply is rolled back before the scan, so the plan is made from the tree that
      // the apply will actually find (an empty apply takes the lock and recovers, nothing else).
      const recovered = dryRun ? [] : (await applyOps([], engine)).recovered;
      if (dryRun && (await interrupted(engine.stateDir)).length > 0) {
        io.stderr.write('stagefix: an interrupted apply will be rolled back first; this dry run shows the tree as it is now\n');
      }
      const before = await trimmingMemory(() => analyse(project));
      const p = await plan(before, planOptions(flags, project, io.cwd));
      const ops = planOps(p);
      const res = await applyOps(ops, { ...engine, dryRun });
      res.recovered = [...recovered, ...res.recovered];
      if (dryRun) {
        io.stdout.write(renderPlanText(p));
        io.stdout.write(`${describeApply(res, true).join('\n')}\n`);
        result.code = 0;
        return;
      }
      io.stdout.write(`${describeApply(res, false).join('\n')}\n`);
      if (res.errors.length > 0) {
        throw new ApplyError(`apply failed and ${res.rolledBack ? 'was rolled back' : 'could NOT be fully rolled back'}: ${res.errors[0]?.error ?? ''}`, res.errors[0]?.op.root);
      }
      const after = await trimmingMemory(() => analyse(project));
      io.stdout.write(`${verification(before.report, after.report).join('\n')}\n`);
      result.code = after.report.findings.some((f) => f.verdict === 'real' && !f.accepted) ? 1 : 0;
    });

  selectOptions(program.command('undo').description('restore what the last apply changed, byte for byte'))
    .option('--journal <id>', 'the journal to undo (default: the newest not yet undone)')
    .option('--force', 'also restore files changed since the apply (the current version is kept in the state dir)')
    .action(async (projectArg: string | undefined, flags: SelectFlags & { journal?: string; force?: boolean }) => {
      const project = select(io, projectArg, flags);
      const r = await undo({
        stateDir: stateDirOf(project),
        ...(flags.journal !== undefined ? { journalId: flags.journal } : {}),
        ...(flags.force === true ? { force: true } : {}),
      });
      io.stdout.write(`undo ${r.journalId}: restored ${r.restored.length} entr${r.restored.length === 1 ? 'y' : 'ies'}${r.refused.length > 0 ? `, refused ${r.refused.length}` : ''}\n`);
      for (const x of r.refused) io.stdout.write(`  refused ${x.root}/${x.path}: ${x.reason}\n`);
      if (r.refused.length > 0) throw new ApplyError(`undo incomplete: ${r.refused.length} entr${r.refused.length === 1 ? 'y was' : 'ies were'} changed since the apply (use --force to restore them anyway)`);
      result.code = 0;
    });

  program
    .command('hook')
    .description("for a part's override-build after `craftctl default`: canonicalise this part's install dir")
    .option('--runtime-prefix <path>', 'where the staged tree lives at run time (default /snap/$CRAFT_PROJECT_NAME/current; / for a rock)')
    .option('--install <dir>', 'the install dir (default $CRAFT_PART_INSTALL)')
    .option('--part-name <name>', 'the part name (default $CRAFT_PART_NAME)')
    .option('--project-name <name>', 'the project name (default $CRAFT_PROJECT_NAME)')
    .action(async (flags: HookFlags) => {
      result.code = await hookCommand(io, flags);
    });
}
