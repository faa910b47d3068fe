/**
 * The performance benchmark of issue 6. Not part of `npm test`:
 *
 *   npx tsx bench/run.ts [--reps N] [--only copies,mixed,scale,startup] [--no-write]
 *
 * Builds the projects once (bench/projects.ts, cached in bench/.work/), builds stagefix (`npm run build`), warms
 * the page cache, then measures with several repetitions and takes the median of each:
 *   floor     walk every part (`find`) and read once every regular file sharing a path with another
 *             part (`xargs cat`), one stream: the work no content check can avoid; and the same reads
 *             alone, one thread per core, in C (bench/read-floor.c): the least any checker could cost;
 *   baselines two byte-compare checks: `cmp` for every pair of parts that ship a regular file at a shared
 *             path (a process per pair, as a shell script does it; one run, it is slow), and `diff -rq`
 *             for every pair of parts (a process per pair of trees);
 *   craft     craft-parts' own check as test/oracle/craft_collisions.py re-implements it (pathlib stage
 *             sets, `filecmp.cmp` for every pair, CPython 3.12 as snapcraft 8 runs it); one run, it is slow;
 *   stat walk `find -printf '%s %T@ %i'` over the same parts (what a cached run cannot avoid);
 *   report    `stagefix report --quiet`, cold (no cache) and warm (second run with a cache: an unchanged
 *             project's report is reused); warm with one file touched before each run (its status
 *             changes, so the report is analysed again with the digest cache: what a run after a small
 *             change costs); warm with the JavaScript walk (`STAGEFIX_NATIVE=0`, no report reuse) when
 *             the C walker was built;
 * and `report` on 2, 3, 4 and 6 copies to show how the cost grows; and start-up (`--only startup`): the
 * CLI on the bundled example with and without V8's code cache (src/cli/boot.ts; `STAGEFIX_CODE_CACHE=0`),
 * alternating, against Node's own start (`node -e 0`). Wall time and peak RSS
 * (`/usr/bin/time`), ratios to the floor and the baselines; the table goes into docs/performance.md
 * between the bench markers.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { buildProject, PROJECTS, pyenvPython, REPO, WORK, type BenchProject } from './projects.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const REPS = Number(flag('--reps') ?? 5);
const ONLY = (flag('--only') ?? 'copies,mixed,scale,startup').split(',');
const WRITE = !args.includes('--no-write');
const log = (s: string): void => void process.stderr.write(`${s}\n`);

interface Sample {
  wallS: number;
  rssMB: number;
  /** user + system CPU seconds: steadier than wall time on a shared machine. */
  cpuS: number;
}

