import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../../src/errors.js';
import {
  detectLineEnding,
  diffRecords,
  isUnhashedRow,
  parseRecord,
  regenerateRecord,
  resolveRecordPath,
  serializeRecord,
  type RecordRow,
} from '../../../src/python/dist/record.js';
import { sha256RecordDigest } from '../../../src/util/hash.js';
import { pythonOrSkip, skipTitle } from '../../helpers/python.js';
import { pythonJson } from '../env/venv-builder.js';
import { pyenvSitePackages } from './corpus.js';

const PROPS = { seed: 42, numRuns: 500, interruptAfterTimeLimit: 10_000 };

// Paths as RECORD can hold them: commas, quotes, unicode, spaces, even newlines.
const pathArb = fc
  .array(fc.oneof(fc.constantFrom(',', '"', "'", ' ', '/', '\n', '\r', 'é', '日', '../', '.py', '=', '\t'), fc.string({ minLength: 1, maxLength: 6 })), { minLength: 1, maxLength: 8 })
  .map((parts) => parts.join(''))
  .filter((p) => p !== '');
const rowArb: fc.Arbitrary<RecordRow> = fc.record(
  {
    path: pathArb,
    algorithm: fc.constantFrom('sha256', 'sha512'),
    digest: fc.base64String({ maxLength: 44 }).map((s) => s.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')),
    size: fc.nat({ max: 2 ** 40 }),
  },
  { requiredKeys: ['path'] },
).map((r) => {
  // The hash field is all or nothing: `algorithm=digest` or empty.
  const { algorithm, digest, ...rest } = r;
  return algorithm !== undefined ? { ...rest, algorithm, digest: digest ?? '' } : rest;
});
const endingArb = fc.constantFrom('\r\n' as const, '\n' as const);

const strip = (rows: RecordRow[]): RecordRow[] => rows.map(({ raw: _raw, ...r }) => r);

describe('parseRecord / serializeRecord', () => {
  it('round-trips generated rows for both line endings', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { minLength: 1, maxLength: 20 }), endingArb, (rows, eol) => {
        const text = serializeRecord(rows, eol);
        const back = parseRecord(text);
        expect(strip(back)).toEqual(rows);
        expect(back.map((r) => r.raw).join('')).toBe(text);
        // Without each row's text (what classification keeps): the same rows, and no `raw` key at all.
        const lean = parseRecord(text, { raw: false });
        expect(lean).toEqual(strip(back));
        expect(lean.some((r) => 'raw' in r)).toBe(false);
        expect(serializeRecord(back, detectLineEnding(text))).toBe(text);
      }),
      PROPS,
    );
  });

  it('names the line of a malformed row', () => {
    expect(() => parseRecord('a,sha256=x,1\r\nb,c\r\n')).toThrow(/expected 3 fields, found 2 at line 2/);
    expect(() => parseRecord('a,sha256=x,1\n\nb,,x\n', { raw: false })).toThrow(/size "x" is not a number at line 3/);
  });

  it('throws nothing but FormatError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parseRecord(text);
        } catch (e) {
          expect(e).toBeInstanceOf(FormatError);
        }
      }),
      PROPS,
    );
  });

  it('parses without the rows\' text exactly as with it: the same rows, or the same error and line', () => {
    const outcome = (f: () => RecordRow[]): { rows: RecordRow[] } | { error: string } => {
      try {
        return { rows: f() };
      } catch (e) {
        return { error: (e as Error).message };
      }
    };
    const row = fc.oneof(rowArb.map((r) => serializeRecord([r], '\n')), fc.constantFrom('a,b\n', 'x,,y\n', '\n', '"q,1\n', 'p,md5,1\r\n', ',,\n'));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.array(row, { maxLength: 8 }).map((r) => r.join(''))), (text) => {
        const full = outcome(() => strip(parseRecord(text)));
        expect(outcome(() => parseRecord(text, { raw: false }))).toEqual(full);
      }),
      PROPS,
    );
  });

  const py = pythonOrSkip('3.11');
  it.skipIf(!py)(skipTitle("writes exactly what Python's csv.writer (pip's writer) writes", '3.11', py), async () => {
    const samples = fc.sample(fc.array(rowArb, { minLength: 1, maxLength: 10 }), { seed: 42, numRuns: 300 });
    const asFields = samples.map((rows) => rows.map((r) => [r.path, r.algorithm !== undefined ? `${r.algorithm}=${r.digest ?? ''}` : '', r.size !== undefined ? String(r.size) : '']));
    // pip: csv.writer on a file opened with newline="" (default dialect, "\r\n").
    const code = [
      'import csv, io, json, sys',
      'out = []',
      'for rows in json.load(sys.stdin):',
      '    f = io.StringIO(newline="")',
      '    csv.writer(f).writerows(rows)',
      '    out.append(f.getvalue())',
      'print(json.dumps(out))',
    ].join('\n');
    const expected = await pythonJson<string[]>(py?.exe ?? '', code, JSON.stringify(asFields));
    expect(expected).toHaveLength(samples.length);
    samples.forEach((rows, i) => expect(serializeRecord(rows, '\r\n')).toBe(expected[i]));
  });
});

