/**
 * The pipeline as one call, for the CLI and for library users: load → scan → classify → report.
 */
import { classify } from './classify/classify.js';
import { runIntegrity } from './integrity/index.js';
import type { ProgressSink, Project, Report } from './model.js';
import { buildReport } from './report/build.js';
import { DiskFileSource } from './scan/file-source.js';
import { loadProject, projectFromPartArgs } from './scan/project.js';
import { scan, scanUnlessUnchanged, type ScanResult } from './scan/scan.js';
import { loadStoredReport, storeReport } from './report/reuse.js';
import type { DigestCache } from './scan/cache.js';
import { ConfigError, UsageError } from './errors.js';
import { CraftSemanticsError } from './scan/craft/errors.js';

export interface ProjectSelection {
  /** A project dir or file; ignored when `parts` is given. */
  project?: string;
  partsDir?: string;
  /** `NAME=DIR` entries (`--part`). */
  parts?: string[];
  cwd: string;
}

export function selectProject(sel: ProjectSelection): Project {
  if (sel.parts && sel.parts.length > 0) {
    if (sel.project !== undefined) throw new UsageError('give either a PROJECT or --part NAME=DIR, not both');
    return projectFromPartArgs(sel.parts, sel.cwd);
  }
  return loadProject(sel.project ?? sel.cwd, sel.partsDir !== undefined ? { partsDir: sel.partsDir } : {});
}

export interface Analysis {
  project: Project;
  scan: ScanResult;
  source: DiskFileSource;
  report: Report;
}

export interface AnalyseOptions {
  /** The incremental digest cache (issue 6); undefined reads every shared file. */
  cache?: DigestCache;
}

export async function analyse(project: Project, progress?: ProgressSink, opts: AnalyseOptions = {}): Promise<Analysis> {
  const started = performance.now();
  return analyseScanned(project, await scanProject(project, () => scan(project, scanOptions(progress, opts))), progress, opts, started);
}

export interface ReportOptions extends AnalyseOptions {
  /**
   * Reuse the report stored for this project when every part walks as it did then (`report/reuse.ts`);
   * `code` names the running build (`codeIdentity()`). Needs `cache`, where reports are stored.
   */
  reuse?: { code: string };
}

export interface ReportOutcome {
  report: Report;
  reused: boolean;
  /**
   * Why the cache dir could not be written (an errno code such as `EACCES`), when it could not: this
   * run is as correct, but the next one will not be faster, and only the caller can tell the user.
   */
  cacheWriteError?: string;
}

/**
 * The report alone, for callers that need nothing else (`stagefix report` and `check`): reused when
 * nothing changed since it was stored, else analysed and stored for the next run.
 */
export async function analyseReport(project: Project, progress?: ProgressSink, opts: ReportOptions = {}): Promise<ReportOutcome> {
  const started = performance.now();
  const { cache, reuse } = opts;
  const analysed = async (): Promise<ReportOutcome> => {
    const { report, scan: result } = await analyse(project, progress, opts);
    return withCacheError({ report, reused: false }, result.cache?.saveError);
  };
  if (!cache || !reuse) return analysed();
  const stored = loadStoredReport(cache.dir, project, reuse.code, cache.checksum);
  const result = await scanProject(project, () => scanUnlessUnchanged(project, scanOptions(progress, opts), stored?.keys));
  if (result === 'unchanged') {
    const report = stored?.report();
    // This run's own figures: nothing read, in this long.
    if (report) return { report: { ...report, stats: { ...report.stats, hashedBytes: 0, durationMs: Math.round(performance.now() - started) } }, reused: true };
    // Unreadable after all (changed under us): analysed as if nothing were stored.
    return analysed();
  }
  const { report } = await analyseScanned(project, result, progress, opts, started);
  // A report that cannot be stored (a read-only cache dir) costs the next run its reuse, never this run.
  const storeError = result.walkKeys ? storeReport(cache.dir, project, reuse.code, result.walkKeys, report, cache.checksum) : undefined;
  // `not-serialisable` is ours to fix, not the user's: that report is analysed again next time.
  return withCacheError({ report, reused: false }, result.cache?.saveError ?? (storeError === 'not-serialisable' ? undefined : storeError));
}

const withCacheError = (o: ReportOutcome, error: string | undefined): ReportOutcome => (error === undefined ? o : { ...o, cacheWriteError: error });

const scanOptions = (progress: ProgressSink | undefined, opts: AnalyseOptions) => ({
  ...(progress ? { progress } : {}),
  ...(opts.cache ? { cache: opts.cache, saveCache: false } : {}),
});

async function scanProject<T>(project: Project, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    // craft-parts semantics that cannot be decided from the tree (e.g. a stage pattern resolving
    // through a link outside the install dir) become a named error instead of a crash.
    if (e instanceof CraftSemanticsError) throw new ConfigError(project.file ?? project.root, e.message, undefined, 'stage');
    throw e;
  }
}

async function analyseScanned(project: Project, result: ScanResult, progress: ProgressSink | undefined, opts: AnalyseOptions, started: number): Promise<Analysis> {
  const source = new DiskFileSource(result, opts.cache);
  const findings = await classify(source, result.collisions, progress ? { progress } : {});
  // Problems that are not same-path collisions (version skew, shadowing, ABI, dangling links...).
  findings.push(...(await runIntegrity(result, source)));
  // Saved last: the rules' header reads are remembered too.
  if (opts.cache) result.cache = opts.cache.save();
  const report = buildReport(result, findings, Math.round(performance.now() - started));
  return { project, scan: result, source, report };
}
