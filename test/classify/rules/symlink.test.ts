import { afterAll, describe, expect, it } from 'vitest';
import { readlinkSync } from 'node:fs';
import { examplePart, treeRunner } from '../../helpers/tree.js';

const run = treeRunner(afterAll);

describe('symlink', () => {
  it('benign: a relative and an absolute spelling of the same interpreter', async () => {
    const f = await run({
      a: { 'usr/bin/python3.12': { text: '' }, 'bin/py': { symlink: '../usr/bin/python3.12' } },
      b: { 'usr/bin/python3.12': { text: '' }, 'bin/py': { symlink: '/root/parts/b/install/usr/bin/python3.12' } },
    });
    const finding = f.finding('bin/py');
    expect(finding?.rule).toBe('symlink');
    expect(finding?.verdict).toBe('benign');
    expect(finding?.reason).toContain('usr/bin/python3.12');
  });

  it('real: the example venvs point bin/python3 at different interpreters (3.11 vs 3.12)', async () => {
    // The exact links the python plugin recipe left in the example parts.
    const f = await run({
      'flask-a': {
        'bin/python3': { symlink: readlinkSync(examplePart('flask-a', 'bin/python3')) },
      },
      'click-py312': {
        'bin/python3': { symlink: readlinkSync(examplePart('click-py312', 'bin/python3')) },
        'bin/python3.12': { symlink: readlinkSync(examplePart('click-py312', 'bin/python3.12')) },
      },
    });
    const finding = f.finding('bin/python3');
    expect(finding?.rule).toBe('symlink');
    expect(finding?.verdict).toBe('real');
    expect(finding?.messageId).toBe('interpreters');
    expect(finding?.reason).toMatch(/python3\.1[12].*python3\.1[12]/);
  });

  it('not applicable: a link against a file is a type conflict', async () => {
    const f = await run({ a: { x: { symlink: 'y' }, y: { text: '1' } }, b: { x: { text: '1' } } });
    expect(f.finding('x')?.rule).toBe('file-type');
  });
});
