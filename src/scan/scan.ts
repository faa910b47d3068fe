/**
 * The scan: walk every part once, compute each part's stage set, find every path shipped by more than
 * one part, and decide for every pair of parts, in craft-parts' order, whether it collides there
 * (craft-parts `executor/collisions.py`, staging.md §2). Unlike craft-parts it never stops at the
 * first pair. Bytes are read only for regular files of equal size, and each file is hashed once however
 * many pairs it belongs to.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { FsError } from '../errors.js';
import {
  digest,
  relPath,
  type Collision,
  type CollisionKind,
  type Digest,
  type Entry,
  type ModeWarning,
  type PairCollision,
  type PartName,
  type PartSpec,
  type ProgressSink,
  type Project,
  type ScanWarning,
} from '../model.js';
import type { CacheStats, DigestCache } from './cache.js';
import { hashFiles, type HashTask } from './hash-pool.js';
import { HashStatus } from './hash-worker.js';
import { decodePcText, entryTypesCollide, linkTargetsCollide, pcFilesCollide, permissionsCollide } from './craft/collide.js';
import { stageSet, type ListingEntry } from './craft/stage-set.js';
import { pool, walkPart } from './walk.js';

export interface PartScan {
  spec: PartSpec;
  built: boolean;
  entries: Map<string, Entry>;
  /** Paths craft-parts would stage for this part (and compare). */
  staged: Set<string>;
  /** `stage: []` makes craft-parts skip the part in its check (a quirk); we follow it and warn. */
  skippedByCheck: boolean;
}

export interface ScanResult {
  project: Project;
  parts: PartScan[];
  collisions: Collision[];
  modeWarnings: ModeWarning[];
  warnings: ScanWarning[];
  /** xxh64 of every hashed regular file, keyed by `hashKey(part, path)`. */
  hashes: Map<string, Digest>;
  stats: { entries: number; sharedPaths: number; hashedFiles: number; hashedBytes: number };
  /** Present when a digest cache was used. */
  cache?: CacheStats;
}

export const hashKey = (part: PartName, path: string): string => `${part}\0${path}`;

export interface ScanOptions {
  progress?: ProgressSink;
  /** @deprecated ignored: every file is read through one reused 1 MiB buffer per hashing thread. */
  wholeReadLimit?: number;
  /** The incremental digest cache (issue 6); saved at the end of the scan. */
  cache?: DigestCache;
  /** Hashing threads (default: the available cores, at most 4). */
  hashThreads?: number;
  /** A known digest for an unchanged file (consulted after `cache`). */
  cachedDigest?: (abs: string, e: Entry) => Digest | undefined;
  onHashed?: (abs: string, e: Entry, d: Digest) => void;
}

/**
 * The listing craft-parts' glob semantics run on. For links that leave the tree, stage-set computation
 * needs to know what they point at (craft-parts stats them on disk), so only those are stat()ed.
 */
async function toListing(root: string, entries: Map<string, Entry>): Promise<ListingEntry[]> {
  const out: ListingEntry[] = [];
  const outside: ListingEntry[] = [];
  for (const [path, e] of entries) {
    const type = e.type === 'file' || e.type === 'dir' || e.type === 'symlink' ? e.type : 'other';
    const item: ListingEntry = { path, type };
    if (e.type === 'symlink' && e.linkTarget !== undefined) {
      item.target = e.linkTarget;
      const t = e.linkTarget;
      const resolved = posix.normalize(posix.join(posix.dirname(path), t));
      if (posix.isAbsolute(t) || resolved === '..' || resolved.startsWith('../')) outside.push(item);
    }
    out.push(item);
  }
  await pool(outside, 16, async (item) => {
    try {
      const st = await stat(join(root, item.path));
      item.targetType = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
    } catch {
      item.targetType = 'missing';
    }
  });
  return out;
}

