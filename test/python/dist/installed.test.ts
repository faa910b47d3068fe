/**
 * RECORD, METADATA, dist dir names and owners on real venvs built the way the python plugin builds them:
 * two 3.11 venvs at different paths with flask (one also with numpy 1.26.4), then the plugin's shebang
 * rewrite with the real `sed`.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMetadata } from '../../../src/python/dist/metadata.js';
import { normalizeName, parseDistDirName } from '../../../src/python/dist/names.js';
import { ownerIndex, type InstalledDist } from '../../../src/python/dist/owner.js';
import { detectLineEnding, diffRecords, parseRecord, regenerateRecord, resolveRecordPath, serializeRecord } from '../../../src/python/dist/record.js';
import { sha256RecordDigest } from '../../../src/util/hash.js';
import { pythonOrSkip, skipTitle } from '../../helpers/python.js';
import { makeVenv, pipInstall, pythonJson } from '../env/venv-builder.js';

const run = promisify(execFile);
const py = pythonOrSkip('3.11');
const SP = 'lib/python3.11/site-packages';

interface Built {
  install: string;
  dists: string[];
}

/** The python plugin's step 3, verbatim apart from the variable names (craft-parts python_plugin.py). */
async function pluginShebangRewrite(install: string): Promise<void> {
  const script = `find "${install}" -type f -executable -print0 | xargs -0 sed -i "1 s|^#\\!${install}/bin/python3.*$|#!/usr/bin/env python3|"`;
  await run('bash', ['-c', script]);
}

const readRecord = (install: string, dist: string) => parseRecord(readFileSync(join(install, SP, dist, 'RECORD'), 'utf8'));
const lookupIn = (install: string) => (rel: string) => (existsSync(join(install, rel)) ? readFileSync(join(install, rel)) : ('missing' as const));

