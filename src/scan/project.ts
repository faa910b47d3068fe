/**
 * Loading a craft project: the project file (snapcraft/rockcraft/charmcraft), or parts named on the
 * command line. Only the keys that decide staging are read (`parts.*.{after,stage,organize,permissions,
 * plugin}`); everything else in the file belongs to the craft tool and is left alone.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type YAMLMap } from 'yaml';
import { ConfigError, FsError, UsageError } from '../errors.js';
import { partName, type PartName, type PartSpec, type PermissionSpec, type Project, type ProjectKind } from '../model.js';
import { sortParts } from './craft/sort-parts.js';
import { stageSet } from './craft/stage-set.js';
import { CraftSemanticsError } from './craft/errors.js';

/**
 * A stage/organize path must stay inside the install dir: craft-parts joins it to the install dir, so an
 * absolute path or a `..` component would reach outside the part (issue 7: confinement).
 */
export function escapesInstallDir(p: string): string | undefined {
  if (p.includes('\0')) return 'contains a NUL byte';
  if (p.startsWith('/')) return 'is an absolute path';
  if (p.split('/').includes('..')) return 'contains a ".." component';
  return undefined;
}

function validateStage(stage: string[]): { message: string } | undefined {
  for (const entry of stage) {
    const path = entry.startsWith('-') ? entry.slice(1).trimStart() : entry;
    const bad = escapesInstallDir(path);
    if (bad) return { message: `entry ${JSON.stringify(entry)} ${bad}` };
  }
  return undefined;
}

function validateOrganize(organize: Record<string, string>): { message: string } | undefined {
  for (const [src, dst] of Object.entries(organize)) {
    // Destinations may carry a partition prefix, "(default)/usr/bin" (craft-parts partitions).
    const bad = escapesInstallDir(src) ?? escapesInstallDir(dst.replace(/^\([a-z0-9-]+\)\/?/, ''));
    if (bad) return { message: `mapping ${JSON.stringify(src)}: ${JSON.stringify(dst)} ${bad}` };
  }
  return undefined;
}

/** Where each tool looks for its project file, in the order the tools themselves do. */
const PROJECT_FILES: { rel: string; kind: ProjectKind }[] = [
  { rel: 'snapcraft.yaml', kind: 'snapcraft' },
  { rel: 'snap/snapcraft.yaml', kind: 'snapcraft' },
  { rel: 'build-aux/snap/snapcraft.yaml', kind: 'snapcraft' },
  { rel: '.snapcraft.yaml', kind: 'snapcraft' },
  { rel: 'rockcraft.yaml', kind: 'rockcraft' },
  { rel: 'charmcraft.yaml', kind: 'charmcraft' },
];

/** Project files are small; anything this large is not a hand-written project file. */
const MAX_PROJECT_BYTES = 4 * 1024 * 1024;
/** The `yaml` default allows alias expansion bombs to grow quadratically; a project never needs many. */
const MAX_ALIAS_COUNT = 1000;

export interface LoadOptions {
  /** Overrides `<root>/parts`. */
  partsDir?: string;
}

function kindOf(file: string): ProjectKind {
  const name = basename(file);
  if (name.includes('rockcraft')) return 'rockcraft';
  if (name.includes('charmcraft')) return 'charmcraft';
  return 'snapcraft';
}

/** Finds the project file in a directory (or accepts a file path). */
export function findProjectFile(projectPath: string): { file: string; root: string; kind: ProjectKind } {
  const abs = resolve(projectPath);
  if (!existsSync(abs)) {
    throw new FsError(abs, 'no such file or directory', 'ENOENT');
  }
  if (statSync(abs).isFile()) {
    // snap/snapcraft.yaml's project root is the directory above snap/.
    const dir = dirname(abs);
    const root = basename(dir) === 'snap' ? dirname(dir) : dir;
    return { file: abs, root, kind: kindOf(abs) };
  }
  for (const { rel, kind } of PROJECT_FILES) {
    const file = join(abs, rel);
    if (existsSync(file)) return { file, root: abs, kind };
  }
  throw new FsError(
    abs,
    'no snapcraft.yaml, snap/snapcraft.yaml, .snapcraft.yaml, rockcraft.yaml or charmcraft.yaml here',
    'ENOPROJECT',
  );
}

class YamlReader {
  readonly lc = new LineCounter();
  constructor(readonly file: string) {}

  line(node: Node | null | undefined): number | undefined {
    const start = node?.range?.[0];
    return start === undefined ? undefined : this.lc.linePos(start).line;
  }

  fail(node: Node | null | undefined, key: string, detail: string, fix?: string): never {
    throw new ConfigError(this.file, detail, this.line(node), key, fix);
  }

