import { describe, expect, it } from 'vitest';
import { renderGitlab, type CodeQualityIssue } from '../../../src/report/formats/gitlab.js';
import { ctx, finding, mixedReport, report } from './factory.js';

/** The fields GitLab documents for a Code Quality report (https://docs.gitlab.com/ci/testing/code_quality/). */
const DOCUMENTED = ['check_name', 'description', 'fingerprint', 'location', 'severity'];
const SEVERITIES = ['info', 'minor', 'major', 'critical', 'blocker'];

describe('gitlab', () => {
  it('emits exactly the documented fields with valid types', () => {
    const issues = JSON.parse(renderGitlab(mixedReport(), ctx())) as CodeQualityIssue[];
    expect(issues).toHaveLength(5);
    for (const i of issues) {
      expect(Object.keys(i).sort()).toEqual(DOCUMENTED);
      expect(Object.keys(i.location).sort()).toEqual(['lines', 'path']);
      expect(Object.keys(i.location.lines)).toEqual(['begin']);
      expect(Number.isInteger(i.location.lines.begin) && i.location.lines.begin >= 1).toBe(true);
      expect(SEVERITIES).toContain(i.severity);
      expect(i.description.length).toBeGreaterThan(0);
    }
    expect(new Set(issues.map((i) => i.fingerprint)).size).toBe(issues.length);
  });

  it('maps real collisions to critical, environment findings to major, benign and accepted to info', () => {
    const issues = JSON.parse(renderGitlab(mixedReport(), ctx())) as CodeQualityIssue[];
    expect(issues.map((i) => i.severity)).toEqual(['critical', 'critical', 'info', 'info', 'major']);
    expect(issues[3]!.description).toContain('[accepted: upstream ships both]');
    const softer = JSON.parse(renderGitlab(mixedReport(), ctx({ severity: { contents: 'note' } }))) as CodeQualityIssue[];
    expect(softer[0]!.severity).toBe('minor');
  });

  it('points at the project file line of the part to edit, or the install path without one', () => {
    const issues = JSON.parse(renderGitlab(mixedReport(), ctx())) as CodeQualityIssue[];
    expect(issues[0]!.location).toEqual({ path: 'snap/snapcraft.yaml', lines: { begin: 20 } });
    const bare = report([finding({ path: 'x/y' })], { project: { kind: 'parts', root: '/home/dev/proj' } });
    const [i] = JSON.parse(renderGitlab(bare, ctx())) as CodeQualityIssue[];
    expect(i!.location).toEqual({ path: 'parts/a/install/x/y', lines: { begin: 1 } });
  });

  it('keeps fingerprints unique even for repeated identities', () => {
    const issues = JSON.parse(renderGitlab(report([finding({ path: 'p' }), finding({ path: 'p' })]), ctx())) as CodeQualityIssue[];
    expect(issues[0]!.fingerprint).not.toBe(issues[1]!.fingerprint);
  });
});