describe.skipIf(!py)(skipTitle('installed distributions in real venvs', '3.11', py), () => {
  let root = '';
  let a: Built = { install: '', dists: [] };
  let b: Built = { install: '', dists: [] };

  beforeAll(async () => {
    if (!py) return;
    root = mkdtempSync(join(tmpdir(), 'stagefix-dist-'));
    const [ia, ib] = await Promise.all([makeVenv(py, join(root, 'cluster', 'install')), makeVenv(py, join(root, 'openstack', 'install'))]);
    await Promise.all([pipInstall(ia, ['flask==3.1.3', 'numpy==1.26.4']), pipInstall(ib, ['flask==3.1.3'])]);
    const dists = (i: string) => readdirSync(join(i, SP)).filter((d) => d.endsWith('.dist-info')).sort();
    a = { install: ia, dists: dists(ia) };
    b = { install: ib, dists: dists(ib) };
  });
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('every RECORD parses and re-serialises byte-identically', () => {
    expect(a.dists.length).toBeGreaterThanOrEqual(8);
    for (const d of a.dists) {
      const text = readFileSync(join(a.install, SP, d, 'RECORD'), 'utf8');
      expect(detectLineEnding(text)).toBe('\r\n');
      expect(serializeRecord(parseRecord(text), '\r\n'), d).toBe(text);
    }
  });

  it('RECORD differs between parts only in the script rows, and regeneration after the shebang rewrite removes that', async () => {
    const flask = a.dists.find((d) => d.startsWith('flask-')) ?? '';
    const [ra, rb] = [readRecord(a.install, flask), readRecord(b.install, flask)];
    expect(diffRecords(ra, rb).map((d) => d.path)).toEqual(['../../../bin/flask']);

    // Untouched install: nothing to regenerate.
    for (const d of a.dists) {
      const rows = readRecord(a.install, d);
      const res = regenerateRecord(rows, lookupIn(a.install), { sitePackagesDir: SP });
      expect(res, d).toMatchObject({ changed: [], missing: [], escaping: [] });
      expect(res.rows).toEqual(rows);
    }

    await Promise.all([pluginShebangRewrite(a.install), pluginShebangRewrite(b.install)]);
    const flaskScript = readFileSync(join(a.install, 'bin/flask'));
    expect(flaskScript.toString('utf8').split('\n')[0]).toBe('#!/usr/bin/env python3');

    const ga = regenerateRecord(ra, lookupIn(a.install), { sitePackagesDir: SP });
    const gb = regenerateRecord(rb, lookupIn(b.install), { sitePackagesDir: SP });
    expect(ga.changed).toEqual(['bin/flask']);
    expect(ga.rows.find((r) => r.path === '../../../bin/flask')).toEqual({
      path: '../../../bin/flask',
      algorithm: 'sha256',
      digest: sha256RecordDigest(flaskScript),
      size: flaskScript.length,
    });
    expect(ga.rows.filter((r) => r.path !== '../../../bin/flask')).toEqual(ra.filter((r) => r.path !== '../../../bin/flask'));
    expect(diffRecords(ga.rows, gb.rows)).toEqual([]);
    // Identical after regeneration, byte for byte: what makes the RECORD collision benign.
    expect(serializeRecord(ga.rows)).toBe(serializeRecord(gb.rows));

    // Every distribution with console scripts needed the same treatment, and only for bin/ rows.
    for (const d of a.dists) {
      const res = regenerateRecord(readRecord(a.install, d), lookupIn(a.install), { sitePackagesDir: SP });
      for (const p of res.changed) expect(p, d).toMatch(/^bin\//);
    }
  });

  it('METADATA of every distribution parses like importlib.metadata reads it', async () => {
    const oracle = await pythonJson<{ dir: string; name: string; version: string; requires: string[] | null }[]>(
      join(a.install, 'bin/python'),
      [
        'import json, importlib.metadata as m',
        'out = [{"dir": d._path.name, "name": d.metadata["Name"], "version": d.version, "requires": d.requires} for d in m.distributions()]',
        'print(json.dumps(out))',
      ].join('\n'),
    );
    const byDir = new Map(oracle.map((o) => [o.dir, o]));
    for (const d of a.dists) {
      const md = parseMetadata(readFileSync(join(a.install, SP, d, 'METADATA'), 'utf8'));
      const o = byDir.get(d);
      expect(o, d).toBeDefined();
      expect({ name: md.name, version: md.version, requires: md.requiresDist }).toEqual({ name: o?.name, version: o?.version, requires: o?.requires ?? [] });
      const parsed = parseDistDirName(d);
      expect(parsed?.normalized).toBe(normalizeName(md.name));
      expect(parsed?.version).toBe(md.version);
    }
    const versions = Object.fromEntries(a.dists.map((d) => {
      const md = parseMetadata(readFileSync(join(a.install, SP, d, 'METADATA'), 'utf8'));
      return [normalizeName(md.name), md.version];
    }));
    expect(versions).toMatchObject({ flask: '3.1.3', numpy: '1.26.4', werkzeug: expect.stringMatching(/^\d/) });
  });

  it('ownerIndex names the distribution of every recorded file', () => {
    const dists: InstalledDist[] = a.dists.map((d) => {
      const md = parseMetadata(readFileSync(join(a.install, SP, d, 'METADATA'), 'utf8'));
      return { distInfoDir: `${SP}/${d}`, rows: readRecord(a.install, d), name: md.name, version: md.version };
    });
    const idx = ownerIndex(dists);
    expect(idx.get('bin/flask')).toMatchObject({ distribution: 'Flask', version: '3.1.3' });
    const so = readdirSync(join(a.install, SP, 'numpy/core')).find((f) => f.startsWith('_multiarray_umath.'));
    expect(so).toBeDefined();
    expect(idx.get(`${SP}/numpy/core/${so}`)).toMatchObject({ distribution: 'numpy', version: '1.26.4' });
    expect(idx.get(`${SP}/werkzeug/__init__.py`)?.distribution).toMatch(/^werkzeug$/i);
    let rows = 0;
    for (const d of dists) {
      for (const r of d.rows) {
        const rel = resolveRecordPath(SP, r.path);
        expect(rel, r.path).toBeDefined();
        expect(existsSync(join(a.install, rel ?? '')), r.path).toBe(true);
        expect(idx.all(rel ?? '').map((o) => o.distInfoDir)).toContain(d.distInfoDir);
        rows++;
      }
    }
    expect(rows).toBeGreaterThan(1000);
    expect(idx.get(`${SP}/nothing-here.py`)).toBeUndefined();
  });
});
