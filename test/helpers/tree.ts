/**
 * Build part trees in a temp dir from real files (copied byte for byte, with their modes), symlinks and
 * small inline texts, then run the real pipeline on them. Rule tests use this to put real artifacts at
 * the same path in two parts.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { analyse, type Analysis } from '../../src/run.js';
import { projectFromPartArgs } from '../../src/scan/project.js';
import type { Finding } from '../../src/model.js';

export type TreeItem = { from: string } | { symlink: string } | { text: string; mode?: number } | { dir: true };

export type Tree = Record<string, TreeItem>;

export function makeTree(root: string, tree: Tree): void {
  mkdirSync(root, { recursive: true });
  for (const [rel, item] of Object.entries(tree)) {
    const abs = join(root, rel);
    mkdirSync(dirname(abs), { recursive: true });
    if ('from' in item) {
      copyFileSync(item.from, abs);
      chmodSync(abs, statSync(item.from).mode & 0o7777);
    } else if ('symlink' in item) {
      symlinkSync(item.symlink, abs);
    } else if ('text' in item) {
      writeFileSync(abs, item.text);
      if (item.mode !== undefined) chmodSync(abs, item.mode);
    } else {
      mkdirSync(abs, { recursive: true });
    }
  }
}

export interface PartsFixture {
  dir: string;
  analysis: Analysis;
  finding(path: string): Finding | undefined;
  cleanup(): void;
}

/** Makes one install dir per part under a temp dir and analyses them as `--part NAME=DIR`. */
export async function analyseTrees(parts: Record<string, Tree>): Promise<PartsFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'stagefix-tree-'));
  const args: string[] = [];
  for (const [name, tree] of Object.entries(parts)) {
    const root = join(dir, 'parts', name, 'install');
    makeTree(root, tree);
    args.push(`${name}=${root}`);
  }
  const analysis = await analyse(projectFromPartArgs(args, dir));
  return {
    dir,
    analysis,
    finding: (path) => analysis.report.findings.find((f) => f.path === path),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export const EXAMPLE = join(import.meta.dirname, '..', '..', 'example');
export const examplePart = (part: string, rel: string): string => join(EXAMPLE, 'parts', part, 'install', rel);

/**
 * For a test file: returns `run(parts)` that analyses trees and removes them after the file's tests.
 * Must be called at the top level of a test file (it registers an `afterAll`).
 */
export function treeRunner(afterAllHook: (fn: () => void) => void): (parts: Record<string, Tree>) => Promise<PartsFixture> {
  const made: PartsFixture[] = [];
  afterAllHook(() => made.forEach((f) => f.cleanup()));
  return async (parts) => {
    const f = await analyseTrees(parts);
    made.push(f);
    return f;
  };
}
