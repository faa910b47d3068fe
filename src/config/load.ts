/**
 * Loads and validates `stagefix.yaml`. Every problem is a ConfigError naming the file, the line and the
 * key, with a fix; nothing is silently ignored (an unknown key is usually a typo that would otherwise
 * quietly turn an `accept` off).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import picomatch from 'picomatch';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair } from 'yaml';
import { ConfigError, FsError } from '../errors.js';
import { partName, RULE_IDS, type RuleId } from '../model.js';
import { LEVELS, type Level } from '../report/formats/types.js';
import { ACCEPT_KEYS, CONFIG_KEYS, EMPTY_CONFIG, FAIL_ON, OWNER_KEYS, type AcceptRule, type Config, type FailOn, type OwnerRule } from './types.js';

export const CONFIG_FILE_NAME = 'stagefix.yaml';
/** A real stagefix.yaml is a few hundred bytes; refuse anything that could only be an accident or an attack. */
export const MAX_CONFIG_BYTES = 256 * 1024;
/** Anchors are fine for sharing a reason; thousands of alias expansions are a billion-laughs document. */
export const MAX_ALIAS_COUNT = 100;

/**
 * The config file to use: `explicit` (from `--config`) when given, else `stagefix.yaml` beside the
 * project file, else in the project root; undefined when there is none.
 */
export function findConfig(opts: { root: string; projectFile?: string; explicit?: string; cwd?: string }): string | undefined {
  if (opts.explicit !== undefined) return path.resolve(opts.cwd ?? process.cwd(), opts.explicit);
  const dirs = [opts.projectFile !== undefined ? path.dirname(opts.projectFile) : undefined, opts.root];
  for (const dir of dirs) {
    if (dir === undefined) continue;
    const p = path.join(dir, CONFIG_FILE_NAME);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Reads and validates a config file. */
export function loadConfig(file: string): Config {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new FsError(file, `cannot read the configuration: ${err.message}`, err.code);
  }
  if (size > MAX_CONFIG_BYTES) {
    throw new ConfigError(file, `file is ${size} bytes, more than the ${MAX_CONFIG_BYTES}-byte limit`, undefined, undefined, 'a stagefix.yaml holds a few keys; check --config points at the right file');
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new FsError(file, `cannot read the configuration: ${err.message}`, err.code);
  }
  return parseConfig(text, file);
}

const describe = (n: unknown): string => {
  if (isMap(n)) return 'a mapping';
  if (isSeq(n)) return 'a list';
  if (isScalar(n)) return n.value === null ? 'nothing (null)' : `${typeof n.value} ${JSON.stringify(n.value)}`;
  return 'nothing';
};

/** Validates config text; `file` is only used in messages. */
export function parseConfig(text: string, file: string): Config {
  if (Buffer.byteLength(text) > MAX_CONFIG_BYTES) {
    throw new ConfigError(file, `more than the ${MAX_CONFIG_BYTES}-byte limit`, undefined, undefined, 'a stagefix.yaml holds a few keys');
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: true, strict: true });
  const first = doc.errors[0];
  if (first !== undefined) {
    const line = first.linePos?.[0].line;
    const detail = first.message.split('\n')[0] ?? first.message;
    throw new ConfigError(file, `YAML syntax error: ${detail}`, line, undefined, 'fix the YAML syntax at that line');
  }
  try {
    doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    throw new ConfigError(file, `too many alias expansions (${(e as Error).message})`, undefined, undefined, `use at most ${MAX_ALIAS_COUNT} aliases`);
  }
  return new Validator(doc, lc, file).config();
}

class Validator {
  constructor(
    private readonly doc: Document,
    private readonly lc: LineCounter,
    private readonly file: string,
  ) {}

  private line(n: unknown): number | undefined {
    const range = (n as Node | null | undefined)?.range;
    return range ? this.lc.linePos(range[0]).line : undefined;
  }

  private fail(n: unknown, key: string, detail: string, fix?: string): never {
    throw new ConfigError(this.file, detail, this.line(n), key, fix);
  }

  private resolve(n: unknown): unknown {
    return isAlias(n) ? n.resolve(this.doc) : n;
  }

  private string(n: unknown, key: string, what: string): string {
    const v = this.resolve(n);
    if (!isScalar(v) || typeof v.value !== 'string') this.fail(n, key, `expected ${what}, got ${describe(v)}`, `write ${key}: "<${what}>"`);
    return v.value;
  }

  private entries(n: unknown, key: string): Pair[] {
    const v = this.resolve(n);
    if (!isMap(v)) this.fail(n, key, `expected a mapping, got ${describe(v)}`);
    return v.items;
  }

  private keyOf(p: Pair, where: string): string {
    if (!isScalar(p.key) || typeof p.key.value !== 'string') this.fail(p.key, where, `keys must be strings, got ${describe(p.key)}`);
    return p.key.value;
  }

  private unknownKey(p: Pair, key: string, known: readonly string[], where: string): never {
    const near = known.find((k) => k.replace(/[-_]/g, '') === key.replace(/[-_]/g, '').toLowerCase());
    this.fail(p.key, where, `unknown key ${JSON.stringify(key)}`, near !== undefined ? `did you mean ${JSON.stringify(near)}?` : `known keys: ${known.join(', ')}`);
  }