  strings(node: Node | null | undefined, key: string): string[] {
    if (node === null || node === undefined) return [];
    if (!isSeq(node)) this.fail(node, key, 'must be a list of strings');
    return node.items.map((item, i) => {
      if (!isScalar(item) || typeof item.value !== 'string') {
        this.fail(item as Node, `${key}[${i}]`, 'must be a string');
      }
      return item.value;
    });
  }
}

function readPart(r: YamlReader, name: string, keyNode: Node | undefined, value: Node | null, partsDir: string): PartSpec {
  const key = `parts.${name}`;
  const spec: PartSpec = {
    name: partName(name),
    installDir: join(partsDir, name, 'install'),
    organize: {},
    permissions: [],
    after: [],
    line: r.line(keyNode),
  };
  if (value === null || (isScalar(value) && value.value === null)) return spec;
  if (!isMap(value)) r.fail(value, key, 'must be a mapping of part properties');
  const map = value as YAMLMap<Node, Node>;
  for (const pair of map.items) {
    const k = isScalar(pair.key) ? String(pair.key.value) : '';
    const v = pair.value;
    switch (k) {
      case 'after':
        spec.after = r.strings(v, `${key}.after`).map(partName);
        break;
      case 'stage': {
        const stage = r.strings(v, `${key}.stage`);
        const bad = validateStage(stage);
        if (bad) r.fail(v, `${key}.stage`, bad.message, 'stage entries are paths relative to the install dir');
        // Patterns craft-parts itself cannot glob (e.g. an include starting with "**") fail its STAGE
        // step; say so at load time rather than mid-scan.
        try {
          stageSet([], stage);
        } catch (e) {
          if (e instanceof CraftSemanticsError && (e.code === 'invalid-pattern' || e.code === 'invalid-entry')) {
            r.fail(v, `${key}.stage`, e.message, 'craft-parts fails on this pattern too; use "*" plus "-" excludes, or a path without a leading "**"');
          }
        }
        spec.stage = stage;
        break;
      }
      case 'organize': {
        if (v === null || v === undefined) break;
        if (!isMap(v)) r.fail(v, `${key}.organize`, 'must be a mapping of source to destination paths');
        for (const item of (v as YAMLMap<Node, Node>).items) {
          const src = isScalar(item.key) ? item.key.value : undefined;
          const dst = isScalar(item.value) ? item.value.value : undefined;
          if (typeof src !== 'string' || typeof dst !== 'string') {
            r.fail(item.key, `${key}.organize`, 'source and destination must both be strings');
          }
          spec.organize[src] = dst;
        }
        const bad = validateOrganize(spec.organize);
        if (bad) r.fail(v, `${key}.organize`, bad.message, 'organize paths must stay inside the install dir');
        break;
      }
      case 'permissions':
        spec.permissions = readPermissions(r, v, `${key}.permissions`);
        break;
      case 'plugin':
        if (isScalar(v) && typeof v.value === 'string') spec.plugin = v.value;
        break;
      default:
        // Every other part key belongs to the craft tool; staging does not depend on it.
        break;
    }
  }
  return spec;
}

function readPermissions(r: YamlReader, node: Node | null | undefined, key: string): PermissionSpec[] {
  if (node === null || node === undefined) return [];
  if (!isSeq(node)) r.fail(node, key, 'must be a list of {path, owner, group, mode}');
  return node.items.map((item, i) => {
    if (!isMap(item)) r.fail(item as Node, `${key}[${i}]`, 'must be a mapping');
    const spec: PermissionSpec = { path: '*' };
    for (const pair of (item as YAMLMap<Node, Node>).items) {
      const k = isScalar(pair.key) ? String(pair.key.value) : '';
      const v = isScalar(pair.value) ? pair.value.value : undefined;
      const where = `${key}[${i}].${k}`;
      if (k === 'path') {
        if (typeof v !== 'string') r.fail(pair.value, where, 'must be a string');
        spec.path = v;
      } else if (k === 'owner' || k === 'group') {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) r.fail(pair.value, where, 'must be a non-negative integer');
        spec[k] = v;
      } else if (k === 'mode') {
        // craft-parts takes the mode as an octal string ("755"); YAML may hand us a number.
        const s = typeof v === 'number' ? String(v) : v;
        if (typeof s !== 'string' || !/^[0-7]{1,4}$/.test(s)) r.fail(pair.value, where, 'must be an octal mode such as "755"');
        spec.mode = s;
      } else {
        r.fail(pair.key, where, 'unknown permissions key', 'use path, owner, group or mode');
      }
    }
    if ((spec.owner === undefined) !== (spec.group === undefined)) {
      r.fail(item as Node, `${key}[${i}]`, 'owner and group must be given together');
    }
    return spec;
  });
}

