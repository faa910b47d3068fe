/**
 * The name → reporter map (knip's reporters/index.ts) and the `--format NAME[=FILE]` parser.
 * `text` and `json` are the terminal and schema'd formats from `src/report/`; the CLI passes them
 * their own options (colour, verbosity) and uses these entries only as defaults.
 */
import { UsageError } from '../../errors.js';
import { renderJson } from '../json.js';
import { renderText } from '../text.js';
import { renderGithub } from './github.js';
import { renderGitlab } from './gitlab.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { renderSarif } from './sarif.js';
import type { Reporter } from './types.js';

export const REPORTERS = {
  text: (report) => renderText(report, { color: false, verbose: false }),
  json: (report) => renderJson(report),
  sarif: renderSarif,
  junit: renderJunit,
  github: renderGithub,
  gitlab: renderGitlab,
  markdown: (report, ctx) => renderMarkdown(report, ctx),
} satisfies Record<string, Reporter>;

export type FormatName = keyof typeof REPORTERS;
export const FORMAT_NAMES = Object.keys(REPORTERS) as FormatName[];

/** Formats meant for another program; progress stays off while one of them goes to stdout. */
export const MACHINE_FORMATS: readonly FormatName[] = FORMAT_NAMES.filter((f) => f !== 'text');

export interface FormatSpec {
  format: FormatName;
  /** Output file; absent (or `-` on the command line) means stdout. */
  file?: string;
}

export const isFormatName = (s: string): s is FormatName => (FORMAT_NAMES as readonly string[]).includes(s);

/**
 * Parses repeated `--format NAME[=FILE]` values: `["sarif=stagefix.sarif", "text"]` →
 * `[{format: 'sarif', file: 'stagefix.sarif'}, {format: 'text'}]`. `NAME=-` is stdout. At most one
 * format may go to stdout; an unknown name lists the known ones. No values means `text` on stdout.
 */
export function parseFormatSpecs(values: readonly string[] | undefined): FormatSpec[] {
  const list = values !== undefined && values.length > 0 ? values : ['text'];
  const specs = list.map((v): FormatSpec => {
    const eq = v.indexOf('=');
    const name = (eq < 0 ? v : v.slice(0, eq)).trim();
    if (!isFormatName(name)) {
      throw new UsageError(`--format: unknown format ${JSON.stringify(name)} (known: ${FORMAT_NAMES.join(', ')})`);
    }
    if (eq < 0) return { format: name };
    const file = v.slice(eq + 1);
    if (file === '') throw new UsageError(`--format ${v}: empty file name (use ${name}=FILE, or ${name} for stdout)`);
    return file === '-' ? { format: name } : { format: name, file };
  });
  const toStdout = specs.filter((s) => s.file === undefined);
  if (toStdout.length > 1) {
    throw new UsageError(
      `--format: at most one format may go to stdout, got ${toStdout.map((s) => s.format).join(', ')} (give the others a file: --format sarif=stagefix.sarif)`,
    );
  }
  const files = specs.flatMap((s) => (s.file !== undefined ? [s.file] : []));
  const dup = files.find((f, i) => files.indexOf(f) !== i);
  if (dup !== undefined) throw new UsageError(`--format: two formats write to the same file ${JSON.stringify(dup)}`);
  return specs;
}

export type { FormatContext, Level, Reporter } from './types.js';
export { DEFAULT_DOCS_BASE_URI, LEVELS } from './types.js';
export { githubStepSummary } from './github.js';
