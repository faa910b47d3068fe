/**
 * What every CI-facing reporter receives besides the report. Reporters are pure functions
 * `(report, ctx) => string`; the CLI decides where the string goes (ESLint's formatter contract).
 */
import type { Report, RuleId } from '../../model.js';

/** A result level as SARIF names it; the `severity:` config key maps rule ids to one of these. */
export type Level = 'error' | 'warning' | 'note';
export const LEVELS: readonly Level[] = ['error', 'warning', 'note'];

/**
 * Where `docs/rules/<id>.md` is published: the one default for every `helpUri` and doc link.
 * It must end with `/`; `<id>.md` is resolved against it. Override with `FormatContext.docsBaseUri`.
 */
export const DEFAULT_DOCS_BASE_URI = 'https://github.com/stagefix/stagefix/blob/main/docs/rules/';

export interface FormatContext {
  /**
   * Directory that output paths are relative to. The CLI passes `report.project.root`; in CI, when the
   * project sits in a sub-directory of the checkout, pass the checkout root so annotations resolve.
   */
  projectRoot: string;
  /** Base URI of the rule docs; `<id>.md` is appended. Default {@link DEFAULT_DOCS_BASE_URI}. */
  docsBaseUri: string;
  /** stagefix's version, for SARIF `tool.driver.version` and headers. */
  toolVersion: string;
  /**
   * Presentation level of a real finding per rule (config `severity:`). Changes only how loudly a
   * format shows it; it never makes a real finding pass (only `accept:` does, and stays visible).
   */
  severity?: Partial<Record<RuleId, Level>>;
  /** The `--fail-on` in force, so formats that show pass/fail (JUnit, Markdown) agree with the exit code. */
  failOn?: 'real' | 'benign';
}

export type Reporter = (report: Report, ctx: FormatContext) => string;
