/**
 * plan(analysis): turn classified findings into actions. Benign conflicts get a rewrite that makes every
 * part's copy byte-identical (verified here, before anything is proposed); real conflicts get a proposal
 * only. Strategies and why each is safe: docs/plan.md.
 */
import picomatch from 'picomatch';
import type { Expect, FileOp } from '../apply/ops.js';
import { UsageError } from '../errors.js';
import { relPath, type Finding, type PartName, type Project, type RelPath } from '../model.js';
import type { Analysis } from '../run.js';
import {
  canonicalPyc,
  checkRuntimePrefix,
  isRecordPath,
  normaliseVenvText,
  pycSource,
  recordHashedPaths,
  regenerateRecordText,
  rewriteInstallPaths,
  runtimePath,
  venvFileKind,
} from './canonical.js';
import { parseHeader, PEP552_MAGIC } from '../python/pyc/header.js';
import { chooseInterpreters, compileCheckedHash, needKey, optimizationOf, untrustedDirsOf, userInterpreters, type CompileJob, type Compiled, type Interpreter, type Need } from './recompile.js';
import type { Action, Loser, Plan, PlanInterpreter, PlanOptions, Precondition, PycStrategy, Why } from './types.js';

/**
 * The run-time prefix when none is given: snaps are mounted at `/snap/<name>/current`, a rock's
 * staged tree is its root filesystem. Charms (unit-specific paths) and bare `--part` dirs have no
 * single answer, so they must say.
 */
