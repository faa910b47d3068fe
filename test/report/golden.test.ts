/**
 * Golden output of every format on the bundled example, normalised (the checkout path and timings),
 * plus the checks CI systems rely on: SARIF valid against the official 2.1.0 schema, JUnit counts.
 * Regenerate after an intended change with `UPDATE_GOLDEN=1 npx vitest run test/report/golden.test.ts`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { XMLParser } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyse } from '../../src/run.js';
import { loadProject } from '../../src/scan/project.js';
import { DEFAULT_DOCS_BASE_URI, FORMAT_NAMES, REPORTERS, type FormatContext } from '../../src/report/formats/index.js';
import { renderText } from '../../src/report/text.js';
import type { Report } from '../../src/model.js';
import { EXAMPLE } from '../helpers/tree.js';

const GOLDEN = join(import.meta.dirname, 'golden');
const ROOT = join(import.meta.dirname, '..', '..');
let report: Report;
let ctx: FormatContext;

beforeAll(async () => {
  report = (await analyse(loadProject(EXAMPLE))).report;
  report = { ...report, stats: { ...report.stats, durationMs: 0 } };
  ctx = { projectRoot: report.project.root, docsBaseUri: DEFAULT_DOCS_BASE_URI, toolVersion: '0.0.0-golden' };
});

/**
 * The checkout may live anywhere, so its location is normalised; the build path embedded in the
 * example's own bytes (pycs, activate scripts) is data and stays as it is.
 */
const normalise = (s: string): string => s.split(EXAMPLE).join('<example>');

const render = (format: string): string =>
  format === 'text' ? renderText(report, { color: false, verbose: true }) : REPORTERS[format as keyof typeof REPORTERS](report, ctx);

describe('golden output on the example', () => {
  for (const format of FORMAT_NAMES) {
    it(`${format} matches its golden file`, () => {
      const file = join(GOLDEN, `example.${format}`);
      const actual = normalise(render(format));
      if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
        if (process.env.CI === 'true' && !existsSync(file)) throw new Error(`golden file ${file} is missing`);
        writeFileSync(file, actual);
      }
      expect(actual).toBe(readFileSync(file, 'utf8'));
    });
  }

  it('the SARIF validates against the official SARIF 2.1.0 schema and names every rule that fired', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'vendor', 'sarif-2.1.0.schema.json'), 'utf8')) as object;
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(schema);
    const sarif = JSON.parse(render('sarif')) as { runs: { results: { ruleId: string }[] }[] };
    expect(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    const ruleIds = new Set(sarif.runs[0]?.results.map((r) => r.ruleId));
    for (const f of report.findings) expect(ruleIds.has(f.rule), f.rule).toBe(true);
    expect(ruleIds.has('version-skew')).toBe(true);
  });

  it('the JUnit XML parses, with one test case per finding and a failure per real one', () => {
    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(render('junit')) as Record<string, unknown>;
    const text = JSON.stringify(xml);
    const cases = (text.match(/"classname"/g) ?? []).length;
    expect(cases).toBe(report.findings.length);
    const real = report.findings.filter((f) => f.verdict === 'real' && !f.accepted).length;
    expect((render('junit').match(/<failure\b/g) ?? []).length).toBe(real);
  });
});
