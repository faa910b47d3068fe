import { describe, expect, it } from 'vitest';
import { CraftSemanticsError } from '../../../src/scan/craft/errors.js';
import { type ListingEntry, stageSet } from '../../../src/scan/craft/stage-set.js';

const f = (path: string): ListingEntry => ({ path, type: 'file' });
const d = (path: string): ListingEntry => ({ path, type: 'dir' });
const l = (path: string, target: string, targetType?: ListingEntry['targetType']): ListingEntry => ({
  path,
  type: 'symlink',
  target,
  ...(targetType ? { targetType } : {}),
});
const venv: ListingEntry[] = [
  d('bin'), f('bin/pip'), l('bin/python3', '/usr/bin/python3.12', 'missing'),
  d('lib'), d('lib/python3.12'), f('lib/python3.12/a.py'), d('lib/python3.12/.cache'), f('lib/python3.12/.cache/x'),
  l('lib64', 'lib'), f('pyvenv.cfg'), d('.hidden'), f('.hidden/y'), f('.dotfile'),
];
const sorted = (s: ReadonlySet<string>) => [...s].sort();
const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    if (e instanceof CraftSemanticsError) return e.code;
    throw e;
  }
  return undefined;
};

describe('stageSet (filesets.migratable_filesets)', () => {
  it('default ["*"]: top-level dot entries and their subtrees are left out, lower dot entries kept', () => {
    expect(sorted(stageSet(venv, undefined))).toEqual([
      'bin', 'bin/pip', 'bin/python3', 'lib', 'lib/python3.12', 'lib/python3.12/.cache', 'lib/python3.12/.cache/x',
      'lib/python3.12/a.py', 'lib64', 'pyvenv.cfg',
    ]);
  });
  it('nothing below a symlinked directory is listed (the link is an entry)', () => {
    expect([...stageSet(venv, ['*'])].some((p) => p.startsWith('lib64/'))).toBe(false);
  });
  it('a literal include naming a directory pulls in its contents, dot entries too', () => {
    expect(sorted(stageSet(venv, ['.hidden']))).toEqual(['.hidden', '.hidden/y']);
  });
  it('excluding a directory removes its subtree', () => {
    expect(sorted(stageSet(venv, ['-lib']))).toEqual(['bin', 'bin/pip', 'bin/python3', 'lib64', 'pyvenv.cfg']);
  });
  it('a glob crossing a symlinked dir has its parent resolved (lib64/python3.12 -> lib/python3.12)', () => {
    expect(sorted(stageSet(venv, ['lib64/*']))).toEqual(['lib', 'lib/python3.12', 'lib/python3.12/.cache', 'lib/python3.12/.cache/x', 'lib/python3.12/a.py']);
  });
  it('a literal include that does not exist is still in the set, with its parents', () => {
    expect(sorted(stageSet(venv, ['nope/x']))).toEqual(['nope', 'nope/x']);
  });
  it('only * makes an include a glob: ? and [] are literal names', () => {
    expect(sorted(stageSet([f('a'), f('b')], ['?']))).toEqual(['?']);
  });
  it('but excludes are always globbed', () => {
    expect(sorted(stageSet([f('a'), f('bb')], ['-?']))).toEqual(['bb']);
  });
  it('only-excludes keep the default include', () => {
    expect(sorted(stageSet([f('a'), f('b')], ['-a']))).toEqual(['b']);
  });
  it('an include starting with ** crashes craft-parts on Python <= 3.12 (the hidden glob .** is invalid)', () => {
    expect(code(() => stageSet(venv, ['**/*.py']))).toBe('invalid-pattern');
  });
  it('a trailing slash matches directories only from Python 3.11', () => {
    const tree = [d('a'), f('b')];
    expect(sorted(stageSet(tree, ['*/'], { python: '3.12' }))).toEqual(['a']);
    expect(sorted(stageSet(tree, ['*/'], { python: '3.10' }))).toEqual(['a', 'b']);
  });
  it('a literal exclude of a dangling link matches from Python 3.12 only', () => {
    const tree = [l('x', 'missing'), f('y')];
    expect(sorted(stageSet(tree, ['-x'], { python: '3.12' }))).toEqual(['y']);
    expect(sorted(stageSet(tree, ['-x'], { python: '3.11' }))).toEqual(['x', 'y']);
  });
  it('a path through a link leaving the install dir needs the host (craft-parts stats it there)', () => {
    expect(code(() => stageSet([l('up', '..'), f('a')], ['up/x']))).toBe('needs-host');
  });
  it('absolute links into the install dir resolve when installDir is given', () => {
    const tree = [d('lib'), f('lib/a'), l('l2', '/root/parts/p/install/lib', 'dir')];
    expect(sorted(stageSet(tree, ['l2/*'], { installDir: '/root/parts/p/install' }))).toEqual(['lib', 'lib/a']);
    expect(code(() => stageSet(tree, ['l2/*']))).toBe('needs-host');
  });
  it('rejects entries craft-parts rejects', () => {
    expect(code(() => stageSet([], ['/abs']))).toBe('invalid-entry');
    expect(code(() => stageSet([], ['']))).toBe('invalid-entry');
  });
});