/** Parses a project file's text. Separate from the disk so tests and fuzzers can call it directly. */
export function parseProject(text: string, file: string, root: string, kind: ProjectKind, opts: LoadOptions = {}): Project {
  const r: YamlReader = new YamlReader(file);
  const doc = parseDocument(text, { lineCounter: r.lc, uniqueKeys: true, prettyErrors: false, strict: true });
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0]?.line;
    throw new ConfigError(file, `invalid YAML: ${first.message.split('\n')[0]}`, line, undefined, 'fix the YAML syntax');
  }
  // Resolve aliases under a cap: an alias bomb is rejected instead of exhausting memory.
  try {
    doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    throw new ConfigError(file, `YAML aliases expand too far (${(e as Error).message})`, undefined, undefined, 'remove the aliases');
  }
  const top = doc.contents;
  if (!isMap(top)) throw new ConfigError(file, 'the project file must be a mapping', r.line(top as Node | null), undefined);
  const partsDir = opts.partsDir ? resolve(opts.partsDir) : join(root, 'parts');
  let name: string | undefined;
  let base: string | undefined;
  let partsNode: Node | null | undefined;
  let partsKey: Node | undefined;
  for (const pair of (top as YAMLMap<Node, Node>).items) {
    const k = isScalar(pair.key) ? pair.key.value : undefined;
    if (k === 'name' && isScalar(pair.value)) name = String(pair.value.value);
    if ((k === 'base' || k === 'build-base') && isScalar(pair.value) && base === undefined) base = String(pair.value.value);
    if (k === 'parts') {
      partsNode = pair.value;
      partsKey = pair.key;
    }
  }
  if (partsNode === undefined || partsNode === null) {
    throw new ConfigError(file, 'no parts declared', r.line(partsKey), 'parts', 'declare at least one part under parts:');
  }
  if (!isMap(partsNode)) r.fail(partsNode, 'parts', 'must be a mapping of part names to part properties');
  const specs: PartSpec[] = [];
  for (const pair of (partsNode as YAMLMap<Node, Node>).items) {
    const pname = isScalar(pair.key) ? pair.key.value : undefined;
    if (typeof pname !== 'string' || pname === '' || pname.includes('/') || pname === '.' || pname === '..') {
      r.fail(pair.key, 'parts', `invalid part name ${JSON.stringify(pname)}`, 'part names are plain names');
    }

    specs.push(readPart(r, pname, pair.key, pair.value, partsDir));
  }
  return { kind, root, file, name, base, parts: orderParts(specs, file) };
}

function orderParts(specs: PartSpec[], file: string): PartSpec[] {
  const byName = new Map(specs.map((s) => [s.name as string, s]));
  for (const s of specs) {
    for (const dep of s.after) {
      if (!byName.has(dep)) {
        throw new ConfigError(file, `part ${s.name} is after unknown part ${JSON.stringify(dep)}`, s.line, `parts.${s.name}.after`);
      }
    }
  }
  let order: string[];
  try {
    order = sortParts(specs.map((s) => ({ name: s.name, after: s.after })));
  } catch (e) {
    throw new ConfigError(file, (e as Error).message, undefined, 'after', 'remove the dependency cycle');
  }
  return order.map((n) => byName.get(n) as PartSpec);
}

/** Loads a project from a directory or project file. */
export function loadProject(projectPath: string, opts: LoadOptions = {}): Project {
  const { file, root, kind } = findProjectFile(projectPath);
  const size = statSync(file).size;
  if (size > MAX_PROJECT_BYTES) {
    throw new ConfigError(file, `project file is ${size} bytes; refusing to read more than ${MAX_PROJECT_BYTES}`);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FsError(file, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseProject(text, file, root, kind, opts);
}

/** `--part NAME=DIR` (repeatable): parts named directly, in craft-parts' order (alphabetical). */
export function projectFromPartArgs(args: string[], cwd: string): Project {
  const parts: PartSpec[] = [];
  const seen = new Set<string>();
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0 || eq === arg.length - 1) throw new UsageError(`--part ${arg}: expected NAME=DIR`);
    const name = arg.slice(0, eq);
    const dir = arg.slice(eq + 1);
    if (seen.has(name)) throw new UsageError(`--part ${name} given twice`);
    seen.add(name);
    parts.push({
      name: partName(name) as PartName,
      installDir: isAbsolute(dir) ? dir : resolve(cwd, dir),
      organize: {},
      permissions: [],
      after: [],
    });
  }
  const order = sortParts(parts.map((p) => ({ name: p.name, after: [] })));
  const byName = new Map(parts.map((p) => [p.name as string, p]));
  return { kind: 'parts', root: cwd, parts: order.map((n: string) => byName.get(n) as PartSpec) };
}