describe('real RECORD files of the pyenv interpreters', () => {
  const sites = pyenvSitePackages();
  const title = sites.length > 0 ? 'parse and re-serialise byte-identically' : 'parse and re-serialise byte-identically [skipped: no interpreter found]';
  it.skipIf(sites.length === 0)(title, () => {
    let files = 0;
    for (const site of sites) {
      for (const d of site.distInfoDirs) {
        const p = join(site.dir, d, 'RECORD');
        if (!existsSync(p)) continue;
        const text = readFileSync(p, 'utf8');
        const rows = parseRecord(text);
        expect(serializeRecord(rows, detectLineEnding(text)), p).toBe(text);
        expect(rows.map((r) => r.raw).join('')).toBe(text);
        // RECORD lists itself with empty hash and size.
        expect(rows.find((r) => r.path === `${d}/RECORD`), p).toEqual({ path: `${d}/RECORD`, raw: expect.any(String) });
        files++;
      }
    }
    expect(files).toBeGreaterThan(0);
  });

});

describe('regenerateRecord', () => {
  it('reports missing files and escaping rows and keeps them unchanged', () => {
    const content = new TextEncoder().encode('print("hi")\n');
    const text = serializeRecord([
      { path: '../../../bin/tool', algorithm: 'sha256', digest: 'x', size: 1 },
      { path: 'pkg/mod.py', algorithm: 'sha256', digest: sha256RecordDigest(content), size: content.length },
      { path: 'pkg/__pycache__/mod.cpython-311.pyc' },
      { path: 'pkg/gone.py', algorithm: 'sha256', digest: 'y', size: 2 },
      { path: '../../../../etc/passwd', algorithm: 'sha256', digest: 'z', size: 3 },
      { path: 'pkg-1.0.dist-info/RECORD' },
    ]);
    const rows = parseRecord(text);
    const seen: string[] = [];
    const res = regenerateRecord(
      rows,
      (rel) => {
        seen.push(rel);
        return rel.endsWith('/pkg/gone.py') ? 'missing' : content;
      },
      { sitePackagesDir: 'lib/python3.11/site-packages' },
    );
    expect(seen).toEqual(['bin/tool', 'lib/python3.11/site-packages/pkg/mod.py', 'lib/python3.11/site-packages/pkg/gone.py']);
    expect(res.changed).toEqual(['bin/tool']);
    expect(res.missing).toEqual(['lib/python3.11/site-packages/pkg/gone.py']);
    expect(res.escaping).toEqual(['../../../../etc/passwd']);
    expect(res.rows[0]).toEqual({ path: '../../../bin/tool', algorithm: 'sha256', digest: sha256RecordDigest(content), size: content.length });
    expect(res.rows.slice(1)).toEqual(rows.slice(1));
  });

  it('resolves row paths with posix normalisation', () => {
    expect(resolveRecordPath('lib/python3.11/site-packages', '../../../bin/flask')).toBe('bin/flask');
    expect(resolveRecordPath('lib/python3.11/site-packages', './a/../b.py')).toBe('lib/python3.11/site-packages/b.py');
    expect(resolveRecordPath('lib/python3.11/site-packages', '../../../../x')).toBeUndefined();
    expect(resolveRecordPath('lib/python3.11/site-packages', '/usr/bin/x')).toBeUndefined();
    expect(isUnhashedRow('a/__pycache__/b.cpython-311.pyc')).toBe(true);
    expect(isUnhashedRow('a-1.dist-info/RECORD')).toBe(true);
    expect(isUnhashedRow('a/RECORD')).toBe(false);
  });

  it('joins plain row paths without normalising, exactly as normalising would', () => {
    // The definition: join, normalise, refuse what leaves the install dir.
    const reference = (site: string, row: string): string | undefined => {
      if (row.startsWith('/')) return undefined;
      const p = posix.normalize(posix.join(site, row));
      return p === '..' || p.startsWith('../') || p.startsWith('/') || p === '.' ? undefined : p;
    };
    const segment = fc.constantFrom('a', 'bin', 'x.py', '', '.', '..', '...', '.h', 'a..', 'é', ' ', '\n', 'site-packages');
    const pathOf = fc.array(segment, { minLength: 1, maxLength: 6 }).map((s) => s.join('/'));
    fc.assert(
      fc.property(fc.oneof(pathOf, fc.constant('lib/python3.11/site-packages')), pathOf, (site, row) => {
        expect(resolveRecordPath(site, row)).toBe(reference(site, row));
      }),
      { ...PROPS, numRuns: 3000 },
    );
  });
});

describe('diffRecords', () => {
  it('pairs rows by path and keeps only those that differ', () => {
    fc.assert(
      fc.property(fc.uniqueArray(rowArb, { selector: (r) => r.path, maxLength: 15 }), fc.nat(), (rows, k) => {
        expect(diffRecords(rows, rows)).toEqual([]);
        if (rows.length === 0) return;
        const i = k % rows.length;
        const changed = rows.map((r, j) => (j === i ? { ...r, size: (r.size ?? 0) + 1 } : r));
        expect(diffRecords(rows, changed).map((d) => d.path)).toEqual([rows[i]?.path]);
        expect(diffRecords(rows, rows.slice(1)).map((d) => d.path)).toEqual([rows[0]?.path]);
      }),
      PROPS,
    );
  });
});