export function defaultRuntimePrefix(project: Project): string {
  if (project.kind === 'snapcraft') {
    if (project.name === undefined) throw new UsageError('the snapcraft project has no name: give --runtime-prefix');
    return `/snap/${project.name}/current`;
  }
  if (project.kind === 'rockcraft') return '/';
  throw new UsageError(`no default run-time prefix for a ${project.kind === 'parts' ? '--part' : project.kind} project: give --runtime-prefix (e.g. / or /snap/NAME/current)`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const encode = (s: string): Uint8Array => new TextEncoder().encode(s);
const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;

class Planner {
  readonly actions: Action[] = [];
  /** New bytes per part and path, so RECORD regeneration hashes what the plan will leave. */
  readonly overlay = new Map<PartName, Map<string, Uint8Array>>();
  /** `--pyc recompile`: each part's new pyc (or why there is none), by part and path. */
  recompiled = new Map<string, Compiled & { interpreter?: Interpreter }>();
  private readonly installDirs: Map<PartName, string>;
  private readonly ownerMatchers: { match: (p: string) => boolean; part: string }[];

  constructor(
    readonly a: Analysis,
    readonly prefix: string,
    readonly pyc: PycStrategy,
    owners: { path: string; part: string }[],
    readonly propose: 'stage' | 'organize',
  ) {
    this.installDirs = new Map(a.project.parts.map((p) => [p.name, p.installDir]));
    this.ownerMatchers = owners.map((o) => ({ match: picomatch(o.path, { dot: true }), part: o.part }));
  }

  root(part: PartName): string {
    const d = this.installDirs.get(part);
    if (d === undefined) throw new UsageError(`unknown part ${part}`);
    return d;
  }

  owner(path: string, parts: readonly PartName[]): PartName {
    for (const o of this.ownerMatchers) if (o.match(path) && parts.includes(o.part as PartName)) return o.part as PartName;
    const first = parts[0];
    if (first === undefined) throw new UsageError(`${path}: a finding without parts`);
    return first;
  }

  async expect(part: PartName, path: string): Promise<Expect> {
    const e = this.a.source.entry(part, path);
    if (e === undefined) return { type: 'absent' };
    if (e.type === 'symlink') return { type: 'symlink', target: e.linkTarget ?? '' };
    const digest = await this.a.source.digest(part, path);
    return { type: 'file', size: e.size, digest, mode: e.mode };
  }

  async read(part: PartName, path: string): Promise<Uint8Array> {
    return this.overlay.get(part)?.get(path) ?? (await this.a.source.read(part, path));
  }

  isFile(part: PartName, path: string): boolean {
    return this.a.source.entry(part, path)?.type === 'file';
  }

  async write(part: PartName, path: string, contents: Uint8Array, why: string): Promise<FileOp> {
    let m = this.overlay.get(part);
    if (!m) this.overlay.set(part, (m = new Map()));
    m.set(path, contents);
    return { op: 'write', part, root: this.root(part), path: relPath(path), contents, expect: await this.expect(part, path), why };
  }

  async remove(part: PartName, path: string, why: string): Promise<FileOp> {
    return { op: 'remove', part, root: this.root(part), path: relPath(path), expect: await this.expect(part, path), why };
  }

  push(action: Action): void {
    this.actions.push(action);
  }
}

const whyOf = (f: Finding): Why => ({ rule: f.rule, messageId: f.messageId, verdict: f.verdict, reason: f.reason });
const preconds = (ops: FileOp[]): Precondition[] => ops.map((o) => ({ part: o.part, path: o.path, expect: o.expect }));

/**
 * Per-part new bytes for a benign finding; when every part's result is identical, writes where it
 * differs from what is there. Otherwise (or when a part cannot be transformed) every part gets the
 * owner's copy (its transformed bytes when it has them): `keep-one-copy`, with the reason in `note`.
 */
async function converge(
  pl: Planner,
  f: Finding,
  transform: (part: PartName, bytes: Uint8Array) => Promise<Uint8Array>,
  make: (base: { path: RelPath; parts: PartName[]; why: Why; preconditions: Precondition[]; ops: FileOp[]; note?: string }) => Action,
  label: string,
): Promise<void> {
  const outs = new Map<PartName, Uint8Array>();
  const olds = new Map<PartName, Uint8Array>();
  const failures: string[] = [];
  for (const p of f.parts) {
    if (!pl.isFile(p, f.path)) {
      failures.push(`${p}: not a regular file`);
      continue;
    }
    const old = await pl.read(p, f.path);
    olds.set(p, old);
    try {
      outs.set(p, await transform(p, old));
    } catch (e) {
      failures.push(`${p}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const vals = [...outs.values()];
  const first = vals[0];
  const ops: FileOp[] = [];
  const base = { path: f.path, parts: f.parts, why: whyOf(f) };
  if (failures.length === 0 && first !== undefined && vals.every((v) => equal(v, first))) {
    for (const p of f.parts) {
      const old = olds.get(p);
      if (old !== undefined && !equal(old, first)) ops.push(await pl.write(p, f.path, first, `${label} (${f.rule})`));
    }
    pl.push(make({ ...base, preconditions: preconds(ops), ops }));
    return;
  }
  const owner = pl.owner(f.path, f.parts);
  const keep = outs.get(owner) ?? olds.get(owner);
  const why = failures.length > 0 ? `could not ${label} in every part (${failures.join('; ')})` : `the ${label} copies still differ`;
  if (keep === undefined) {
    pl.push({ ...base, kind: 'keep-one-copy', owner, preconditions: [], ops: [], note: `${why}; the owner ${owner} has no readable copy, nothing done` });
    return;
  }
  for (const p of f.parts) {
    const old = olds.get(p);
    if (old !== undefined && !equal(old, keep)) ops.push(await pl.write(p, f.path, keep, `copy of ${owner}'s ${f.path} (${f.rule})`));
  }
  pl.push({ ...base, kind: 'keep-one-copy', owner, preconditions: preconds(ops), ops, note: `${why}: every part gets ${owner}'s copy` });
}

async function planPyc(pl: Planner, f: Finding): Promise<void> {
  const src = pycSource(f.path);
  if (pl.pyc === 'drop') {
    const ops = await Promise.all(f.parts.filter((p) => pl.isFile(p, f.path)).map((p) => pl.remove(p, f.path, 'drop conflicting bytecode')));
    pl.push({
      kind: 'drop-pyc',
      path: f.path,
      parts: f.parts,
      why: whyOf(f),
      preconditions: preconds(ops),
      ops,
      note: 'the module compiles from source on every start (in a read-only snap nothing is cached)',
    });
    return;
  }
  const filename = src === undefined ? '' : runtimePath(pl.prefix, src);
  if (pl.pyc === 'recompile') {
    const used = new Map<PartName, Interpreter>();
    await converge(
      pl,
      f,
      async (p) => {
        const r = pl.recompiled.get(pycKey(p, f.path));
        if (r === undefined) throw new UsageError('not recompiled');
        if (!r.ok) throw new UsageError(r.error);
        if (r.interpreter) used.set(p, r.interpreter);
        return r.bytes;
      },
      (b) => ({ ...b, kind: 'recompile-pyc', runtimeFilename: filename, interpreters: [...used].map(([part, i]) => ({ part, exe: i.exe, version: i.version })) }),
      'recompile',
    );
    return;
  }
  await converge(
    pl,
    f,
    async (p, bytes) => {
      if (src === undefined) throw new UsageError('not a __pycache__ pyc');
      if (!pl.isFile(p, src)) throw new UsageError(`no source ${src}`);
      const e = pl.a.source.entry(p, src);
      return canonicalPyc({ pyc: bytes, source: await pl.read(p, src), sourceMtimeNs: e?.mtimeNs ?? 0n, path: f.path }, pl.prefix);
    },
    (b) => ({ ...b, kind: 'rewrite-pyc', runtimeFilename: filename }),
    'canonical pyc rewrite',
  );
}

const pycKey = (part: PartName, path: string): string => `${part}\0${path}`;

/**
 * `--pyc recompile`, ahead of planning: every part's copy of every benign pyc conflict compiled by the
 * interpreter chosen for its magic (chooseInterpreters), one process per part and interpreter. What
 * cannot be recompiled (3.6, no source, an unknown `.opt-` tag) is kept with its reason, which the
 * action's fallback note then names. Returns the interpreters used, for the plan's summary.
 */
async function recompileAll(pl: Planner, findings: readonly Finding[], pythons: readonly string[]): Promise<PlanInterpreter[]> {
  const user = await userInterpreters(pythons);
  const jobs: (CompileJob & { part: PartName; magic: number })[] = [];
  const fail = (p: PartName, path: string, error: string): void => void pl.recompiled.set(pycKey(p, path), { ok: false, error });
  for (const f of findings) {
    const src = pycSource(f.path);
    for (const p of f.parts) {
      if (!pl.isFile(p, f.path)) continue;
      if (src === undefined || !pl.isFile(p, src)) {
        fail(p, f.path, `no source ${src ?? 'beside it (not a __pycache__ pyc)'}`);
        continue;
      }
      const h = parseHeader(await pl.read(p, f.path));
      const optimize = optimizationOf(f.path);
      if (!h.ok) fail(p, f.path, `unreadable pyc header (${h.reason})`);
      else if (h.header.magic < PEP552_MAGIC) fail(p, f.path, `Python ${h.header.version.known ? h.header.version.label : '?'} has no hash-based pycs, so its copies cannot agree`);
      else if (optimize === undefined) fail(p, f.path, 'an optimisation tag py_compile cannot write');
      else jobs.push({ part: p, magic: h.header.magic, sourcePath: src, pycPath: f.path, source: await pl.read(p, src), dfile: runtimePath(pl.prefix, src), optimize });
    }
  }
  const needs: Need[] = [];
  for (const j of jobs) if (!needs.some((n) => n.part === j.part && n.magic === j.magic)) needs.push({ part: j.part, installDir: pl.root(j.part), magic: j.magic });
  const chosen = await chooseInterpreters(needs, user, await untrustedDirsOf(pl.a.project.parts.map((s) => s.installDir)));
  const batches = new Map<string, { part: PartName; it: Interpreter; jobs: typeof jobs }>();
  for (const j of jobs) {
    const it = chosen.get(needKey(j.part, j.magic));
    if (it === undefined) continue;
    const key = `${j.part}\0${it.exe}`;
    const b = batches.get(key) ?? { part: j.part, it, jobs: [] };
    b.jobs.push(j);
    batches.set(key, b);
  }
  const used: PlanInterpreter[] = [];
  for (const { part, it, jobs: batch } of batches.values()) {
    const res = await compileCheckedHash(it, batch);
    for (const [i, j] of batch.entries()) pl.recompiled.set(pycKey(j.part, j.pycPath), { ...(res[i] ?? { ok: false, error: 'no result' }), interpreter: it });
    const u = used.find((x) => x.exe === it.exe);
    if (u) u.parts.push(part);
    else used.push({ exe: it.exe, version: it.version, from: it.from, parts: [part] });
  }
  return used;
}

async function planText(pl: Planner, f: Finding, kind: 'venv' | 'build-path'): Promise<void> {
  const vf = venvFileKind(f.path);
  await converge(
    pl,
    f,
    async (p, bytes) => {
      const text = utf8.decode(bytes);
      const dirs = [pl.root(p)];
      return encode(kind === 'venv' ? normaliseVenvText(text, f.path, p, dirs, pl.prefix) : rewriteInstallPaths(text, p, dirs, pl.prefix));
    },
    (b) => (kind === 'venv' ? { ...b, kind: 'normalise-venv-file', file: vf ?? 'activate' } : { ...b, kind: 'rewrite-build-paths' }),
    kind === 'venv' ? 'venv normal form' : 'build-path rewrite',
  );
}

async function planSymlink(pl: Planner, f: Finding): Promise<void> {
  const owner = pl.owner(f.path, f.parts);
  const target = pl.a.source.entry(owner, f.path)?.linkTarget;
  const ops: FileOp[] = [];
  if (target !== undefined) {
    for (const p of f.parts) {
      const e = pl.a.source.entry(p, f.path);
      if (e?.type === 'symlink' && e.linkTarget !== target) {
        ops.push({ op: 'symlink', part: p, root: pl.root(p), path: f.path, target, expect: await pl.expect(p, f.path), why: `same spelling as ${owner}'s link` });
      }
    }
  }
  pl.push({ kind: 'relink-symlink', path: f.path, parts: f.parts, why: whyOf(f), target: target ?? '', preconditions: preconds(ops), ops, ...(target === undefined ? { note: `${owner}'s copy is not a symlink; nothing done` } : {}) });
}

async function planReal(pl: Planner, f: Finding): Promise<void> {
  const owner = pl.owner(f.path, f.parts);
  const losers: Loser[] = [];
  const pre: Precondition[] = [];
  for (const p of f.parts) {
    const e = pl.a.source.entry(p, f.path);
    const expect = await pl.expect(p, f.path);
    pre.push({ part: p, path: f.path, expect });
    if (p === owner || e === undefined) continue;
    losers.push({
      part: p,
      stageEntry: `-${f.path}`,
      loses: { type: e.type, ...(expect.type === 'file' ? { size: expect.size, digest: expect.digest } : {}), ...(e.linkTarget !== undefined ? { target: e.linkTarget } : {}) },
    });
  }
  const base = { path: f.path, parts: f.parts, why: whyOf(f), preconditions: pre, ops: [] as FileOp[], owner };
  if (pl.propose === 'organize') {
    pl.push({ ...base, kind: 'propose-organize', losers: losers.map((l) => ({ ...l, organizeTo: `stagefix-displaced/${l.part}/${f.path}` })), note: 'the losing copies stay in the build, moved aside where nothing looks for them' });
  } else pl.push({ ...base, kind: 'propose-stage-exclusion', losers });
}

/**
 * RECORDs last, from the files as the plan leaves them (order and line ending kept): every RECORD in
 * every part, so each hash matches its file (the python plugin's shebang rewrite leaves script rows
 * stale). Copies that several parts ship identically are rewritten only when the results are still
 * identical (no new conflict); a benign RECORD conflict is regenerated in each part that ships it; a
 * real one only where the plan rewrites a file it lists (never for its own sake).
 */
async function planRecords(pl: Planner, benignRecords: Finding[], realPaths: Set<string>): Promise<void> {
  const benign = new Map(benignRecords.map((f) => [f.path as string, f]));
  const shippers = new Map<string, PartName[]>();
  for (const p of pl.a.scan.parts) {
    for (const [path, e] of p.entries) if (e.type === 'file' && isRecordPath(path)) shippers.set(path, [...(shippers.get(path) ?? []), p.spec.name]);
  }
  for (const [path, all] of [...shippers].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const finding = benign.get(path);
    const lookups = new Map<PartName, (rel: string) => Uint8Array | 'missing'>();
    const news = new Map<PartName, string>();
    const olds = new Map<PartName, Uint8Array>();
    const forced = new Set<PartName>();
    for (const p of all) {
      const old = await pl.read(p, path);
      olds.set(p, old);
      const text = utf8.decode(old);
      const files = new Map<string, Uint8Array>();
      const changed = pl.overlay.get(p);
      for (const rel of recordHashedPaths(text, path)) {
        if (pl.isFile(p, rel)) files.set(rel, await pl.read(p, rel));
        if (changed?.has(rel)) forced.add(p);
      }
      const lookup = (rel: string): Uint8Array | 'missing' => files.get(rel) ?? 'missing';
      lookups.set(p, lookup);
      news.set(p, regenerateRecordText(text, path, lookup).text);
    }
    const staged = all.filter((p) => pl.a.scan.parts.find((s) => s.spec.name === p)?.staged.has(path));
    let parts: PartName[];
    let note: string | undefined;
    if (realPaths.has(path)) parts = all.filter((p) => forced.has(p));
    else if (finding !== undefined) {
      parts = all;
      const owner = pl.owner(path, finding.parts);
      const ownerText = news.get(owner);
      // Rows in another order: the owner's regenerated RECORD goes to a part only when it is also exactly
      // right for that part's files.
      if (ownerText !== undefined && new Set(finding.parts.map((p) => news.get(p))).size > 1) {
        const fitsAll = finding.parts.every((p) => {
          const lookup = lookups.get(p);
          return lookup !== undefined && regenerateRecordText(ownerText, path, lookup).text === ownerText;
        });
        if (fitsAll) {
          for (const p of finding.parts) news.set(p, ownerText);
          note = `rows differ in order between parts; every part gets ${owner}'s regenerated RECORD (checked against its own files)`;
        } else note = 'regenerated copies still differ between parts; each part keeps its own, correct RECORD';
      }
    } else if (staged.length > 1 && new Set(staged.map((p) => news.get(p))).size > 1) {
      // Identical today, different once regenerated: the listed files differ (a conflict reported
      // elsewhere). Rewrite only the parts that must follow a rewrite.
      parts = all.filter((p) => forced.has(p));
      if (parts.length > 0) note = 'regenerated copies would differ between parts; only the parts whose listed files this plan rewrites are regenerated';
    } else parts = all;
    const ops: FileOp[] = [];
    for (const p of parts) {
      const next = encode(news.get(p) ?? '');
      const old = olds.get(p);
      if (old !== undefined && !equal(old, next)) ops.push(await pl.write(p, path, next, 'RECORD regenerated from the files on disk'));
    }
    if (ops.length === 0 && note === undefined && finding === undefined) continue;
    const why: Why = finding ? whyOf(finding) : { rule: 'pip-record', messageId: 'stale-rows', verdict: 'benign', reason: 'RECORD rows that do not match the files (or files this plan rewrites)' };
    pl.push({ kind: 'regenerate-record', path: relPath(path), parts: all, why, preconditions: preconds(ops), ops, ...(note !== undefined ? { note } : {}) });
  }
}

export async function plan(analysis: Analysis, options: PlanOptions = {}): Promise<Plan> {
  const pycStrategy = options.pyc ?? 'rewrite';
  const prefix = checkRuntimePrefix(options.runtimePrefix ?? defaultRuntimePrefix(analysis.project));
  const known = new Set(analysis.project.parts.map((p) => p.name as string));
  for (const o of options.owners ?? []) if (!known.has(o.part)) throw new UsageError(`owner ${o.path}=${o.part}: no part named ${JSON.stringify(o.part)}`);
  const pl = new Planner(analysis, prefix, pycStrategy, options.owners ?? [], options.propose ?? 'stage');
  const findings = analysis.report.findings.filter((f) => f.kind !== 'environment');
  const realPaths = new Set(findings.filter((f) => f.verdict === 'real').map((f) => f.path as string));
  const records: Finding[] = [];
  const interpreters =
    pycStrategy === 'recompile'
      ? await recompileAll(pl, findings.filter((f) => f.verdict === 'benign' && f.rule === 'python-bytecode'), options.pythons ?? [])
      : undefined;
  for (const f of findings) {
    if (f.verdict === 'real') await planReal(pl, f);
    else if (f.rule === 'pip-record') records.push(f);
    else if (f.rule === 'python-bytecode') await planPyc(pl, f);
    else if (f.rule === 'venv-scaffolding') await planText(pl, f, 'venv');
    else if (f.rule === 'build-path') await planText(pl, f, 'build-path');
    else if (f.rule === 'symlink') await planSymlink(pl, f);
    else await converge(pl, f, async (_p, b) => b, (b) => ({ ...b, kind: 'keep-one-copy', owner: pl.owner(f.path, f.parts) }), 'copy');
  }
  await planRecords(pl, records, realPaths);
  const p = analysis.project;
  const actions = pl.actions;
  const benign = findings.filter((f) => f.verdict === 'benign');
  const unresolved = actions.filter((a) => a.why.verdict === 'benign' && a.ops.length === 0 && a.note !== undefined).length;
  return {
    schemaVersion: 1,
    project: { kind: p.kind, root: p.root, ...(p.file !== undefined ? { file: p.file } : {}), ...(p.name !== undefined ? { name: p.name } : {}) },
    runtimePrefix: prefix,
    pyc: pycStrategy,
    ...(interpreters !== undefined ? { interpreters } : {}),
    parts: p.parts.map((s) => ({ name: s.name, installDir: s.installDir, ...(s.stage !== undefined ? { stage: s.stage } : {}), organize: s.organize })),
    actions,
    summary: { benignFindings: benign.length, realFindings: findings.length - benign.length, unresolvedBenign: unresolved, fileOps: actions.reduce((n, a) => n + a.ops.length, 0), environmentFindings: analysis.report.findings.length - findings.length },
  };
}
