/**
 * Real parts for the integrity tests: install dirs built once with the craft-parts python plugin recipe
 * (`scripts/build-part.sh`, the offline index) and cached under the gitignored `fixtures/.build/integrity/`
 * (a stamp records interpreter, packages and environment; a changed stamp rebuilds). A test copies a
 * cached part into its own project dir (`cp -al`: hard links, links and modes kept), overlays real files or links,
 * writes a snapcraft.yaml with the base it needs and runs the real pipeline.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, statSync, symlinkSync, utimesSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runIntegrity } from '../../src/integrity/index.js';
import type { Finding } from '../../src/model.js';
import { jsonDocument } from '../../src/report/json.js';
import { renderSarif } from '../../src/report/formats/sarif.js';
import { DEFAULT_DOCS_BASE_URI } from '../../src/report/formats/types.js';
import { expect } from 'vitest';
import { analyse, type Analysis } from '../../src/run.js';
import { loadProject } from '../../src/scan/project.js';
import { makeTree, type Tree } from '../helpers/tree.js';
import { findPython, type Interpreter } from '../helpers/python.js';

export const REPO = join(import.meta.dirname, '..', '..');
const CACHE = join(REPO, 'fixtures', '.build', 'integrity');
const SCRIPT = join(REPO, 'scripts', 'build-part.sh');

export interface BuildSpec {
  /** Cache key: one test file's part (files never share a cache entry, so parallel files cannot race). */
  key: string;
  python: Interpreter;
  packages: string[];
  env?: Record<string, string>;
}

/** The install dir of a part built with the plugin recipe (cached). */
export function buildPart(spec: BuildSpec): string {
  const dir = join(CACHE, spec.key);
  const install = join(dir, 'install');
  const stampFile = join(dir, '.stamp');
  const stamp = JSON.stringify({ exe: spec.python.exe, version: spec.python.version, packages: spec.packages, env: spec.env ?? {} });
  if (existsSync(install) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return install;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, ...(spec.env ?? {}) };
  execFileSync(SCRIPT, [install, spec.python.exe, ...spec.packages], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  writeFileSync(stampFile, stamp);
  return install;
}

export interface PartDef {
  /** A cached build to start from (copied). */
  from?: string;
  /** Real files, links and small texts laid over it (see test/helpers/tree.ts). */
  tree?: Tree;
  /** Paths removed after copying. */
  remove?: string[];
  stage?: string[];
}

export interface IntegrityRun {
  dir: string;
  analysis: Analysis;
  findings: Finding[];
  /** Findings of one rule. */
  of(rule: string): Finding[];
  install(part: string): string;
  cleanup(): void;
}

/** Lays out `parts` as a snapcraft project with `base` and runs scan + integrity on it. */
export async function runOn(parts: Record<string, PartDef>, base = 'core24'): Promise<IntegrityRun> {
  const dir = mkdtempSync(join(tmpdir(), 'stagefix-integrity-'));
  const yamlParts: Record<string, Record<string, unknown>> = {};
  for (const [name, def] of Object.entries(parts)) {
    const install = join(dir, 'parts', name, 'install');
    mkdirSync(join(dir, 'parts', name), { recursive: true });
    // Hard links keep a copy cheap (as craft-parts' own stage step does); overlaid paths are unlinked
    // first so no write ever reaches the cached build.
    if (def.from) execFileSync('cp', ['-al', def.from, install]);
    else mkdirSync(install, { recursive: true });
    for (const r of [...(def.remove ?? []), ...Object.keys(def.tree ?? {})]) rmSync(join(install, r), { recursive: true, force: true });
    if (def.tree) makeTree(install, def.tree);
    yamlParts[name] = { plugin: 'python', source: '.', ...(def.stage ? { stage: def.stage } : {}) };
  }
  writeFileSync(join(dir, 'snapcraft.yaml'), stringify({ name: 'integrity-test', base, version: '0', summary: 's', description: 'd', grade: 'devel', confinement: 'strict', parts: yamlParts }));
  const analysis = await analyse(loadProject(dir));
  const findings = await runIntegrity(analysis.scan, analysis.source);
  // Issue 8: every rule that fires must also reach the machine formats, with its rule id.
  const json = jsonDocument(analysis.report) as { conflicts: { rule: string; kind: string; pairs: unknown[] }[] };
  const sarif = JSON.parse(
    renderSarif(analysis.report, { projectRoot: dir, docsBaseUri: DEFAULT_DOCS_BASE_URI, toolVersion: 'test' }),
  ) as { runs: { results: { ruleId: string }[] }[] };
  return {
    dir,
    analysis,
    findings,
    of: (rule) => {
      const mine = findings.filter((f) => f.rule === rule);
      if (mine.length > 0) {
        expect(json.conflicts.filter((c) => c.rule === rule && c.kind === 'environment' && c.pairs.length === 0).length, `${rule} in --format json`).toBe(mine.length);
        expect(sarif.runs[0]?.results.filter((r) => r.ruleId === rule).length, `${rule} in --format sarif`).toBe(mine.length);
      }
      return mine;
    },
    install: (part) => join(dir, 'parts', part, 'install'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs `python -I -S` with `dirs` first on sys.path; returns stdout (throws with stderr on failure). */
export function runPython(py: Interpreter, dirs: string[], code: string): string {
  const prelude = `import sys; sys.path[:0] = ${JSON.stringify(dirs)}; sys.dont_write_bytecode = True\n`;
  return execFileSync(py.exe, ['-I', '-S', '-c', prelude + code], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/**
 * The stage as craft-parts' STAGE step lays it out: each part's staged paths copied in part order, a
 * later part replacing an earlier one's file. Used to ask a real interpreter what it imports.
 */
export function materialiseStage(run: IntegrityRun, under = ''): string {
  const stage = join(run.dir, 'stage');
  mkdirSync(stage, { recursive: true });
  for (const p of run.analysis.scan.parts) {
    const paths = [...p.staged].filter((x) => under === '' || x === under || x.startsWith(`${under}/`) || under.startsWith(`${x}/`)).sort();
    for (const path of paths) {
      const e = p.entries.get(path);
      if (!e) continue;
      const dst = join(stage, path);
      if (e.type === 'dir') {
        mkdirSync(dst, { recursive: true });
        continue;
      }
      rmSync(dst, { force: true, recursive: true });
      if (e.type === 'symlink') symlinkSync(e.linkTarget ?? '', dst);
      else if (e.type === 'file') {
        copyFileSync(join(p.spec.installDir, path), dst);
        // Staging keeps mtimes (hard links or copies that preserve them), and pyc validation reads them.
        const t = statSync(join(p.spec.installDir, path));
        utimesSync(dst, t.atime, t.mtime);
      }
    }
  }
  return stage;
}

export { findPython };
