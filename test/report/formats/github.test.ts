import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ANNOTATIONS_PER_KIND,
  escapeData,
  escapeProperty,
  githubStepSummary,
  renderGithub,
  STEP_SUMMARY_BYTES,
  workflowCommand,
} from '../../../src/report/formats/github.js';
import { ctx, finding, mixedReport, report } from './factory.js';

/** A workflow-command parser as the runner reads them: `::cmd k=v,k=v::data`, then unescaping. */
function parseCommand(line: string): { cmd: string; props: Record<string, string>; data: string } | undefined {
  const m = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/s.exec(line);
  if (!m) return undefined;
  const unData = (s: string): string => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
  const unProp = (s: string): string => unData(s.replace(/%3A/g, ':').replace(/%2C/g, ','));
  const props: Record<string, string> = {};
  for (const kv of (m[2] ?? '').split(',').filter(Boolean)) {
    const eq = kv.indexOf('=');
    props[kv.slice(0, eq)] = unProp(kv.slice(eq + 1));
  }
  return { cmd: m[1]!, props, data: unData(m[3]!) };
}

describe('github', () => {
  it('annotates failing findings at the part line of the project file', () => {
    const lines = renderGithub(mixedReport(), ctx()).trimEnd().split('\n');
    const cmds = lines.map(parseCommand);
    expect(cmds.map((c) => c?.cmd)).toEqual(['error', 'error', 'error']);
    expect(cmds[0]!.props).toEqual({ file: 'snap/snapcraft.yaml', line: '30', title: 'stagefix file-type: usr/bin/tool' });
    expect(cmds[1]!.props.line).toBe('20');
    expect(cmds[0]!.data).toBe('file vs symlink (parts: b ↔ c)');
  });

  it('prints nothing for a clean report', () => {
    expect(renderGithub(report([]), ctx())).toBe('');
  });

  it('maps severity to error/warning/notice', () => {
    const cmds = renderGithub(mixedReport(), ctx({ severity: { contents: 'note', 'file-type': 'warning' } }))
      .trimEnd()
      .split('\n')
      .map((l) => parseCommand(l)?.cmd);
    expect(cmds.sort()).toEqual(['error', 'notice', 'warning']);
  });

  it('stays within 10 annotations per kind and says how many more in one line', () => {
    const many = report(Array.from({ length: 25 }, (_, i) => finding({ path: `f${String(i).padStart(2, '0')}` })));
    const lines = renderGithub(many, ctx()).trimEnd().split('\n');
    const cmds = lines.filter((l) => l.startsWith('::'));
    expect(cmds).toHaveLength(ANNOTATIONS_PER_KIND);
    expect(lines).toHaveLength(ANNOTATIONS_PER_KIND + 1);
    expect(lines.at(-1)).toMatch(/^stagefix: 15 more failing findings not annotated/);
  });

  it('escapes data and properties so any text round-trips (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (prop, data) => {
        const line = workflowCommand('error', { file: prop, title: prop }, data);
        expect(line).not.toMatch(/[\r\n]/);
        const parsed = parseCommand(line);
        expect(parsed).toEqual({ cmd: 'error', props: { file: prop, title: prop }, data });
      }),
      { numRuns: 500 },
    );
    expect(escapeData('50%\r\n')).toBe('50%25%0D%0A');
    expect(escapeProperty('a:b,c')).toBe('a%3Ab%2Cc');
  });

  it('renders a step summary within the size limit', () => {
    const huge = report(Array.from({ length: 20_000 }, (_, i) => finding({ path: `usr/share/${'x'.repeat(60)}/${i}` })));
    const md = githubStepSummary(huge, ctx());
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(STEP_SUMMARY_BYTES);
    expect(md).toMatch(/and \d+ more/);
  });
});
