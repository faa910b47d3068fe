/**
 * The pipeline as one call, for the CLI and for library users: load → scan → classify → report.
 */
import { classify } from './classify/classify.js';
import { runIntegrity } from './integrity/index.js';
import type { ProgressSink, Project, Report } from './model.js';
import { buildReport } from './report/build.js';
import { DiskFileSource } from './scan/file-source.js';
import { loadProject, projectFromPartArgs } from './scan/project.js';
import { scan, type ScanResult } from './scan/scan.js';
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
  let result: ScanResult;
  try {
    result = await scan(project, { ...(progress ? { progress } : {}), ...(opts.cache ? { cache: opts.cache, saveCache: false } : {}) });
  } catch (e) {
    // craft-parts semantics that cannot be decided from the tree (e.g. a stage pattern resolving
    // through a link outside the install dir) become a named error instead of a crash.
    if (e instanceof CraftSemanticsError) throw new ConfigError(project.file ?? project.root, e.message, undefined, 'stage');
    throw e;
  }
  const source = new DiskFileSource(result, opts.cache);
  const findings = await classify(source, result.collisions, progress ? { progress } : {});
  // Problems that are not same-path collisions (version skew, shadowing, ABI, dangling links...).
  findings.push(...(await runIntegrity(result, source)));
  // Saved last: the rules' header reads are remembered too.
  if (opts.cache) result.cache = opts.cache.save();
  const report = buildReport(result, findings, Math.round(performance.now() - started));
  return { project, scan: result, source, report };
}