  private glob(n: unknown, key: string): string {
    const g = this.string(n, key, 'a glob');
    if (g.trim() === '') this.fail(n, key, 'the glob is empty', 'use "**" to match every path');
    if (g.startsWith('/')) {
      this.fail(n, key, `glob ${JSON.stringify(g)} is absolute`, `globs match paths relative to the part's install dir: write ${JSON.stringify(g.replace(/^\/+/, ''))}`);
    }
    try {
      picomatch.makeRe(g, { dot: true });
    } catch (e) {
      this.fail(n, key, `invalid glob ${JSON.stringify(g)}: ${(e as Error).message}`);
    }
    return g;
  }

  private ruleId(n: unknown, key: string): RuleId {
    const id = this.string(n, key, 'a rule id');
    if (!(RULE_IDS as readonly string[]).includes(id)) this.fail(n, key, `unknown rule id ${JSON.stringify(id)}`, `known rule ids: ${RULE_IDS.join(', ')}`);
    return id as RuleId;
  }

  private list(n: unknown, key: string): unknown[] {
    const v = this.resolve(n);
    if (isScalar(v) && v.value === null) return [];
    if (!isSeq(v)) this.fail(n, key, `expected a list, got ${describe(v)}`, `write each entry on its own line starting with "- "`);
    return v.items;
  }

  private accept(n: unknown, where: string): AcceptRule {
    let pathGlob: string | undefined;
    let reason: string | undefined;
    let rule: RuleId | undefined;
    for (const p of this.entries(n, where)) {
      const k = this.keyOf(p, where);
      const key = `${where}.${k}`;
      if (k === 'path') pathGlob = this.glob(p.value, key);
      else if (k === 'reason') {
        reason = this.string(p.value, key, 'a reason');
        if (reason.trim() === '') this.fail(p.value ?? p.key, key, 'the reason is empty', 'say why this conflict is acceptable; it is shown in every report');
      } else if (k === 'rule') rule = this.ruleId(p.value, key);
      else this.unknownKey(p, k, ACCEPT_KEYS, key);
    }
    if (pathGlob === undefined) this.fail(n, `${where}.path`, 'missing path', 'add path: <glob>');
    if (reason === undefined) this.fail(n, `${where}.reason`, 'missing reason', 'add reason: <why this conflict is acceptable>');
    const line = this.line(this.resolve(n));
    return { path: pathGlob, reason: reason.trim(), ...(rule !== undefined ? { rule } : {}), ...(line !== undefined ? { line } : {}) };
  }

  private owner(n: unknown, where: string): OwnerRule {
    let pathGlob: string | undefined;
    let part: string | undefined;
    for (const p of this.entries(n, where)) {
      const k = this.keyOf(p, where);
      const key = `${where}.${k}`;
      if (k === 'path') pathGlob = this.glob(p.value, key);
      else if (k === 'part') {
        part = this.string(p.value, key, 'a part name');
        if (part.trim() === '') this.fail(p.value ?? p.key, key, 'the part name is empty');
      } else this.unknownKey(p, k, OWNER_KEYS, key);
    }
    if (pathGlob === undefined) this.fail(n, `${where}.path`, 'missing path', 'add path: <glob>');
    if (part === undefined) this.fail(n, `${where}.part`, 'missing part', 'add part: <the part whose copy wins>');
    const line = this.line(this.resolve(n));
    return { path: pathGlob, part: partName(part), ...(line !== undefined ? { line } : {}) };
  }

  config(): Config {
    const top = this.doc.contents;
    const out: Config = { ...EMPTY_CONFIG, accept: [], owners: [], severity: {}, file: this.file };
    if (top === null || (isScalar(top) && top.value === null)) return out;
    if (!isMap(top)) this.fail(top, '(top level)', `expected a mapping of settings, got ${describe(top)}`, `start with a key such as "accept:"`);
    for (const p of top.items) {
      const k = this.keyOf(p, '(top level)');
      switch (k) {
        case 'runtime-prefix': {
          const v = this.string(p.value, k, 'an absolute path');
          if (!v.startsWith('/')) this.fail(p.value, k, `${JSON.stringify(v)} is not an absolute path`, 'write the directory the staged tree lives at when the artifact runs, e.g. /snap/NAME/current');
          out.runtimePrefix = v.length > 1 ? v.replace(/\/+$/, '') : v;
          break;
        }
        case 'accept':
          out.accept = this.list(p.value, k).map((item, i) => this.accept(item, `accept[${i}]`));
          break;
        case 'owners':
          out.owners = this.list(p.value, k).map((item, i) => this.owner(item, `owners[${i}]`));
          break;
        case 'severity':
          for (const sp of this.entries(p.value, k)) {
            const id = this.keyOf(sp, k);
            const key = `severity.${id}`;
            if (!(RULE_IDS as readonly string[]).includes(id)) this.fail(sp.key, key, `unknown rule id ${JSON.stringify(id)}`, `known rule ids: ${RULE_IDS.join(', ')}`);
            const level = this.string(sp.value, key, 'a level');
            if (!(LEVELS as readonly string[]).includes(level)) this.fail(sp.value, key, `unknown level ${JSON.stringify(level)}`, `use one of ${LEVELS.join(', ')}`);
            out.severity[id as RuleId] = level as Level;
          }
          break;
        case 'fail-on': {
          const v = this.string(p.value, k, 'real or benign');
          if (!(FAIL_ON as readonly string[]).includes(v)) this.fail(p.value, k, `unknown value ${JSON.stringify(v)}`, `use one of ${FAIL_ON.join(', ')}`);
          out.failOn = v as FailOn;
          break;
        }
        default:
          this.unknownKey(p, k, CONFIG_KEYS, k);
      }
    }
    return out;
  }
}