function run(cmd: string): Sample & { stdout: string; stderr: string } {
  const out = join(WORK, 'time.txt');
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-o', out, '-f', '%M %U %S', 'bash', '-c', cmd], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const wallS = (performance.now() - t0) / 1000;
  // diff exits 1 when trees differ and report may exit 1 on conflicts; only >1 is a failure.
  if (r.status === null || r.status > 1) throw new Error(`${cmd}: exit ${r.status ?? r.signal}\n${r.stderr}`);
  const [rssKB, user, sys] = (readFileSync(out, 'utf8').trim().split('\n').pop() ?? '').split(' ').map(Number);
  return { wallS, rssMB: (rssKB ?? 0) / 1024, cpuS: (user ?? 0) + (sys ?? 0), stdout: r.stdout, stderr: r.stderr };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function summarise(label: string, xs: Sample[]): Sample {
  const s = { wallS: median(xs.map((x) => x.wallS)), rssMB: median(xs.map((x) => x.rssMB)), cpuS: median(xs.map((x) => x.cpuS)) };
  log(`  ${label.padEnd(28)} ${s.wallS.toFixed(2)} s  cpu ${s.cpuS.toFixed(2)} s  ${s.rssMB.toFixed(0)} MB  (${xs.map((x) => x.wallS.toFixed(2)).join(' ')})  load ${loadavg()[0]?.toFixed(1)}`);
  return s;
}

function measure(label: string, cmd: string, reps = REPS): Sample {
  const xs: Sample[] = [];
  for (let i = 0; i < reps; i++) xs.push(run(cmd));
  return summarise(label, xs);
}

/** Two commands run in turn, `reps` times each: a drift in the machine's load falls on both alike. */
function measureInTurn(labels: [string, string], cmds: [string, string], reps: number): [Sample, Sample] {
  const xs: [Sample[], Sample[]] = [[], []];
  for (let i = 0; i < reps; i++) for (const k of [0, 1] as const) xs[k].push(run(cmds[k]));
  return [summarise(labels[0], xs[0]), summarise(labels[1], xs[1])];
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

interface Tree {
  installs: string[];
  entries: number;
  bytes: number;
  sharedFiles: number;
  sharedBytes: number;
  listFile: string;
  /** NUL-separated file pairs: both parts' files, for every pair of parts sharing a regular file's path. */
  pairsFile: string;
  pairs: number;
}

/** Every part's listing, and the NUL-separated list of regular files that share a path with another part. */
function survey(name: string, installs: string[]): Tree {
  const byPath = new Map<string, number[]>();
  let entries = 0;
  let bytes = 0;
  const sizes: Map<string, number>[] = [];
  installs.forEach((dir, i) => {
    const r = spawnSync('find', [dir, '-mindepth', '1', '-printf', '%y %s %P\\0'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const m = new Map<string, number>();
    for (const rec of r.stdout.split('\0')) {
      if (!rec) continue;
      entries++;
      const [type, size] = rec.split(' ', 2);
      const path = rec.slice((type as string).length + (size as string).length + 2);
      if (type !== 'f') continue;
      bytes += Number(size);
      m.set(path, Number(size));
      const l = byPath.get(path);
      if (l) l.push(i);
      else byPath.set(path, [i]);
    }
    sizes.push(m);
  });
  const list: string[] = [];
  const pairs: string[] = [];
  let sharedBytes = 0;
  for (const [path, parts] of byPath) {
    if (parts.length < 2) continue;
    for (const i of parts) {
      list.push(join(installs[i] as string, path));
      sharedBytes += sizes[i]?.get(path) ?? 0;
    }
    parts.forEach((i, k) => parts.slice(k + 1).forEach((j) => pairs.push(join(installs[i] as string, path), join(installs[j] as string, path))));
  }
  const listFile = join(WORK, `${name}.shared`);
  writeFileSync(listFile, list.join('\0'));
  const pairsFile = join(WORK, `${name}.pairs`);
  writeFileSync(pairsFile, pairs.join('\0'));
  return { installs, entries, bytes, sharedFiles: list.length, sharedBytes, listFile, pairsFile, pairs: pairs.length / 2 };
}

function ensureTime(): void {
  if (existsSync('/usr/bin/time')) return;
  log('installing GNU time');
  spawnSync('apt-get', ['install', '-y', 'time'], { stdio: 'inherit' });
}

/** A project file naming the first `n` parts of `p`, parts read from `p`'s parts dir. */
function subset(p: BenchProject, n: number): string {
  const dir = join(WORK, `${p.name}-${n}`);
  mkdirSync(dir, { recursive: true });
  const yaml = [`name: bench-${p.name}-${n}`, 'base: core24', 'confinement: strict', 'parts:']
    .concat(p.parts.slice(0, n).flatMap((r) => [`  ${r.name}:`, '    plugin: python', '    source: .']))
    .join('\n');
  writeFileSync(join(dir, 'snapcraft.yaml'), `${yaml}\n`);
  return dir;
}

const CACHE = join(WORK, 'cache');
const cli = `node ${q(join(REPO, 'bin', 'stagefix.js'))} report --quiet`;
function reportCommands(projectDir: string, partsDir?: string): { cold: string; warm: string } {
  const pd = partsDir ? ` --parts-dir ${q(partsDir)}` : '';
  return {
    cold: `${cli} --no-cache ${q(projectDir)}${pd} > /dev/null`,
    warm: `${cli} --cache-dir ${q(CACHE)} ${q(projectDir)}${pd} > /dev/null`,
  };
}

/** craft-parts' own check, as `test/oracle/craft_collisions.py` re-implements it (filecmp, every pair). */
const ORACLE = join(REPO, 'test', 'oracle', 'craft_collisions.py');

interface Row {
  tree: string;
  what: string;
  s: Sample;
  floor?: number;
  cmp?: number;
  baseline?: number;
  craft?: number;
  stat?: number;
}
const rows: Row[] = [];
const scaleRows: { copies: number; entries: number; gb: number; s: Sample }[] = [];
const trees: { name: string; t: Tree; parts: number }[] = [];

function benchTree(p: BenchProject): void {
  const installs = p.parts.map((r) => join(p.dir, 'parts', r.name, 'install'));
  const t = survey(p.name, installs);
  trees.push({ name: p.name, t, parts: installs.length });
  log(`${p.name}: ${installs.length} parts, ${t.entries} entries, ${(t.bytes / 1e9).toFixed(2)} GB; shared: ${t.sharedFiles} files, ${(t.sharedBytes / 1e9).toFixed(2)} GB`);
  const dirs = installs.map(q).join(' ');
  const floorCmd = `find ${dirs} > /dev/null && xargs -0 cat < ${q(t.listFile)} > /dev/null`;
  const statCmd = `find ${dirs} -printf '%s %T@ %i\\n' > /dev/null`;
  const pairs: string[] = [];
  installs.forEach((a, i) => installs.slice(i + 1).forEach((b) => pairs.push(`diff -rq --no-dereference ${q(a)} ${q(b)} > /dev/null`)));
  const baselineCmd = `${pairs.join('; ')}; true`;
  // cmp exits 1 on a difference; xargs carries on and exits 123 at the end.
  const cmpCmd = `xargs -0 -n2 cmp -s < ${q(t.pairsFile)} > /dev/null; true`;
  // The oracle reads parts from JSON (it would need PyYAML for the project file).
  const partsJson = join(WORK, `${p.name}.parts.json`);
  writeFileSync(partsJson, JSON.stringify(p.parts.map((r, i) => ({ name: r.name, installDir: installs[i], stage: ['*'], permissions: [], after: [] }))));
  const craftCmd = `${q(pyenvPython('3.12'))} ${q(ORACLE)} ${q(p.dir)} --parts-json ${q(partsJson)} > /dev/null`;
  const { cold, warm } = reportCommands(p.dir);

  log('  warming the page cache');
  run(floorCmd);
  run(cold);
  const floor = measure('floor (find + cat)', floorCmd);
  const readFloor = READ_FLOOR ? measure(`read floor (C, ${availableParallelism()} threads)`, `${q(READ_FLOOR)} ${q(t.listFile)} ${availableParallelism()}`) : undefined;
  const stat = measure('stat walk (find -printf)', statCmd);
  const baseline = measure(`baseline (diff -rq × ${pairs.length})`, baselineCmd, Math.min(REPS, 3));
  const craft = measure("craft-parts' check (oracle)", craftCmd, 1);
  const cmp = measure(`baseline (cmp × ${t.pairs})`, cmpCmd, 1);
  // The baselines above run for minutes; the kernel may page out cold page cache meanwhile (this machine
  // runs a DAMON `pageout` scheme), and the first run after them was seen 2.5× slower. Warm again.
  log('  warming the page cache again');
  run(floorCmd);
  run(cold);
  const coldS = measure('stagefix report (no cache)', cold);
  rmSync(CACHE, { recursive: true, force: true });
  run(warm);
  const warmS = measure('stagefix report (warm cache)', warm);
  // One file's status changed (bytes kept): no stored report fits, the digest cache does the rest.
  const touched = join(installs.at(-1) as string, 'pyvenv.cfg');
  const touchedS = measure('stagefix report (warm, one file touched)', `touch -c ${q(touched)} && ${warm}`);
  // The same with the JavaScript walk (what a machine without a C compiler runs), when the C walker was built.
  const warmJsS = NATIVE ? measure('stagefix report (warm, JS walk)', `STAGEFIX_NATIVE=0 ${warm}`) : undefined;
  const ratios = { floor: floor.wallS, cmp: cmp.wallS, baseline: baseline.wallS, craft: craft.wallS };
  rows.push({ tree: p.name, what: 'I/O floor: `find` + `xargs cat`', s: floor });
  if (readFloor) rows.push({ tree: p.name, what: `read floor: the same reads alone, ${availableParallelism()} threads in C (\`bench/read-floor.c\`)`, s: readFloor, ...ratios });
  rows.push({ tree: p.name, what: 'stat-only walk: `find -printf`', s: stat });
  rows.push({ tree: p.name, what: `byte-compare baseline: \`cmp\` × ${t.pairs} file pairs (1 run)`, s: cmp });
  rows.push({ tree: p.name, what: `byte-compare baseline: \`diff -rq\` × ${pairs.length} part pairs`, s: baseline });
  rows.push({ tree: p.name, what: "craft-parts' check: `test/oracle/craft_collisions.py` (1 run)", s: craft });
  rows.push({ tree: p.name, what: 'stagefix report, no cache', s: coldS, ...ratios });
  rows.push({ tree: p.name, what: 'stagefix report, warm cache', s: warmS, ...ratios, stat: stat.wallS });
  rows.push({ tree: p.name, what: 'stagefix report, warm cache, one file touched before each run', s: touchedS, ...ratios, stat: stat.wallS });
  if (warmJsS) rows.push({ tree: p.name, what: 'stagefix report, warm cache, JavaScript walk (`STAGEFIX_NATIVE=0`)', s: warmJsS, ...ratios, stat: stat.wallS });
}

function benchScale(p: BenchProject): void {
  for (const n of [2, 3, 4, 6]) {
    const installs = p.parts.slice(0, n).map((r) => join(p.dir, 'parts', r.name, 'install'));
    const t = survey(`${p.name}-${n}`, installs);
    const { cold } = reportCommands(subset(p, n), join(p.dir, 'parts'));
    run(cold);
    const s = measure(`report, ${n} copies`, cold);
    scaleRows.push({ copies: n, entries: t.entries, gb: t.bytes / 1e9, s });
  }
}

/** Start-up: the CLI on the bundled example with and without V8's code cache, and Node's own start. */
const startupRows: { what: string; on: Sample; off: Sample }[] = [];
let nodeStart: Sample | undefined;
function benchStartup(): void {
  const bin = `node ${q(join(REPO, 'bin', 'stagefix.js'))}`;
  // Each run is short and the machine noisy: three times the repetitions, at least eleven.
  const reps = Math.max(REPS * 3, 11);
  log('start-up (the bundled example)');
  nodeStart = measure('node -e 0', 'node -e 0', reps);
  const commands: [string, string][] = [
    ['`stagefix --version`', `${bin} --version > /dev/null`],
    ['`stagefix report --no-cache example`', `${bin} report --quiet --no-cache ${q(join(REPO, 'example'))} > /dev/null`],
  ];
  for (const [what, cmd] of commands) {
    const [on, off] = measureInTurn([`${what}`, `${what}, no code cache`], [cmd, `STAGEFIX_CODE_CACHE=0 ${cmd}`], reps);
    startupRows.push({ what, on, off });
  }
}

function fmtRatio(x: number | undefined, of: number): string {
  return x === undefined ? '' : `${(of / x).toFixed(2)}×`;
}

function table(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    `Measured by \`npx tsx bench/run.ts\` on ${new Date().toISOString().slice(0, 10)}: ${availableParallelism()} cores (${cpu}), ` +
      `${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, warm page cache, median of ${REPS} runs (\`diff -rq\`: ${Math.min(REPS, 3)}); ` +
      `load average ${LOAD_START} at the start and ${loadavg()[0]?.toFixed(1)} at the end (other work on the machine inflates wall times; CPU times are steadier). ` +
      `Walker: ${NATIVE ? 'C (`dist/native/walk.node`)' : 'JavaScript (the C walker was not built)'}.`,
    '',
    '| tree | parts | entries | size | shared regular files | shared bytes |',
    '|---|---:|---:|---:|---:|---:|',
    ...trees.map(({ name, t, parts }) => `| ${name} | ${parts} | ${t.entries} | ${(t.bytes / 1e9).toFixed(2)} GB | ${t.sharedFiles} | ${(t.sharedBytes / 1e9).toFixed(2)} GB |`),
    '',
    '| tree | command | wall | CPU (user+sys) | peak RSS | ÷ floor | `cmp` ÷ it | `diff -rq` ÷ it | craft-parts ÷ it | ÷ stat walk |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.tree} | ${r.what} | ${r.s.wallS.toFixed(2)} s | ${r.s.cpuS.toFixed(2)} s | ${r.s.rssMB.toFixed(0)} MB | ${r.floor ? fmtRatio(r.floor, r.s.wallS) : ''} | ${r.cmp ? fmtRatio(r.s.wallS, r.cmp) : ''} | ${r.baseline ? fmtRatio(r.s.wallS, r.baseline) : ''} | ${r.craft ? fmtRatio(r.s.wallS, r.craft) : ''} | ${r.stat ? fmtRatio(r.stat, r.s.wallS) : ''} |`,
    ),
  ];
  if (scaleRows.length > 0) {
    lines.push(
      '',
      'Growth: `stagefix report` (no cache) on the first 2, 3, 4 and 6 copies of the copies tree.',
      '',
      '| copies | entries | size | wall | CPU | CPU µs per entry | peak RSS |',
      '|---:|---:|---:|---:|---:|---:|---:|',
      ...scaleRows.map(
        (r) =>
          `| ${r.copies} | ${r.entries} | ${r.gb.toFixed(2)} GB | ${r.s.wallS.toFixed(2)} s | ${r.s.cpuS.toFixed(2)} s | ${((r.s.cpuS * 1e6) / r.entries).toFixed(1)} | ${r.s.rssMB.toFixed(0)} MB |`,
      ),
    );
  }
  if (startupRows.length > 0 && nodeStart) {
    const ms = (x: number): string => `${(x * 1000).toFixed(0)} ms`;
    lines.push(
      '',
      `Start-up: the CLI on the bundled example (\`example/\`), with V8's code cache (\`npm run build\` writes it; src/cli/boot.ts) and without (\`STAGEFIX_CODE_CACHE=0\`), run in turn; Node's own start (\`node -e 0\`): ${ms(nodeStart.wallS)} wall, ${ms(nodeStart.cpuS)} CPU.`,
      '',
      '| command | wall | wall, no code cache | CPU | CPU, no code cache | wall saved | wall less Node\'s start, ÷ without cache |',
      '|---|---:|---:|---:|---:|---:|---:|',
      ...startupRows.map(
        ({ what, on, off }) =>
          `| ${what} | ${ms(on.wallS)} | ${ms(off.wallS)} | ${ms(on.cpuS)} | ${ms(off.cpuS)} | ${ms(off.wallS - on.wallS)} | ${((on.wallS - (nodeStart as Sample).wallS) / (off.wallS - (nodeStart as Sample).wallS)).toFixed(2)}× |`,
      ),
    );
  }
  return lines.join('\n');
}

const BEGIN = '<!-- bench:begin (written by bench/run.ts; do not edit) -->';
const END = '<!-- bench:end -->';

function writeDoc(text: string): void {
  const file = join(REPO, 'docs', 'performance.md');
  const doc = existsSync(file) ? readFileSync(file, 'utf8') : `# Performance\n\n${BEGIN}\n${END}\n`;
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`docs/performance.md lacks the bench markers`);
  writeFileSync(file, `${doc.slice(0, a + BEGIN.length)}\n${text}\n${doc.slice(b)}`);
}

ensureTime();
const LOAD_START = loadavg()[0]?.toFixed(1);
mkdirSync(WORK, { recursive: true });
for (const p of PROJECTS) if (ONLY.includes(p.name) || (p.name === 'copies' && ONLY.includes('scale'))) buildProject(p, log);
log('building stagefix');
if (spawnSync('npm', ['run', 'build'], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] }).status !== 0) throw new Error('npm run build failed');
const NATIVE = existsSync(join(REPO, 'dist', 'native', 'walk.node'));
/** bench/read-floor.c, built with the system C compiler; undefined (the row is left out) without one. */
const READ_FLOOR = ((): string | undefined => {
  const out = join(WORK, 'read-floor');
  const cc = spawnSync('cc', ['-O2', '-pthread', '-o', out, join(REPO, 'bench', 'read-floor.c')], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (cc.status === 0) return out;
  log('no C compiler: the C read floor is left out');
  return undefined;
})();

for (const p of PROJECTS) if (ONLY.includes(p.name)) benchTree(p);
const copies = PROJECTS.find((p) => p.name === 'copies');
if (copies && ONLY.includes('scale')) benchScale(copies);
if (ONLY.includes('startup')) benchStartup();
const text = table();
process.stdout.write(`${text}\n`);
if (WRITE) writeDoc(text);
