import { describe, expect, it } from 'vitest';
import { CraftSemanticsError } from '../../../src/scan/craft/errors.js';
import { organizeMapping, validateOrganize, validateStage } from '../../../src/scan/craft/organize.js';
import type { ListingEntry } from '../../../src/scan/craft/stage-set.js';

const f = (path: string): ListingEntry => ({ path, type: 'file' });
const d = (path: string): ListingEntry => ({ path, type: 'dir' });
const tree = [d('bin'), f('bin/craftctl'), f('bin/tool'), f('bin/.hidden'), d('share'), f('share/a'), f('share/b')];

describe('organizeMapping (organize.py organize_files)', () => {
  it('moves a file to a new name, creating parents', () => {
    const m = organizeMapping({ 'bin/craftctl': 'libexec/snapcraft/craftctl' }, tree);
    expect(m.get('bin/craftctl')).toBe('libexec/snapcraft/craftctl');
    expect(m.get('bin/tool')).toBe('bin/tool');
  });
  it('a trailing slash makes the destination a directory', () => {
    expect(organizeMapping({ 'bin/tool': 'opt/' }, tree).get('bin/tool')).toBe('opt/tool');
  });
  it('a leading slash on the destination is stripped', () => {
    expect(organizeMapping({ 'bin/tool': '/usr/bin/tool' }, tree).get('bin/tool')).toBe('usr/bin/tool');
  });
  it('an explicit directory key moves the whole tree', () => {
    const m = organizeMapping({ share: 'usr/share' }, tree);
    expect([m.get('share/a'), m.get('share/b')]).toEqual(['usr/share/a', 'usr/share/b']);
  });
  it('a glob key skips hidden names (glob module, not pathlib)', () => {
    const m = organizeMapping({ 'bin/*': 'sbin/' }, tree);
    expect(m.get('bin/tool')).toBe('sbin/tool');
    expect(m.get('bin/.hidden')).toBe('bin/.hidden');
  });
  it('several sources into one file is refused', () => {
    expect(() => organizeMapping({ 'share/*': 'one' }, [...tree, f('one')])).toThrow(CraftSemanticsError);
  });
  it('an existing destination file is refused', () => {
    expect(() => organizeMapping({ 'share/a': 'share/b' }, tree)).toThrow(/already exists/);
  });
  it('a missing literal source is silently ignored', () => {
    expect(organizeMapping({ nope: 'x' }, tree).get('bin/tool')).toBe('bin/tool');
  });
});

describe('validateOrganize / validateStage', () => {
  it('rejects sources and destinations escaping the install dir', () => {
    expect(validateOrganize({ '../x': 'y', '/abs': 'z', ok: '../../up', fine: '/usr/ok' }).map((p) => p.message)).toEqual([
      "organize: source '../x' escapes the install dir through '..'",
      "organize: source '/abs' is absolute; it must be relative to the install dir",
      "organize: destination '../../up' (for 'ok') escapes the install dir through '..'",
    ]);
  });
  it('rejects stage entries that are empty, absolute or climb out', () => {
    expect(validateStage(['ok/*', '-../x', '/abs', '-', 'a/../../b']).map((p) => p.key)).toEqual(['-../x', '/abs', '-', 'a/../../b']);
  });
});
