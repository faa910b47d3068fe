import { readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { examplePart, treeRunner } from '../../helpers/tree.js';

const SP = 'lib/python3.11/site-packages';
const run = treeRunner(afterAll);
const pipRecord = (part: string): string => {
  const dist = readdirSync(examplePart(part, SP)).find((d) => /^pip-.*\.dist-info$/.test(d));
  return `${SP}/${dist}/RECORD`;
};
/** The RECORD plus the files its differing rows name: pip's console scripts. */
const withScripts = (part: string, record: string) => ({
  [record]: { from: examplePart(part, record) },
  'bin/pip': { from: examplePart(part, 'bin/pip') },
  'bin/pip3': { from: examplePart(part, 'bin/pip3') },
  'bin/pip3.11': { from: examplePart(part, 'bin/pip3.11') },
});

describe('pip-record', () => {
  it('benign: pip hashed the console scripts before the shebang rewrite; the scripts are identical now', async () => {
    const record = pipRecord('flask-a');
    expect(pipRecord('flask-b')).toBe(record);
    const f = await run({ 'flask-a': withScripts('flask-a', record), 'flask-b': withScripts('flask-b', record) });
    const finding = f.finding(record);
    expect(finding?.rule).toBe('pip-record');
    expect(finding?.verdict).toBe('benign');
    expect(finding?.reason).toContain('bin/pip');
  });

  it('real: numpy 1.26.4 and 2.2.6 RECORDs list different files', async () => {
    const dist = (part: string): string => `${SP}/${readdirSync(examplePart(part, SP)).find((d) => d.startsWith('numpy-'))}/RECORD`;
    // Different versions live in different dist-info dirs: put both at one path to compare them.
    const path = `${SP}/numpy.dist-info/RECORD`;
    const f = await run({
      'numpy-old': { [path]: { from: examplePart('numpy-old', dist('numpy-old').slice(0)) } },
      'numpy-new': { [path]: { from: examplePart('numpy-new', dist('numpy-new')) } },
    });
    const finding = f.finding(path);
    expect(finding?.rule).toBe('pip-record');
    expect(finding?.verdict).toBe('real');
  });

  it('real: a differing row whose file is missing on disk cannot be vouched for', async () => {
    const record = pipRecord('flask-a');
    const f = await run({
      'flask-a': { [record]: { from: examplePart('flask-a', record) } },
      'flask-b': { [record]: { from: examplePart('flask-b', record) } },
    });
    expect(f.finding(record)?.verdict).toBe('real');
  });

  it('not applicable: a METADATA file is not a RECORD', async () => {
    const meta = (part: string): string => `${SP}/${readdirSync(examplePart(part, SP)).find((d) => d.startsWith('numpy-'))}/METADATA`;
    const path = `${SP}/numpy.dist-info/METADATA`;
    const f = await run({
      'numpy-old': { [path]: { from: examplePart('numpy-old', meta('numpy-old')) } },
      'numpy-new': { [path]: { from: examplePart('numpy-new', meta('numpy-new')) } },
    });
    expect(f.finding(path)?.rule).not.toBe('pip-record');
  });
});