export async function scan(project: Project, opts: ScanOptions = {}): Promise<ScanResult> {
  const progress = opts.progress ?? (() => {});
  const warnings: ScanWarning[] = [];
  const parts: PartScan[] = [];
  let total = 0;
  for (const spec of project.parts) {
    const built = existsSync(spec.installDir);
    if (!built) {
      warnings.push({
        code: 'part-not-built',
        part: spec.name,
        message: `part ${spec.name} is declared but not built: ${spec.installDir} does not exist`,
      });
      parts.push({ spec, built, entries: new Map(), staged: new Set(), skippedByCheck: false });
      continue;
    }
    const w = await walkPart(spec.name, spec.installDir, (n) => progress({ phase: 'walking', done: total + n }));
    total += w.entries.size;
    warnings.push(...w.warnings);
    const skippedByCheck = spec.stage !== undefined && spec.stage.length === 0;
    if (skippedByCheck) {
      warnings.push({
        code: 'stage-empty-skipped',
        part: spec.name,
        message: `part ${spec.name} has "stage: []": craft-parts skips it in its collision check, yet stages all its files`,
      });
    }
    const listing = await toListing(spec.installDir, w.entries);
    const staged = stageSet(listing, spec.stage, { installDir: spec.installDir });
    parts.push({ spec, built, entries: w.entries, staged, skippedByCheck });
  }

  // Every path in at least two (checked) stage sets, with its parts in craft-parts order.
  const owners = new Map<string, number[]>();
  parts.forEach((p, i) => {
    if (p.skippedByCheck) return;
    for (const path of p.staged) {
      const list = owners.get(path);
      if (list) list.push(i);
      else owners.set(path, [i]);
    }
  });
  const shared = [...owners].filter(([, list]) => list.length > 1);

  // Hash, once each, every regular file that has an equal-sized regular twin at the same path.
  const toHash = new Map<string, { part: PartScan; path: string; entry: Entry }>();
  for (const [path, list] of shared) {
    const bySize = new Map<number, number[]>();
    for (const i of list) {
      const e = (parts[i] as PartScan).entries.get(path);
      if (e?.type !== 'file' || path.endsWith('.pc')) continue;
      const group = bySize.get(e.size);
      if (group) group.push(i);
      else bySize.set(e.size, [i]);
    }
    for (const group of bySize.values()) {
      if (group.length < 2) continue;
      // Hard links to one inode are equal without reading: skip when every member shares it.
      const first = (parts[group[0] as number] as PartScan).entries.get(path) as Entry;
      const allSame = group.every((i) => {
        const e = (parts[i] as PartScan).entries.get(path) as Entry;
        return e.dev === first.dev && e.ino === first.ino;
      });
      if (allSame) continue;
      for (const i of group) {
        const p = parts[i] as PartScan;
        toHash.set(hashKey(p.spec.name, path), { part: p, path, entry: p.entries.get(path) as Entry });
      }
    }
  }
  const hashes = new Map<string, Digest>();
  let hashedBytes = 0;
  const tasks: (HashTask & { key: string; part: PartScan; path: string; entry: Entry })[] = [];
  for (const [key, { part, path, entry }] of toHash) {
    const abs = join(part.spec.installDir, path);
    const cached = opts.cache?.lookup(part.spec.installDir, path, entry) ?? opts.cachedDigest?.(abs, entry);
    if (cached) hashes.set(key, cached);
    else tasks.push({ key, part, path, entry, abs, dev: entry.dev, ino: entry.ino, size: entry.size, mtimeNs: entry.mtimeNs, ctimeNs: entry.ctimeNs });
  }
  const cachedCount = hashes.size;
  progress({ phase: 'comparing', done: cachedCount, total: toHash.size, bytes: 0 });
  const pooled = await hashFiles(tasks, {
    ...(opts.hashThreads !== undefined ? { threads: opts.hashThreads } : {}),
    onProgress: (files, bytes) => progress({ phase: 'comparing', done: cachedCount + files, total: toHash.size, bytes }),
  });
  let t = 0;
  pooled.results.forEach((r, b) => {
    const batch = pooled.batches[b] as HashTask[];
    for (let i = 0; i < batch.length; i++, t++) {
      const { key, part, path, entry, abs } = tasks[t] as (typeof tasks)[number];
      const status = r.status[i];
      if (status === HashStatus.Unreadable) {
        warnings.push({ code: 'unreadable', part: part.spec.name, path: relPath(path), message: `cannot read (${r.codes[i] ?? 'error'})` });
        continue;
      }
      const size = r.sizes[i] as number;
      const d = digest(`xxh64:${(r.digests[i] as bigint).toString(16).padStart(16, '0')}`);
      hashes.set(key, d);
      hashedBytes += size;
      if (status === HashStatus.Changed) {
        warnings.push({
          code: 'changed-during-scan',
          part: part.spec.name,
          path: relPath(path),
          message: size !== entry.size ? `size changed while scanning (${entry.size} → ${size} bytes)` : 'file changed while scanning',
        });
        continue;
      }
      opts.cache?.record(part.spec.installDir, path, entry, d);
      opts.onHashed?.(abs, entry, d);
    }
  });
  const cacheStats = opts.cache?.save();

  const collisions: Collision[] = [];
  const modeWarnings: ModeWarning[] = [];
  for (const [path, list] of shared) {
    const pairs: PairCollision[] = [];
    const inPair = new Set<number>();
    let identicalModes: { part: PartName; mode: number }[] | undefined;
    for (let j = 1; j < list.length; j++) {
      for (let i = 0; i < j; i++) {
        const a = parts[list[i] as number] as PartScan;
        const b = parts[list[j] as number] as PartScan;
        const kind = await pairCollides(a, b, path, hashes, warnings);
        if (kind) {
          pairs.push({ parts: [a.spec.name, b.spec.name], kind });
          inPair.add(list[i] as number).add(list[j] as number);
        } else {
          const ea = a.entries.get(path) as Entry;
          const eb = b.entries.get(path) as Entry;
          if (ea.type === 'file' && eb.type === 'file' && ea.mode !== eb.mode) {
            identicalModes ??= [];
            for (const [p, e] of [[a, ea], [b, eb]] as const) {
              if (!identicalModes.some((m) => m.part === p.spec.name)) identicalModes.push({ part: p.spec.name, mode: e.mode });
            }
          }
        }
      }
    }
    if (pairs.length > 0) {
      collisions.push({
        path: relPath(path),
        parts: list.filter((i) => inPair.has(i)).map((i) => (parts[i] as PartScan).spec.name),
        pairs,
      });
    }
    if (identicalModes) modeWarnings.push({ path: relPath(path), modes: identicalModes });
  }
  collisions.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  modeWarnings.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  return {
    project,
    parts,
    collisions,
    modeWarnings,
    warnings,
    hashes,
    stats: { entries: total, sharedPaths: shared.length, hashedFiles: hashes.size, hashedBytes },
    ...(cacheStats ? { cache: cacheStats } : {}),
  };
}

