import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../../src/errors.js';
import { parseMetadata } from '../../../src/python/dist/metadata.js';
import { normalizeName, parseDistDirName } from '../../../src/python/dist/names.js';
import { pyenvSitePackages } from './corpus.js';

const PROPS = { seed: 42, numRuns: 500, interruptAfterTimeLimit: 10_000 };

describe('parseMetadata', () => {
  it('throws nothing but FormatError on arbitrary text', () => {
    const lineArb = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('Name: x', 'Version: 1', '', ' cont', 'Requires-Dist: y'));
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 12 }), (lines) => {
        try {
          const md = parseMetadata(lines.join('\n'));
          expect(md.name).not.toBe('');
        } catch (e) {
          expect(e).toBeInstanceOf(FormatError);
        }
      }),
      PROPS,
    );
  });

  const sites = pyenvSitePackages();
  it.skipIf(sites.length === 0)('reads every METADATA of the pyenv interpreters, agreeing with the dist-info dir name', () => {
    let n = 0;
    for (const site of sites) {
      for (const d of site.distInfoDirs) {
        const md = parseMetadata(readFileSync(join(site.dir, d, 'METADATA'), 'utf8'));
        const dir = parseDistDirName(d);
        expect(dir?.normalized, d).toBe(normalizeName(md.name));
        expect(dir?.version, d).toBe(md.version);
        n++;
      }
    }
    expect(n).toBeGreaterThan(0);
  });
});

describe('names', () => {
  it('normalizeName is PEP 503 (idempotent, separators collapse, case folds)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/), (name) => {
        const n = normalizeName(name);
        expect(normalizeName(n)).toBe(n);
        expect(n).not.toMatch(/[A-Z_.]|--/);
        expect(normalizeName(name.toUpperCase().replace(/-/g, '_'))).toBe(n);
      }),
      PROPS,
    );
  });

  it('parses egg-info names and rejects what is neither', () => {
    expect(parseDistDirName('foo_bar-1.0-py3.11.egg-info')).toEqual({ kind: 'egg-info', name: 'foo_bar', normalized: 'foo-bar', version: '1.0', pyVersion: 'py3.11' });
    expect(parseDistDirName('foo.egg-info')).toEqual({ kind: 'egg-info', name: 'foo', normalized: 'foo' });
    expect(parseDistDirName('zope.interface-6.0.dist-info')).toMatchObject({ name: 'zope.interface', normalized: 'zope-interface', version: '6.0' });
    expect(parseDistDirName('flask')).toBeUndefined();
    expect(parseDistDirName('-1.0.dist-info')).toBeUndefined();
  });
});
