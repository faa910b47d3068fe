import fc from 'fast-check';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { renderJunit } from '../../../src/report/formats/junit.js';
import { ctx, finding, mixedReport, report } from './factory.js';

interface Case {
  '@_classname': string;
  '@_name': string;
  failure?: { '@_message': string; '@_type': string; '#text': string };
  skipped?: { '@_message': string };
  'system-out'?: string;
}

function parse(xml: string): { suite: Record<string, string>; cases: Case[] } {
  expect(XMLValidator.validate(xml)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'testcase', processEntities: true, htmlEntities: true, trimValues: false }).parse(xml) as {
    testsuites: { testsuite: Record<string, string> & { testcase?: Case[] } };
  };
  const suite = doc.testsuites.testsuite;
  return { suite, cases: suite.testcase ?? [] };
}

describe('junit', () => {
  it('has one testcase per finding and counts that match the cases', () => {
    const { suite, cases } = parse(renderJunit(mixedReport(), ctx()));
    expect(cases).toHaveLength(5);
    expect(Number(suite['@_tests'])).toBe(cases.length);
    expect(Number(suite['@_failures'])).toBe(cases.filter((c) => c.failure).length);
    expect(Number(suite['@_skipped'])).toBe(cases.filter((c) => c.skipped).length);
    expect(cases.filter((c) => c.failure).map((c) => c['@_name'])).toEqual(['usr/lib/python3/dist-packages/x.py', 'usr/bin/tool', 'lib/foo.so']);
  });

  it('uses the rule as classname, the reason as failure message and the evidence as body', () => {
    const { cases } = parse(renderJunit(mixedReport(), ctx()));
    const c = cases[1]!;
    expect(c['@_classname']).toBe('file-type');
    expect(c.failure!['@_message']).toBe('file vs symlink');
    expect(c.failure!['@_type']).toBe('real/error');
    expect(c.failure!['#text']).toContain('"sizes"');
  });

  it('reports accepted findings as skipped with the reason, benign ones as passing', () => {
    const { cases } = parse(renderJunit(mixedReport(), ctx()));
    expect(cases[3]!.skipped!['@_message']).toBe('accepted: upstream ships both (etc/**)');
    expect(cases[2]!.failure).toBeUndefined();
    expect(cases[2]!['system-out']).toContain('same source, different mtime');
  });

  it('fails benign findings too under --fail-on benign', () => {
    const { suite } = parse(renderJunit(mixedReport(), ctx({ failOn: 'benign' })));
    expect(Number(suite['@_failures'])).toBe(4);
  });

  it('escapes markup and control characters so any path and reason stay well-formed (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, unit: 'binary' }), fc.string({ unit: 'binary' }), (p, reason) => {
        const { cases } = parse(renderJunit(report([finding({ path: p, reason })]), ctx()));
        expect(cases).toHaveLength(1);
        // Text without forbidden characters round-trips exactly through attribute escaping.
        if (!/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(p)) expect(cases[0]!['@_name']).toBe(p);
      }),
      { numRuns: 300 },
    );
  });

  it('makes forbidden characters visible instead of emitting invalid XML', () => {
    const { cases } = parse(renderJunit(report([finding({ path: 'a\u0001b<&>"\n' })]), ctx()));
    expect(cases[0]!['@_name']).toBe('a\\u0001b<&>"\n');
  });
});
