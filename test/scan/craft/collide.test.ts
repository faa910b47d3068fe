import { describe, expect, it } from 'vitest';
import {
  decodePcText,
  entryTypesCollide,
  isPcName,
  linkTargetsCollide,
  normaliseLinkTarget,
  parseOctalMode,
  pcFilesCollide,
  permissionsCollide,
  pyTextLines,
} from '../../../src/scan/craft/collide.js';

describe('link targets (collisions.py: Path(readlink) != Path(readlink), craft-parts >= 2.34)', () => {
  it.each([
    ['x', './x', false],
    ['x', 'x/', false],
    ['a//b', 'a/b', false],
    ['a/./b', 'a/b', false],
    ['../lib', 'lib', true],
    ['a/../b', 'b', true], // `..` is not collapsed
    ['/usr/bin/python3', 'usr/bin/python3', true], // relative never equals absolute
    ['//x', '/x', true], // two leading slashes stay a distinct root
    ['///x', '/x', false],
  ])('%s vs %s collide=%s', (a, b, c) => expect(linkTargetsCollide(a, b)).toBe(c));
  it('normalises like str(PurePosixPath)', () => {
    expect(normaliseLinkTarget('./')).toBe('.');
    expect(normaliseLinkTarget('/a/./b//')).toBe('/a/b');
  });
});

describe('.pc files (collisions.py _file_collides)', () => {
  it('ignores prefix= lines when both start with it', () => {
    expect(pcFilesCollide('prefix=/a\nlibdir=${prefix}/lib\n', 'prefix=/b\nlibdir=${prefix}/lib\n')).toBe(false);
  });
  it('a prefix= line against another line collides', () => {
    expect(pcFilesCollide('prefix=/a\n', 'exec_prefix=/a\n')).toBe(true);
  });
  it('ignores the longer file’s extra lines (zip stops at the shorter)', () => {
    expect(pcFilesCollide('a\n', 'a\nb\nc\n')).toBe(false);
    expect(pcFilesCollide('', 'anything')).toBe(false);
  });
  it('a last line without newline differs from the same line with one', () => {
    expect(pcFilesCollide('a', 'a\n')).toBe(true);
  });
  it('reads with universal newlines: CRLF and CR equal LF', () => {
    expect(pcFilesCollide('a\r\nb\r\n', 'a\nb\n')).toBe(false);
    expect(pyTextLines('a\rb\r\nc')).toEqual(['a\n', 'b\n', 'c']);
  });
  it('line pairs are taken in step, not aligned', () => {
    expect(pcFilesCollide('prefix=/a\nx\n', 'x\nprefix=/a\n')).toBe(true);
  });
  it('only a real .pc suffix counts (Path.suffix)', () => {
    expect(isPcName('lib/pkgconfig/foo.pc')).toBe(true);
    expect(isPcName('lib/.pc')).toBe(false);
    expect(isPcName('foo.PC')).toBe(false);
  });
  it('decodes strict UTF-8 and keeps a BOM', () => {
    expect(decodePcText(new Uint8Array([0xef, 0xbb, 0xbf, 0x61]))).toBe('\ufeffa');
    expect(decodePcText(new Uint8Array([0xff]))).toBeUndefined();
  });
});

describe('permissions (permissions.py)', () => {
  it('empty on either side is compatible', () => {
    expect(permissionsCollide([], [{ path: '*', mode: '755' }], 'bin/x')).toBe(false);
  });
  it('compares modes numerically (755 = 0o755 = 0755)', () => {
    expect(permissionsCollide([{ path: '*', mode: '755' }], [{ path: 'bin/*', mode: '0o755' }], 'bin/x')).toBe(false);
    expect(permissionsCollide([{ path: '*', mode: '755' }], [{ path: '*', mode: '644' }], 'bin/x')).toBe(true);
  });
  it('a mode set on one side only is incompatible', () => {
    expect(permissionsCollide([{ path: '*', owner: 0, group: 0 }], [{ path: '*', owner: 0, group: 0, mode: '755' }], 'x')).toBe(true);
  });
  it('owner/group must match', () => {
    expect(permissionsCollide([{ path: '*', owner: 0, group: 0 }], [{ path: '*', owner: 1000, group: 1000 }], 'x')).toBe(true);
  });
  it('later specs override earlier ones (squash)', () => {
    expect(permissionsCollide([{ path: '*', mode: '644' }, { path: 'x', mode: '755' }], [{ path: '*', mode: '755' }], 'x')).toBe(false);
  });
  it('fnmatch on the whole path: * crosses /', () => {
    expect(permissionsCollide([{ path: 'usr/*', mode: '700' }], [{ path: '*', mode: '755' }], 'usr/lib/x')).toBe(true);
    expect(permissionsCollide([{ path: 'etc/*', mode: '700' }], [{ path: '*', mode: '755' }], 'usr/lib/x')).toBe(false);
  });
  it('parses the octal spellings int(x, 8) accepts', () => {
    expect(parseOctalMode('0o755')).toBe(0o755);
    expect(parseOctalMode(' 7_55 ')).toBe(0o755);
    expect(parseOctalMode('8')).toBeUndefined();
  });
});

describe('entryTypesCollide (paths_collide decision table)', () => {
  it.each([
    ['symlink', 'symlink', { next: 'link-targets' }],
    ['symlink', 'file', { next: 'collide', reason: 'symlink' }],
    ['dir', 'symlink', { next: 'collide', reason: 'symlink' }],
    ['dir', 'file', { next: 'collide', reason: 'type' }],
    ['dir', 'dir', { next: 'permissions' }],
    ['fifo', 'fifo', { next: 'collide', reason: 'special' }],
    ['char-device', 'file', { next: 'collide', reason: 'special' }],
    ['file', 'file', { next: 'bytes' }],
  ] as const)('%s vs %s', (a, b, v) => expect(entryTypesCollide(a, b, 'x')).toEqual(v));
  it('a .pc name goes to the text comparison', () => {
    expect(entryTypesCollide('file', 'file', 'lib/pkgconfig/a.pc')).toEqual({ next: 'pc-text' });
  });
});
