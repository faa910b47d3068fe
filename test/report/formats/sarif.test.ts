import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import fc from 'fast-check';
import type { Log } from 'sarif';
import { describe, expect, it } from 'vitest';
import { RULE_IDS } from '../../../src/model.js';
import { FINGERPRINT_KEY, renderSarif, sarifLog } from '../../../src/report/formats/sarif.js';
import { ctx, finding, mixedReport, part, report, ROOT } from './factory.js';

// RFC 3986 URI-reference (and absolute URI) checks for the schema's `format` keywords: ajv ships no formats.
const PCHAR = "(?:[A-Za-z0-9\\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})";
const REL = new RegExp(`^(?:[A-Za-z][A-Za-z0-9+.-]*:)?(?://(?:${PCHAR}|[\\[\\]])*)?(?:/?${PCHAR}*)*(?:\\?(?:${PCHAR}|[/?])*)?(?:#(?:${PCHAR}|[/?])*)?$`);
const ABS = /^[A-Za-z][A-Za-z0-9+.-]*:/;

function validator(): ValidateFunction {
  const schema = JSON.parse(readFileSync(new URL('../../../vendor/sarif-2.1.0.schema.json', import.meta.url), 'utf8')) as object;
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('uri-reference', (s: string) => REL.test(s));
  ajv.addFormat('uri', (s: string) => ABS.test(s) && REL.test(s));
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
  return ajv.compile(schema);
}

const validate = validator();

function expectValid(text: string): Log {
  const log = JSON.parse(text) as Log;
  const ok = validate(log);
  expect(validate.errors ?? []).toEqual([]);
  expect(ok).toBe(true);
  return log;
}

describe('sarif', () => {
  it('validates against the official SARIF 2.1.0 schema', () => {
    expectValid(renderSarif(mixedReport(), ctx()));
    expectValid(renderSarif(report([]), ctx()));
  });

  it('the schema validator rejects a broken log (the validation is not vacuous)', () => {
    const log = JSON.parse(renderSarif(mixedReport(), ctx())) as Record<string, unknown>;
    expect(validate({ ...log, version: '2.0.0' })).toBe(false);
    expect(validate({ ...log, runs: [{ results: [] }] })).toBe(false);
  });

  it('lists every stable rule id with a helpUri under docsBaseUri', () => {
    const rules = sarifLog(mixedReport(), ctx()).runs[0]!.tool.driver.rules!;
    expect(rules.map((r) => r.id)).toEqual([...RULE_IDS]);
    for (const r of rules) {
      expect(r.helpUri).toBe(`https://example.test/docs/rules/${r.id}.md`);
      expect(r.shortDescription?.text.length).toBeGreaterThan(0);
    }
  });

  it('locates each part of a finding in its install dir, relative to the project root, with the YAML line related', () => {
    const log = sarifLog(mixedReport(), ctx());
    const r = log.runs[0]!.results![0]!;
    expect(r.locations!.map((l) => l.physicalLocation!.artifactLocation!.uri)).toEqual([
      'parts/a/install/usr/lib/python3/dist-packages/x.py',
      'parts/b/install/usr/lib/python3/dist-packages/x.py',
    ]);
    expect(r.relatedLocations!.map((l) => [l.physicalLocation!.artifactLocation!.uri, l.physicalLocation!.region!.startLine])).toEqual([
      ['snap/snapcraft.yaml', 10],
      ['snap/snapcraft.yaml', 20],
    ]);
  });

  it('follows --parts-dir overrides through PartSummary.installDir', () => {
    const rep = report([finding({ path: 'a b/%c#d' })], { parts: [part('a', 1, `${ROOT}/build/a`), part('b', 2, `${ROOT}/build/b`)] });
    const log = expectValid(renderSarif(rep, ctx()));
    expect(log.runs[0]!.results![0]!.locations![0]!.physicalLocation!.artifactLocation!.uri).toBe('build/a/a%20b/%25c%23d');
  });

  it('uses an absolute file URI for install dirs outside the project root', () => {
    const rep = report([finding({ path: 'x' })], { parts: [part('a', 1, '/elsewhere/a'), part('b', 2)] });
    const log = expectValid(renderSarif(rep, ctx()));
    const loc = log.runs[0]!.results![0]!.locations![0]!.physicalLocation!.artifactLocation!;
    expect(loc).toEqual({ uri: 'file:///elsewhere/a/x' });
  });

  it('maps levels: real = error (or the configured severity), benign = note', () => {
    const rep = mixedReport();
    const levels = sarifLog(rep, ctx()).runs[0]!.results!.map((r) => r.level);
    expect(levels).toEqual(['error', 'error', 'note', 'error', 'error']);
    const quiet = sarifLog(rep, ctx({ severity: { contents: 'warning' } })).runs[0]!.results!.map((r) => r.level);
    expect(quiet).toEqual(['warning', 'error', 'note', 'warning', 'error']);
  });

  it('keeps accepted findings as suppressed results with the reason', () => {
    const results = sarifLog(mixedReport(), ctx()).runs[0]!.results!;
    const accepted = results.filter((r) => r.suppressions !== undefined);
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.suppressions).toEqual([{ kind: 'external', justification: 'upstream ships both', properties: { glob: 'etc/**' } }]);
  });

  it('fingerprints ignore timings, absolute dirs and part order, and differ by rule, path or parts', () => {
    const fp = (rep: ReturnType<typeof report>): string => sarifLog(rep, ctx()).runs[0]!.results![0]!.partialFingerprints![FINGERPRINT_KEY]!;
    const base = fp(report([finding({ path: 'p' })]));
    const moved = report([finding({ path: 'p', parts: ['b', 'a'] })], {
      project: { kind: 'snapcraft', root: '/other/checkout' },
      parts: [part('a', 3, '/other/checkout/parts/a/install'), part('b', 4, '/other/checkout/parts/b/install')],
      stats: { entries: 1, sharedPaths: 1, hashedFiles: 1, hashedBytes: 1, durationMs: 99999 },
    });
    expect(fp(moved)).toBe(base);
    expect(fp(report([finding({ path: 'q' })]))).not.toBe(base);
    expect(fp(report([finding({ path: 'p', rule: 'symlink' })]))).not.toBe(base);
    expect(fp(report([finding({ path: 'p', parts: ['a', 'c'] })]))).not.toBe(base);
  });

  it('survives a lone surrogate in a path', () => {
    expectValid(renderSarif(report([finding({ path: 'bad\uD800name' })]), ctx()));
  });

  it('any path and reason produce a valid log (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, unit: 'binary' }), fc.string({ unit: 'binary' }), (p, reason) => {
        expectValid(renderSarif(report([finding({ path: p, reason })]), ctx()));
      }),
      { numRuns: 200 },
    );
  });
});
