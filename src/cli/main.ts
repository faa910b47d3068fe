/**
 * The command line. The only module (with bin/) that touches `process`, the terminal and `ora`.
 * `main(argv)` returns the exit code: 0 no real conflict, 1 real conflict (or any with
 * `--fail-on benign`), 2 usage, configuration or I/O error — one line on stderr, never a stack trace.
 */
import { writeFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { isStagefixError, UsageError } from '../errors.js';
import type { Report } from '../model.js';
import { renderText } from '../report/text.js';
import { DEFAULT_DOCS_BASE_URI, githubStepSummary, parseFormatSpecs, REPORTERS, FORMAT_NAMES, type FormatContext, type FormatSpec } from '../report/formats/index.js';
import { applyConfig, exitCode, findConfig, loadConfig, mergeOptions, EMPTY_CONFIG, type Options } from '../config/index.js';
import { appendFileSync } from 'node:fs';
import { createProgress, progressEnabled } from './progress.js';
import { DigestCache, defaultCacheDir } from '../scan/cache.js';
import { registerResolveCommands } from './commands/resolve.js';
import { analyse, analyseReport, selectProject } from '../run.js';
import { codeIdentity } from '../report/reuse.js';
import { inspectFile, renderInspection } from '../inspect/inspect.js';
import { classifyPair, renderReason } from '../classify/classify.js';
import { useNativeWalker } from '../scan/native-walk.js';
import { trimmingMemory } from './memory.js';

export interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

const defaultIo = (): Io => ({ stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });

interface ScanFlags {
  partsDir?: string;
  part?: string[];
  format?: string[];
  verbose?: boolean;
  quiet?: boolean;
  color?: boolean;
  failOn?: 'real' | 'benign';
  config?: string;
  runtimePrefix?: string;
  docsBaseUri?: string;
  /** `--no-cache` sets this to false. */
  cache?: boolean;
  cacheDir?: string;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function useColor(io: Io, stream: NodeJS.WriteStream, flag: boolean | undefined): boolean {
  if (flag === false) return false;
  // https://no-color.org: any non-empty NO_COLOR disables colour.
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

function render(report: Report, spec: FormatSpec, color: boolean, flags: ScanFlags, ctx: FormatContext): string {
  if (spec.format === 'text') return renderText(report, { color, verbose: flags.verbose === true });
  return REPORTERS[spec.format](report, ctx);
}

export const VERSION = '0.1.0';

async function runScan(io: Io, projectArg: string | undefined, flags: ScanFlags, mode: 'report' | 'check'): Promise<number> {
  const formats = parseFormatSpecs(flags.format);
  const project = selectProject({
    ...(projectArg !== undefined ? { project: projectArg } : {}),
    ...(flags.partsDir !== undefined ? { partsDir: flags.partsDir } : {}),
    ...(flags.part !== undefined ? { parts: flags.part } : {}),
    cwd: io.cwd,
  });
  const configFile = findConfig({
    root: project.root,
    ...(project.file !== undefined ? { projectFile: project.file } : {}),
    ...(flags.config !== undefined ? { explicit: flags.config } : {}),
    cwd: io.cwd,
  });
  const config = configFile !== undefined ? loadConfig(configFile) : EMPTY_CONFIG;
  const options: Options = mergeOptions(config, {
    ...(flags.failOn !== undefined ? { failOn: flags.failOn } : {}),
    ...(flags.runtimePrefix !== undefined ? { runtimePrefix: flags.runtimePrefix } : {}),
  });
  const enabled = progressEnabled({
    isTTY: io.stderr.isTTY === true,
    quiet: flags.quiet === true,
    columns: io.stderr.columns ?? 0,
    ci: io.env.CI !== undefined && io.env.CI !== '' && io.env.CI !== 'false',
    ...(formats.find((f) => f.file === undefined) ? { stdoutFormat: formats.find((f) => f.file === undefined)?.format } : {}),
  });
  const progress = await createProgress({ stream: io.stderr, enabled });
  let raw: Report;
  let cache: DigestCache | undefined;
  let cacheWriteError: string | undefined;
  try {
    cache = flags.cache === false ? undefined : await DigestCache.open(flags.cacheDir ?? defaultCacheDir(io.env));
    const code = cache ? codeIdentity() : undefined;
    ({ report: raw, cacheWriteError } = await trimmingMemory(() =>
      analyseReport(project, progress.sink, { ...(cache ? { cache } : {}), ...(code !== undefined ? { reuse: { code } } : {}) }),
    ));
  } finally {
    progress.stop();
  }
  // Not part of the report (it says nothing about the project), but a cache that is never written makes
  // every run as slow as the first without a word, so say it once per run.
  if (cache && cacheWriteError !== undefined) {
    io.stderr.write(`stagefix: warning: cannot write the cache in ${cache.dir} (${cacheWriteError}); the next run will read every shared file again. Use --cache-dir DIR for a writable dir, or --no-cache.\n`);
  }
  const report = applyConfig(raw, config);
  const ctx: FormatContext = {
    projectRoot: project.root,
    docsBaseUri: flags.docsBaseUri ?? DEFAULT_DOCS_BASE_URI,
    toolVersion: VERSION,
    severity: options.severity,
    failOn: options.failOn,
  };
  for (const spec of formats) {
    const text = render(report, spec, spec.file === undefined && useColor(io, io.stdout, flags.color), flags, ctx);
    if (spec.file !== undefined) {
      try {
        writeFileSync(spec.file, text);
      } catch (e) {
        throw new UsageError(`--format ${spec.format}=${spec.file}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
    } else io.stdout.write(text);
    // GitHub shows this Markdown on the run's summary page; only the github format asks for it.
    if (spec.format === 'github' && io.env.GITHUB_STEP_SUMMARY) {
      appendFileSync(io.env.GITHUB_STEP_SUMMARY, githubStepSummary(report, ctx));
    }
  }
  // `report` informs; only `check` gates. Both fail with 2 on errors (in main).
  return mode === 'report' ? 0 : exitCode(report, options.failOn);
}

async function explain(io: Io, path: string, projectArg: string | undefined, flags: ScanFlags & { format: 'text' | 'json' }): Promise<number> {
  const project = selectProject({
    ...(projectArg !== undefined ? { project: projectArg } : {}),
    ...(flags.partsDir !== undefined ? { partsDir: flags.partsDir } : {}),
    ...(flags.part !== undefined ? { parts: flags.part } : {}),
    cwd: io.cwd,
  });
  const { report, scan: result, source } = await trimmingMemory(() => analyse(project));
  const collision = result.collisions.find((c) => c.path === path);
  const finding = report.findings.find((f) => f.path === path);
  const shipping = result.parts.filter((p) => p.staged.has(path)).map((p) => p.spec.name);
  if (!collision || !finding) {
    const why = shipping.length < 2 ? `shipped by ${shipping.length === 0 ? 'no part' : `only ${shipping[0]}`}` : `identical in ${shipping.join(', ')}`;
    if (flags.format === 'json') io.stdout.write(`${JSON.stringify({ path, collision: false, parts: shipping, why }, null, 2)}\n`);
    else io.stdout.write(`${path}: no collision (${why})\n`);
    return 0;
  }
  const pairs = [];
  for (const pair of collision.pairs) {
    const v = await classifyPair(source, path, pair.parts[0], pair.parts[1], pair.kind);
    pairs.push({ parts: pair.parts, kind: pair.kind, verdict: v.verdict, unknown: v.unknown === true, rule: v.rule, reason: renderReason(v), evidence: v.evidence });
  }
  if (flags.format === 'json') {
    io.stdout.write(`${JSON.stringify({ path, collision: true, verdict: finding.verdict, parts: collision.parts, pairs }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
    return 0;
  }
  const out = [`${path}: ${finding.verdict}${finding.unknown ? '/unknown' : ''} (worst of ${pairs.length} pair${pairs.length === 1 ? '' : 's'})`];
  for (const p of pairs) {
    out.push('', `${p.parts[0]} ↔ ${p.parts[1]}: ${p.kind} collision → ${p.verdict}${p.unknown ? '/unknown' : ''} by rule ${p.rule}`, `  ${p.reason}`);
    for (const [k, v] of Object.entries(p.evidence)) {
      out.push(`  ${k}: ${typeof v === 'object' ? JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) : String(v)}`);
    }
  }
  io.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

function scanCommand(program: Command, name: 'report' | 'check', description: string, io: Io, result: { code: number }): void {
  const cmd = program
    .command(name)
    .description(description)
    .argument('[project]', 'project dir or project file (snapcraft.yaml, rockcraft.yaml, charmcraft.yaml)')
    .option('--parts-dir <dir>', 'where the parts are built (default: PROJECT/parts)')
    .option('--part <name=dir>', 'name a part directly, without a project file (repeatable)', collect)
    .option('--format <format[=file]>', `output format, optionally to a file (repeatable): ${FORMAT_NAMES.join(', ')}`, collect)
    .option('--config <file>', 'configuration file (default: stagefix.yaml beside the project file)')
    .option('--runtime-prefix <path>', 'where the parts live at run time (default: /snap/<name>/current for a snap, / for a rock)')
    .option('--docs-base-uri <uri>', 'where docs/rules/<id>.md is published, for helpUri and links')
    .option('--no-cache', 'read every shared file instead of trusting digests from earlier runs')
    .option('--cache-dir <dir>', 'where digests of unchanged files are kept (default: $XDG_CACHE_HOME/stagefix or ~/.cache/stagefix)')
    .option('-v, --verbose', 'list benign conflicts and all warnings too')
    .option('-q, --quiet', 'no progress display')
    .option('--no-color', 'never colour the output');
  if (name === 'check') {
    cmd.addOption(new Option('--fail-on <verdict>', 'fail on real conflicts only (default), or on any conflict').choices(['real', 'benign']));
  }
  cmd.action(async (projectArg: string | undefined, flags: ScanFlags) => {
    result.code = await runScan(io, projectArg, flags, name);
  });
}

export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  const result = { code: 0 };
  // The C walker (native/walk.c) is an accelerator: STAGEFIX_NATIVE=0 walks in JavaScript, with the same results.
  useNativeWalker(io.env.STAGEFIX_NATIVE !== '0');
  const program = new Command('stagefix')
    .description('Find, explain and fix staging conflicts between craft parts.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showSuggestionAfterError(true);
  scanCommand(program, 'report', 'report every staging conflict between every pair of parts', io, result);
  scanCommand(program, 'check', 'like report, with an exit code for CI: 0 clean, 1 real conflicts, 2 errors', io, result);
  program
    .command('inspect')
    .description('show what stagefix knows about one file (a .pyc: interpreter, header, source validity, embedded paths)')
    .argument('<file>', 'the file')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (file: string, flags: { format: 'text' | 'json' }) => {
      const info = await inspectFile(file);
      io.stdout.write(flags.format === 'json' ? `${JSON.stringify(info, null, 2)}\n` : renderInspection(info));
    });
  program
    .command('explain')
    .description('explain the verdict for one colliding path: every pair, the rule, its reasoning and evidence')
    .argument('<path>', 'the path relative to the install dirs, e.g. lib/python3.12/site-packages/x/__pycache__/y.cpython-312.pyc')
    .argument('[project]', 'project dir or project file')
    .option('--parts-dir <dir>', 'where the parts are built (default: PROJECT/parts)')
    .option('--part <name=dir>', 'name a part directly (repeatable)', collect)
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (path: string, projectArg: string | undefined, flags: ScanFlags & { format: 'text' | 'json' }) => {
      result.code = await explain(io, path.replace(/^\/+|\/+$/g, ''), projectArg, flags);
    });
  registerResolveCommands(program, io, result);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return result.code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; usage errors were already printed by commander.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (isStagefixError(e)) {
      io.stderr.write(`stagefix: ${e.message}\n`);
      return 2;
    }
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err.code === 'string' && typeof err.path === 'string') {
      io.stderr.write(`stagefix: ${err.path}: ${err.code}\n`);
      return 2;
    }
    io.stderr.write(`stagefix: internal error: ${err?.message ?? String(e)} (please report this; set STAGEFIX_DEBUG=1 for details)\n`);
    if (io.env.STAGEFIX_DEBUG) io.stderr.write(`${err?.stack ?? ''}\n`);
    return 2;
  }
}
