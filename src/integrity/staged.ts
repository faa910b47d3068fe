/**
 * The staged tree as craft-parts' STAGE step would leave it: the union of the parts' stage sets, the
 * later part (in `scan.parts` order, craft-parts' `sort_parts`) winning for a path several parts ship
 * (staging.md §2: "an identical path from a later part replaces the earlier one"). Every integrity rule
 * reads the stage through this one model, so they all agree on who provides what.
 */
import { posix } from 'node:path';
import type { Entry, PartName } from '../model.js';
import type { PartScan, ScanResult } from '../scan/scan.js';

export interface StagedEntry {
  /** The part whose copy ends up in the stage. */
  part: PartName;
  entry: Entry;
}

export type Resolution =
  /** `entry` is undefined only for the stage root itself (`path` `''`). */
  | { kind: 'stage'; path: string; entry: StagedEntry | undefined; hops: string[] }
  /** `path` is the first component that does not exist (or is not a directory) in the stage. */
  | { kind: 'missing'; path: string; hops: string[] }
  /** The chain leaves the stage: an absolute target (or `..` past the root), normalised. */
  | { kind: 'outside'; target: string; hops: string[] }
  | { kind: 'loop'; hops: string[] };

/** Linux's limit on symlink hops (MAXSYMLINKS). */
const MAX_HOPS = 40;

export class StagedView {
  private readonly map = new Map<string, StagedEntry>();
  /** Each part's scan: what it stages is its stage set, restricted to what exists on disk. */
  private readonly byPart = new Map<string, PartScan>();
  private childIndex: Map<string, string[]> | undefined;
  /** Every part in craft-parts order (built or not). */
  readonly parts: readonly PartName[];

  constructor(scan: ScanResult) {
    this.parts = scan.parts.map((p) => p.spec.name);
    // Which part wins each path first, as an index (a path of every part of the bench's copies tree is in
    // six: one object per part and path was five to throw away), then one entry per path. A map keeps a
    // key where it was first set, so the order is the same either way.
    const winner = new Map<string, number>();
    scan.parts.forEach((p, i) => {
      // In the stage set but not on disk (a parent resolved through a dangling link): nothing to stage.
      p.staged.forEach((path) => p.entries.has(path) && winner.set(path, i));
      this.byPart.set(p.spec.name, p);
    });
    winner.forEach((i, path) => {
      const p = scan.parts[i] as PartScan;
      this.map.set(path, { part: p.spec.name, entry: p.entries.get(path) as Entry });
    });
  }

  /** What the stage holds at `path` (no link following). */
  get(path: string): StagedEntry | undefined {
    return this.map.get(path);
  }

  /** Every staged path. */
  paths(): IterableIterator<string> {
    return this.map.keys();
  }

  entries(): IterableIterator<[string, StagedEntry]> {
    return this.map.entries();
  }

  /** Every staged path with what the stage holds there: `entries()` without an iterator result and a pair per path. */
  forEach(visit: (s: StagedEntry, path: string) => void): void {
    this.map.forEach(visit);
  }

  /** The part's own entry at `path` when the part stages it (its copy may be replaced by a later part). */
  partEntry(part: PartName, path: string): Entry | undefined {
    const p = this.byPart.get(part);
    return p?.staged.has(path) ? p.entries.get(path) : undefined;
  }

  /** Paths a part stages. */
  *partPaths(part: PartName): IterableIterator<string> {
    const p = this.byPart.get(part);
    if (!p) return;
    for (const path of p.staged) if (p.entries.has(path)) yield path;
  }

  /** Every part that stages `path`, in craft-parts order, with its own entry. */
  providers(path: string): { part: PartName; entry: Entry }[] {
    const out: { part: PartName; entry: Entry }[] = [];
    for (const part of this.parts) {
      const e = this.partEntry(part, path);
      if (e) out.push({ part, entry: e });
    }
    return out;
  }

  /** Names directly inside a staged directory path (`''` for the stage root). */
  children(dir: string): string[] {
    if (!this.childIndex) {
      this.childIndex = new Map();
      for (const path of this.map.keys()) {
        const slash = path.lastIndexOf('/');
        const parent = slash < 0 ? '' : path.slice(0, slash);
        const list = this.childIndex.get(parent);
        if (list) list.push(path.slice(slash + 1));
        else this.childIndex.set(parent, [path.slice(slash + 1)]);
      }
    }
    return this.childIndex.get(dir) ?? [];
  }

  /**
   * Follows `path` through the stage the way the kernel would at run time: every component, links in
   * parent directories included. An absolute target into a part's build-time install dir
   * (`/…/parts/<p>/install/x`) names `x` in the stage; any other absolute target leaves it.
   */
  resolve(path: string): Resolution {
    const hops: string[] = [];
    let rest = path.split('/').filter((c) => c !== '' && c !== '.');
    const cur: string[] = [];
    while (rest.length > 0) {
      const comp = rest[0] as string;
      rest = rest.slice(1);
      if (comp === '.') continue;
      if (comp === '..') {
        if (cur.length === 0) return { kind: 'outside', target: posix.normalize(`/${['..', ...rest].join('/')}`), hops };
        cur.pop();
        continue;
      }
      const next = [...cur, comp].join('/');
      const staged = this.map.get(next);
      if (!staged) return { kind: 'missing', path: next, hops };
      if (staged.entry.type === 'symlink') {
        const target = staged.entry.linkTarget ?? '';
        hops.push(target);
        if (hops.length > MAX_HOPS) return { kind: 'loop', hops };
        if (posix.isAbsolute(target)) {
          const norm = posix.normalize(target);
          const inTree = /\/parts\/[^/]+\/install(\/|$)/.exec(norm);
          if (!inTree) return { kind: 'outside', target: posix.normalize([norm, ...rest].join('/')), hops };
          cur.length = 0;
          rest = [...norm.slice(inTree.index + inTree[0].length).split('/'), ...rest].filter((c) => c !== '');
        } else {
          rest = [...target.split('/').filter((c) => c !== ''), ...rest];
        }
        continue;
      }
      if (staged.entry.type !== 'dir' && rest.length > 0) return { kind: 'missing', path: `${next}/${rest[0] ?? ''}`, hops };
      cur.push(comp);
    }
    const final = cur.join('/');
    const entry = this.map.get(final);
    if (!entry && final !== '') return { kind: 'missing', path: final, hops };
    return { kind: 'stage', path: final, entry, hops };
  }
}
