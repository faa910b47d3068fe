/** Test helpers: materialise small trees in a temp dir, list them the way the scanner will, run the oracle. */
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readlinkSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ListingEntry } from '../../../src/scan/craft/stage-set.js';

export const ORACLE = join(import.meta.dirname, '../../oracle/craft_collisions.py');

export type TreeSpec = { path: string; kind: 'file' | 'dir' } | { path: string; kind: 'link'; target: string };

export function materialise(root: string, tree: readonly TreeSpec[]): void {
  for (const e of tree) {
    const abs = join(root, e.path);
    try {
      mkdirSync(dirname(abs), { recursive: true });
      if (e.kind === 'dir') mkdirSync(abs, { recursive: true });
      else if (e.kind === 'file') writeFileSync(abs, e.path);
      else if (e.kind === 'link') symlinkSync(e.target.replace('@ROOT@', realpathSync(root)), abs);
    } catch {
      // a later entry colliding with an earlier one keeps the earlier: the tree stays valid
    }
  }
}

/** lstat walk: what the scanner hands to stageSet. */
export function listDir(root: string): ListingEntry[] {
  const out: ListingEntry[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(root, r));
      if (st.isSymbolicLink()) {
        let targetType: ListingEntry['targetType'] = 'missing';
        try {
          const t = statSync(join(root, r));
          targetType = t.isDirectory() ? 'dir' : t.isFile() ? 'file' : 'other';
        } catch {
          targetType = 'missing';
        }
        out.push({ path: r, type: 'symlink', target: readlinkSync(join(root, r)), targetType });
      } else if (st.isDirectory()) {
        out.push({ path: r, type: 'dir' });
        walk(r);
      } else out.push({ path: r, type: st.isFile() ? 'file' : 'other' });
    }
  };
  walk('');
  return out;
}

export type OracleStageSet = string[] | { error: string; message: string };

export function oracleStageSet(python: string, dir: string, stage: readonly string[]): OracleStageSet {
  const out = execFileSync(python, [ORACLE, '--stage-set', dir, '--stage', JSON.stringify(stage)], { encoding: 'utf8' });
  return JSON.parse(out) as OracleStageSet;
}

export function oracleBatch(python: string, op: 'links' | 'pc', pairs: [string, string][]): boolean[] {
  const out = execFileSync(python, [ORACLE, '--batch'], { encoding: 'utf8', input: JSON.stringify({ op, pairs }) });
  return JSON.parse(out) as boolean[];
}
