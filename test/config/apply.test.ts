import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyConfig, EMPTY_CONFIG, exitCode, mergeOptions, ownerOf, parseConfig } from '../../src/config/index.js';
import { partName } from '../../src/model.js';
import { finding, report } from '../report/formats/factory.js';

describe('applyConfig', () => {
  const rep = report([
    finding({ path: 'usr/share/doc/a/README' }),
    finding({ path: 'usr/share/.hidden/x' }),
    finding({ path: 'etc/app.conf', rule: 'contents' }),
    finding({ path: 'etc/app.conf.d/x', rule: 'permissions', kind: 'permissions' }),
    finding({ path: 'usr/bin/tool' }),
  ]);
  const config = parseConfig(
    ['accept:', '  - path: usr/share/**', '    reason: shared data', '  - path: etc/*', '    reason: conf', '    rule: contents', '  - path: "**"', '    reason: never reached for etc', '    rule: symlink'].join('\n'),
    'stagefix.yaml',
  );

  it('marks matching findings accepted (first entry wins, rule filter, dotfiles match) and keeps them', () => {
    const out = applyConfig(rep, config);
    expect(out.findings).toHaveLength(rep.findings.length);
    expect(out.findings.map((f) => f.accepted?.glob)).toEqual(['usr/share/**', 'usr/share/**', 'etc/*', undefined, undefined]);
    expect(out.findings[2]!.accepted).toEqual({ reason: 'conf', glob: 'etc/*' });
    expect(rep.findings[0]!.accepted).toBeUndefined();
  });

  it('accepting never changes the verdict, and only accepting can turn a failing check into a pass', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 8 }), fc.array(fc.boolean(), { maxLength: 8 }), (real, acc) => {
        const findings = real.map((r, i) => finding({ path: `p${i}`, verdict: r ? 'real' : 'benign' }));
        const globs = findings.filter((_, i) => acc[i] === true).map((f) => ({ path: f.path as string, reason: 'ok' }));
        const before = report(findings);
        const after = applyConfig(before, { accept: globs });
        expect(after.findings.map((f) => f.verdict)).toEqual(before.findings.map((f) => f.verdict));
        const stillReal = after.findings.some((f) => f.verdict === 'real' && !f.accepted);
        expect(exitCode(after, 'real')).toBe(stillReal ? 1 : 0);
        expect(exitCode(after, 'real')).toBeLessThanOrEqual(exitCode(before, 'real'));
      }),
    );
  });
});

describe('exitCode', () => {
  it('follows the contract', () => {
    expect(exitCode(report([]), 'real')).toBe(0);
    expect(exitCode(report([finding({ path: 'a', verdict: 'benign' })]), 'real')).toBe(0);
    expect(exitCode(report([finding({ path: 'a', verdict: 'benign' })]), 'benign')).toBe(1);
    expect(exitCode(report([finding({ path: 'a' })]), 'real')).toBe(1);
    expect(exitCode(report([finding({ path: 'a', accepted: { reason: 'r', glob: 'a' } })]), 'benign')).toBe(0);
  });
});

describe('ownerOf and mergeOptions', () => {
  it('finds the first owner whose glob matches', () => {
    const owners = [
      { path: 'usr/lib/**', part: partName('lib') },
      { path: '**', part: partName('app') },
    ];
    expect(ownerOf(owners, 'usr/lib/x.so')).toBe('lib');
    expect(ownerOf(owners, '.env')).toBe('app');
    expect(ownerOf([], 'x')).toBeUndefined();
  });

  it('lets flags override the file', () => {
    const config = parseConfig('runtime-prefix: /snap/a/current\nfail-on: benign\nseverity:\n  contents: note\n  symlink: warning\naccept:\n  - path: x\n    reason: file\n', 'f');
    expect(mergeOptions(config, {})).toEqual({
      runtimePrefix: '/snap/a/current',
      failOn: 'benign',
      severity: { contents: 'note', symlink: 'warning' },
      accept: [{ path: 'x', reason: 'file', line: 7 }],
      owners: [],
    });
    const merged = mergeOptions(config, { failOn: 'real', runtimePrefix: '/', severity: { contents: 'error' }, accept: [{ path: 'x', reason: 'flag' }] });
    expect(merged.failOn).toBe('real');
    expect(merged.runtimePrefix).toBe('/');
    expect(merged.severity).toEqual({ contents: 'error', symlink: 'warning' });
    expect(merged.accept[0]!.reason).toBe('flag');
    expect(mergeOptions(EMPTY_CONFIG, {}).failOn).toBe('real');
  });
});
