/**
 * `stagefix hook`: run in a part's override-build after `craftctl default`. It canonicalises this one
 * install dir (pycs, venv scaffolding, RECORDs) into forms that depend only on the file contents and the
 * run-time prefix, so parts that each run it converge without seeing each other (docs/hook.md).
 */
import { constants, promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { FormatError, FsError, UsageError } from '../errors.js';
import { checkAgainstSource, parseHeader } from '../python/pyc/index.js';
import {
  canonicalPyc,
  checkRuntimePrefix,
  isRecordPath,
  normaliseVenvText,
  pycSource,
  recordHashedPaths,
  regenerateRecordText,
  venvFileKind,
} from '../plan/canonical.js';

export interface HookOptions {
  installDir: string;
  partName: string;
  /** Used for the default run-time prefix `/snap/<name>/current`. */
  projectName?: string;
  runtimePrefix?: string;
}

export interface HookResult {
  part: string;
  installDir: string;
  runtimePrefix: string;
  /** `stale`: pycs whose header does not validate against their source after the rewrite (a bug). */
  pyc: { rewritten: number; unchanged: number; skipped: string[]; stale: string[] };
  venv: { rewritten: number; unchanged: number };
  record: { rewritten: number; unchanged: number; mismatched: string[] };
}

/** The hook's inputs from craft's build environment (core22+: CRAFT_*, core20: SNAPCRAFT_*). */
export function hookOptionsFromEnv(env: NodeJS.ProcessEnv, flags: { runtimePrefix?: string; installDir?: string; partName?: string; projectName?: string } = {}): HookOptions {
  const pick = (flag: string | undefined, ...names: string[]): string | undefined => flag ?? names.map((n) => env[n]).find((v) => v !== undefined && v !== '');
  const installDir = pick(flags.installDir, 'CRAFT_PART_INSTALL', 'SNAPCRAFT_PART_INSTALL');
  const partName = pick(flags.partName, 'CRAFT_PART_NAME', 'SNAPCRAFT_PART_NAME');
  const projectName = pick(flags.projectName, 'CRAFT_PROJECT_NAME', 'SNAPCRAFT_PROJECT_NAME');
  if (installDir === undefined) throw new UsageError('CRAFT_PART_INSTALL (or SNAPCRAFT_PART_INSTALL) is not set: run the hook from a part\'s override-build, or give --install DIR');
  if (partName === undefined) throw new UsageError('CRAFT_PART_NAME (or SNAPCRAFT_PART_NAME) is not set: give --part-name NAME');
  if (flags.runtimePrefix === undefined && projectName === undefined) throw new UsageError('CRAFT_PROJECT_NAME is not set: give --runtime-prefix (/snap/NAME/current for a snap, / for a rock)');
  return { installDir, partName, ...(projectName !== undefined ? { projectName } : {}), ...(flags.runtimePrefix !== undefined ? { runtimePrefix: flags.runtimePrefix } : {}) };
}

/** Regular files below `root`, install-relative; never descends through a symlink. */
async function listFiles(root: string): Promise<Map<string, { mode: number; mtimeNs: bigint }>> {
  const out = new Map<string, { mode: number; mtimeNs: bigint }>();
  async function walk(rel: string): Promise<void> {
    const names = (await fsp.readdir(rel === '' ? root : join(root, rel))).sort();
    for (const name of names) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const st = await fsp.lstat(join(root, r), { bigint: true });
      if (st.isDirectory()) await walk(r);
      else if (st.isFile()) out.set(r, { mode: Number(st.mode & 0o7777n), mtimeNs: st.mtimeNs });
    }
  }
  await walk('');
  return out;
}

