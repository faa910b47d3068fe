import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findConfig, loadConfig, MAX_CONFIG_BYTES, parseConfig } from '../../src/config/index.js';
import { ConfigError, FsError } from '../../src/errors.js';

const FILE = '/p/stagefix.yaml';

function configError(text: string): ConfigError {
  try {
    parseConfig(text, FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error(`no ConfigError for:\n${text}`);
}

describe('parseConfig', () => {
  it('reads every key', () => {
    const c = parseConfig(
      [
        'runtime-prefix: /snap/demo/current/',
        'accept:',
        '  - path: "usr/share/doc/**"',
        '    reason: docs are the same text',
        '  - path: etc/*.conf',
        '    reason: upstream ships both',
        '    rule: contents',
        'owners:',
        '  - path: usr/lib/python3/**',
        '    part: app',
        'severity:',
        '  permissions: warning',
        '  version-skew: note',
        'fail-on: benign',
      ].join('\n'),
      FILE,
    );
    expect(c).toEqual({
      file: FILE,
      runtimePrefix: '/snap/demo/current',
      accept: [
        { path: 'usr/share/doc/**', reason: 'docs are the same text', line: 3 },
        { path: 'etc/*.conf', reason: 'upstream ships both', rule: 'contents', line: 5 },
      ],
      owners: [{ path: 'usr/lib/python3/**', part: 'app', line: 9 }],
      severity: { permissions: 'warning', 'version-skew': 'note' },
      failOn: 'benign',
    });
  });

  it('treats an empty file as the defaults', () => {
    expect(parseConfig('', FILE)).toEqual({ file: FILE, accept: [], owners: [], severity: {} });
    expect(parseConfig('# only a comment\n', FILE)).toEqual({ file: FILE, accept: [], owners: [], severity: {} });
  });

  it('allows anchors for shared values', () => {
    const c = parseConfig('accept:\n  - path: a/**\n    reason: &r same bytes\n  - path: b/**\n    reason: *r\n', FILE);
    expect(c.accept.map((a) => a.reason)).toEqual(['same bytes', 'same bytes']);
  });

  // [config text, line, key, detail pattern]
  const cases: [string, number, string, RegExp][] = [
    ['acept:\n  - path: x\n', 1, 'acept', /unknown key "acept"/],
    ['runtime_prefix: /x\n', 1, 'runtime_prefix', /unknown key/],
    ['runtime-prefix: 3\n', 1, 'runtime-prefix', /expected an absolute path, got number 3/],
    ['runtime-prefix: snap/x\n', 1, 'runtime-prefix', /not an absolute path/],
    ['accept: yes-please\n', 1, 'accept', /expected a list/],
    ['accept:\n  - just-a-string\n', 2, 'accept[0]', /expected a mapping/],
    ['accept:\n  - path: x\n', 2, 'accept[0].reason', /missing reason/],
    ['accept:\n  - reason: r\n', 2, 'accept[0].path', /missing path/],
    ['accept:\n  - path: x\n    reason: "  "\n', 3, 'accept[0].reason', /reason is empty/],
    ['accept:\n  - path: x\n    reason: ""\n', 3, 'accept[0].reason', /reason is empty/],
    ['accept:\n  - path: x\n    reason: [a]\n', 3, 'accept[0].reason', /expected a reason, got a list/],
    ['accept:\n  - path: x\n    reason: r\n    rule: nope\n', 4, 'accept[0].rule', /unknown rule id "nope"/],
    ['accept:\n  - path: x\n    reason: r\n    why: r\n', 4, 'accept[0].why', /unknown key "why"/],
    ['accept:\n  - path: /usr/x\n    reason: r\n', 2, 'accept[0].path', /is absolute/],
    ['accept:\n  - path: ""\n    reason: r\n', 2, 'accept[0].path', /glob is empty/],
    ['owners:\n  - path: x\n', 2, 'owners[0].part', /missing part/],
    ['owners:\n  - path: x\n    part: 7\n', 3, 'owners[0].part', /expected a part name/],
    ['severity:\n  contents: loud\n', 2, 'severity.contents', /unknown level "loud"/],
    ['severity:\n  colour: error\n', 2, 'severity.colour', /unknown rule id "colour"/],
    ['severity: error\n', 1, 'severity', /expected a mapping/],
    ['fail-on: always\n', 1, 'fail-on', /unknown value "always"/],
    ['- a\n- b\n', 1, '(top level)', /expected a mapping of settings/],
  ];
  it.each(cases)('rejects %j with file, line and key', (text, line, key, detail) => {
    const e = configError(text);
    expect(e.file).toBe(FILE);
    expect(e.line).toBe(line);
    expect(e.key).toBe(key);
    expect(e.detail).toMatch(detail);
    expect(e.message.startsWith(`${FILE}:${line}: ${key}: `)).toBe(true);
  });

  it('gives a fix for unknown keys, suggesting the near one', () => {
    expect(configError('failOn: real\n').fix).toBe('did you mean "fail-on"?');
    expect(configError('colour: red\n').fix).toMatch(/known keys: runtime-prefix, accept, owners, severity, fail-on/);
  });

  it('reports YAML syntax errors and duplicate keys with their line', () => {
    const e = configError('accept:\n  - path: x\n    reason: "unterminated\n');
    expect(e.detail).toMatch(/YAML syntax error/);
    expect(e.line).toBeGreaterThanOrEqual(3);
    const dup = configError('fail-on: real\nseverity: {}\nfail-on: benign\n');
    expect(dup.detail).toMatch(/YAML syntax error: Map keys must be unique/);
    expect(dup.line).toBe(3);
  });

  it('refuses alias bombs and oversized documents', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 8; i++) bomb.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`);
    const start = Date.now();
    expect(configError(bomb.join('\n')).detail).toMatch(/alias/);
    expect(Date.now() - start).toBeLessThan(5000);
    expect(configError(`# ${'x'.repeat(MAX_CONFIG_BYTES)}\n`).detail).toMatch(/limit/);
  });
});

describe('loadConfig and findConfig', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'stagefix-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a file and names it in errors', () => {
    const f = path.join(dir, 'stagefix.yaml');
    writeFileSync(f, 'fail-on: benign\n');
    expect(loadConfig(f).failOn).toBe('benign');
    writeFileSync(f, 'fail-on: sometimes\n');
    expect(() => loadConfig(f)).toThrow(`${f}:1: fail-on: unknown value "sometimes"`);
  });

  it('a missing file is an FsError', () => {
    expect(() => loadConfig(path.join(dir, 'nope.yaml'))).toThrow(FsError);
  });

  it('finds stagefix.yaml beside the project file, then in the root, and honours --config', () => {
    const root = path.join(dir, 'proj');
    mkdirSync(path.join(root, 'snap'), { recursive: true });
    const projectFile = path.join(root, 'snap', 'snapcraft.yaml');
    expect(findConfig({ root, projectFile })).toBeUndefined();
    writeFileSync(path.join(root, 'stagefix.yaml'), '');
    expect(findConfig({ root, projectFile })).toBe(path.join(root, 'stagefix.yaml'));
    writeFileSync(path.join(root, 'snap', 'stagefix.yaml'), '');
    expect(findConfig({ root, projectFile })).toBe(path.join(root, 'snap', 'stagefix.yaml'));
    expect(findConfig({ root, projectFile, explicit: 'ci.yaml', cwd: '/w' })).toBe('/w/ci.yaml');
  });
});
