/**
 * SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html), for GitHub code
 * scanning and other SARIF viewers. One result per finding, one location per part that ships the
 * path, the parts' declarations as related locations; accepted findings are suppressed, not dropped.
 */
import type { Location, Log, ReportingDescriptor, Result } from 'sarif';
import type { Finding, Report } from '../../model.js';
import {
  helpUri,
  installPath,
  isRuleId,
  levelOf,
  partSummary,
  projectFile,
  ruleDescription,
  ruleIdsFor,
  uniqueFingerprints,
} from './common.js';
import type { FormatContext } from './types.js';

const SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
/** The uriBaseId of every relative location: the output root the CI checks out. */
export const SRCROOT = '%SRCROOT%';
/** Key of our entry in `partialFingerprints`; bump the version if the hashed fields ever change. */
export const FINGERPRINT_KEY = 'stagefix/v1';

/** Percent-encode each segment so a path with spaces, `%` or `#` stays one valid URI reference. */
function uriOf(p: string, absolute: boolean): string {
  // encodeURIComponent throws on a lone surrogate (a non-UTF-16 file name); show it as U+FFFD instead.
  const wellFormed = p.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  const encoded = wellFormed.split('/').map(encodeURIComponent).join('/');
  return absolute ? `file://${encoded.startsWith('/') ? '' : '/'}${encoded}` : encoded;
}

function artifact(p: { path: string; absolute: boolean }): Location['physicalLocation'] {
  return {
    artifactLocation: p.absolute ? { uri: uriOf(p.path, true) } : { uri: uriOf(p.path, false), uriBaseId: SRCROOT },
  };
}

function locations(report: Report, ctx: FormatContext, f: Finding): Location[] {
  return f.parts.map((part) => ({
    physicalLocation: artifact(installPath(report, ctx, part, f.path)),
    message: { text: `as shipped by part ${part}` },
  }));
}

function relatedLocations(report: Report, ctx: FormatContext, f: Finding): Location[] {
  const file = projectFile(report, ctx);
  if (file === undefined) return [];
  const out: Location[] = [];
  for (const part of f.parts) {
    const line = partSummary(report, part)?.line;
    if (line === undefined) continue;
    out.push({
      id: out.length,
      physicalLocation: { ...artifact({ path: file, absolute: false }), region: { startLine: line } },
      message: { text: `part ${part} is declared here` },
    });
  }
  return out;
}

function result(report: Report, ctx: FormatContext, f: Finding, ruleIndex: number, fp: string): Result {
  const related = relatedLocations(report, ctx, f);
  const r: Result = {
    ruleId: f.rule,
    ruleIndex,
    level: levelOf(f, ctx),
    kind: 'fail',
    message: { text: `${f.reason} (parts: ${f.parts.join(', ')})` },
    locations: locations(report, ctx, f),
    partialFingerprints: { [FINGERPRINT_KEY]: fp },
    properties: {
      verdict: f.verdict,
      collision: f.kind,
      path: f.path,
      parts: f.parts.map(String),
      ...(f.unknown ? { unknown: true } : {}),
    },
  };
  if (related.length > 0) r.relatedLocations = related;
  if (f.accepted) {
    r.suppressions = [
      // No `status`: the committee-specification schema calls it `state`, the OASIS standard `status`;
      // a suppression without either is a plain external suppression in both.
      { kind: 'external', justification: f.accepted.reason, properties: { glob: f.accepted.glob } },
    ];
  }
  return r;
}

export function sarifLog(report: Report, ctx: FormatContext): Log {
  const ids = ruleIdsFor(report);
  const rules: ReportingDescriptor[] = ids.map((id) => ({
    id,
    name: id,
    shortDescription: { text: ruleDescription(id) },
    helpUri: helpUri(ctx, id),
    defaultConfiguration: { level: (isRuleId(id) ? ctx.severity?.[id] : undefined) ?? 'error' },
  }));
  const fps = uniqueFingerprints(report.findings);
  const results = report.findings.map((f, i) => result(report, ctx, f, ids.indexOf(f.rule), fps[i] ?? ''));
  return {
    $schema: SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'stagefix',
            version: ctx.toolVersion,
            informationUri: new URL('../../', ctx.docsBaseUri).href,
            rules,
          },
        },
        columnKind: 'unicodeCodePoints',
        results,
      },
    ],
  };
}

export function renderSarif(report: Report, ctx: FormatContext): string {
  return `${JSON.stringify(sarifLog(report, ctx), null, 2)}\n`;
}
