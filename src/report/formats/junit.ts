/**
 * JUnit XML for CI test dashboards (the de-facto schema of Ant's JUnit task as read by Jenkins,
 * GitLab and others). One `testcase` per finding: classname is the rule id, name the path. A failing
 * finding (real, or benign under `--fail-on benign`) has a `failure`; an accepted one is `skipped`
 * with the acceptance reason; a benign one passes with its reason in `system-out`.
 */
import type { Finding, Report } from '../../model.js';
import { evidenceText, fails, levelOf } from './common.js';
import type { FormatContext } from './types.js';

/** Characters XML 1.0 allows (https://www.w3.org/TR/xml/#charsets); lone surrogates are not among them. */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Text made safe for XML: forbidden characters become a visible `\uXXXX`, markup is escaped. */
export function xmlText(s: string): string {
  return s
    .replace(NOT_XML_CHAR, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** Attribute value: also quotes, and whitespace as character references so normalisation keeps it. */
export function xmlAttr(s: string): string {
  return xmlText(s).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

function testcase(f: Finding, ctx: FormatContext): string {
  const open = `    <testcase classname="${xmlAttr(f.rule)}" name="${xmlAttr(f.path)}">`;
  const parts = `parts: ${f.parts.join(', ')}`;
  if (f.accepted) {
    return `${open}\n      <skipped message="${xmlAttr(`accepted: ${f.accepted.reason} (${f.accepted.glob})`)}"/>\n      <system-out>${xmlText(`${f.verdict}: ${f.reason}\n${parts}`)}</system-out>\n    </testcase>`;
  }
  if (fails(f, ctx)) {
    const body = `${f.reason}\n${parts}\nevidence: ${evidenceText(f)}`;
    return `${open}\n      <failure message="${xmlAttr(f.reason)}" type="${xmlAttr(`${f.verdict}/${levelOf(f, ctx)}`)}">${xmlText(body)}</failure>\n    </testcase>`;
  }
  return `${open}\n      <system-out>${xmlText(`${f.verdict}: ${f.reason}\n${parts}`)}</system-out>\n    </testcase>`;
}

export function renderJunit(report: Report, ctx: FormatContext): string {
  const tests = report.findings.length;
  const skipped = report.findings.filter((f) => f.accepted).length;
  const failures = report.findings.filter((f) => fails(f, ctx)).length;
  const time = (report.stats.durationMs / 1000).toFixed(3);
  const name = `stagefix${report.project.name !== undefined ? `: ${report.project.name}` : ''}`;
  const counts = `tests="${tests}" failures="${failures}" errors="0" skipped="${skipped}" time="${time}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="stagefix" ${counts}>`,
    `  <testsuite name="${xmlAttr(name)}" ${counts}>`,
    ...report.findings.map((f) => testcase(f, ctx)),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