async function readNoFollow(path: string): Promise<Uint8Array> {
  const fh = await fsp.open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

/** Write beside and rename over, keeping the old mode: a reader never sees half a file. */
async function replaceFile(path: string, contents: Uint8Array, mode: number): Promise<void> {
  const tmp = join(dirname(path), `.stagefix-hook-${randomBytes(6).toString('hex')}.tmp`);
  try {
    await fsp.writeFile(tmp, contents, { flag: 'wx', mode });
    await fsp.chmod(tmp, mode);
    await fsp.rename(tmp, path);
  } catch (e) {
    await fsp.unlink(tmp).catch(() => undefined);
    throw new FsError(path, `cannot replace (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

const equal = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export async function runHook(opts: HookOptions): Promise<HookResult> {
  const root = opts.installDir;
  const st = await fsp.stat(root).catch(() => undefined);
  if (!st?.isDirectory()) throw new FsError(root, 'the part install dir does not exist');
  const prefix = checkRuntimePrefix(opts.runtimePrefix ?? `/snap/${opts.projectName ?? ''}/current`);
  const res: HookResult = {
    part: opts.partName,
    installDir: root,
    runtimePrefix: prefix,
    pyc: { rewritten: 0, unchanged: 0, skipped: [], stale: [] },
    venv: { rewritten: 0, unchanged: 0 },
    record: { rewritten: 0, unchanged: 0, mismatched: [] },
  };
  const files = await listFiles(root);
  for (const [rel, info] of files) {
    if (!rel.endsWith('.pyc')) continue;
    const src = pycSource(rel);
    const srcInfo = src === undefined ? undefined : files.get(src);
    if (src === undefined || srcInfo === undefined) {
      res.pyc.skipped.push(`${rel}: no source`);
      continue;
    }
    const old = await readNoFollow(join(root, rel));
    let next: Uint8Array;
    const source = await readNoFollow(join(root, src));
    try {
      next = canonicalPyc({ pyc: old, source, sourceMtimeNs: srcInfo.mtimeNs, path: rel }, prefix);
    } catch (e) {
      // A pyc the engine cannot read is left as it is: not this hook's to judge, and not an error.
      if (e instanceof FormatError || e instanceof UsageError) {
        res.pyc.skipped.push(`${rel}: ${e.message}`);
        continue;
      }
      throw e;
    }
    // Verify as importlib will: the header must validate against the source next to it.
    const h = parseHeader(next);
    if (!h.ok || checkAgainstSource(h.header, { bytes: source, size: source.length, mtimeNs: srcInfo.mtimeNs }).status !== 'valid') {
      res.pyc.stale.push(rel);
      continue;
    }
    if (equal(old, next)) res.pyc.unchanged++;
    else {
      await replaceFile(join(root, rel), next, info.mode);
      res.pyc.rewritten++;
    }
  }
  for (const [rel, info] of files) {
    if (venvFileKind(rel) === undefined) continue;
    const old = await readNoFollow(join(root, rel));
    let text: string;
    try {
      text = utf8.decode(old);
    } catch {
      continue;
    }
    const next = new TextEncoder().encode(normaliseVenvText(text, rel, opts.partName, [root], prefix));
    if (equal(old, next)) res.venv.unchanged++;
    else {
      await replaceFile(join(root, rel), next, info.mode);
      res.venv.rewritten++;
    }
  }
  // RECORDs last, so they hash the bytes the steps above left.
  for (const [rel, info] of files) {
    if (!isRecordPath(rel)) continue;
    const old = await readNoFollow(join(root, rel));
    const text = utf8.decode(old);
    const lookup = await lookupFor(root, files, text, rel);
    const next = regenerateRecordText(text, rel, lookup).text;
    const bytes = new TextEncoder().encode(next);
    if (equal(old, bytes)) res.record.unchanged++;
    else {
      await replaceFile(join(root, rel), bytes, info.mode);
      res.record.rewritten++;
    }
    // Verify: a second regeneration from the files on disk now changes nothing.
    const again = regenerateRecordText(next, rel, await lookupFor(root, files, next, rel));
    if (again.changed.length > 0) res.record.mismatched.push(`${rel}: ${again.changed.join(', ')}`);
  }
  return res;
}

async function lookupFor(root: string, files: Map<string, unknown>, text: string, rel: string): Promise<(p: string) => Uint8Array | 'missing'> {
  const bytes = new Map<string, Uint8Array>();
  for (const p of recordHashedPaths(text, rel)) if (files.has(p)) bytes.set(p, await readNoFollow(join(root, p)));
  return (p) => bytes.get(p) ?? 'missing';
}

/** The one summary line the hook prints. */
export function hookSummary(r: HookResult): string {
  const skipped = r.pyc.skipped.length > 0 ? `, ${r.pyc.skipped.length} left as they are` : '';
  const problems = [...r.pyc.stale.map((p) => `${p}: would be stale`), ...r.record.mismatched];
  const verified = problems.length === 0 ? 'pycs and RECORDs verified' : `verification failed: ${problems.join('; ')}`;
  return `stagefix hook: part ${r.part}: ${r.pyc.rewritten} pyc rewritten (${r.pyc.unchanged} already canonical${skipped}), ${r.venv.rewritten} venv file(s) and ${r.record.rewritten} RECORD(s) rewritten for ${r.runtimePrefix}; ${verified}\n`;
}