/** craft-parts reads `.pc` files as text; undecodable bytes fall back to latin-1 so every byte still counts. */
const decodePc = (bytes: Uint8Array): string => decodePcText(bytes) ?? Buffer.from(bytes).toString('latin1');

/** craft-parts' `paths_collide` for one pair at one path, with the reason. */
async function pairCollides(
  a: PartScan,
  b: PartScan,
  path: string,
  hashes: Map<string, Digest>,
  warnings: ScanWarning[],
): Promise<CollisionKind | undefined> {
  const ea = a.entries.get(path);
  const eb = b.entries.get(path);
  // A path in the stage set but not on disk (a dangling parent link resolution) cannot collide.
  if (!ea || !eb) return undefined;
  let kind: CollisionKind | undefined;
  const next = entryTypesCollide(ea.type, eb.type, path);
  if (next.next === 'link-targets') {
    if (linkTargetsCollide(ea.linkTarget ?? '', eb.linkTarget ?? '')) kind = 'symlink';
  } else if (next.next === 'collide') {
    kind = 'type';
  } else if (next.next === 'pc-text' || next.next === 'bytes') {
    if (next.next === 'pc-text') {
      const [ta, tb] = await Promise.all([
        readFile(join(a.spec.installDir, path)),
        readFile(join(b.spec.installDir, path)),
      ]).catch((e: NodeJS.ErrnoException) => {
        throw new FsError(join(a.spec.installDir, path), `cannot read .pc file (${e.code ?? e.message})`);
      });
      if (pcFilesCollide(decodePc(ta), decodePc(tb))) kind = 'contents';
    } else if (ea.size !== eb.size) {
      kind = 'contents';
    } else if (!(ea.dev === eb.dev && ea.ino === eb.ino)) {
      const ha = hashes.get(hashKey(a.spec.name, path));
      const hb = hashes.get(hashKey(b.spec.name, path));
      if (ha === undefined || hb === undefined) {
        // Unreadable: craft-parts would fail; we cannot prove equality, so it collides.
        warnings.push({ code: 'unreadable', path: relPath(path), message: `could not compare ${path} in ${a.spec.name} and ${b.spec.name}` });
        kind = 'contents';
      } else if (ha !== hb) {
        kind = 'contents';
      }
    }
  }
  if (!kind && permissionsCollide(a.spec.permissions, b.spec.permissions, path)) kind = 'permissions';
  return kind;
}
