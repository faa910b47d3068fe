/**
 * pyvenv.cfg, activate scripts and interpreter evidence on real venvs: every interpreter 3.6–3.13, two
 * venvs each at different paths, both dirs named `install` like a craft part's. `--without-pip` keeps
 * this fast; it only changes the `command` line of 3.11+ pyvenv.cfg, the same way for both venvs.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateKind, activateVenvPath, normalizeActivate, relocatableActivate } from '../../../src/python/env/activate.js';
import { interpreterFromVenv } from '../../../src/python/env/interpreter.js';
import { normalizePyvenvCfg, parsePyvenvCfg } from '../../../src/python/env/pyvenv.js';
import { ALL_MINORS, findPython, pythonOrSkip, skipTitle } from '../../helpers/python.js';
import { makeVenv, pythonJson } from './venv-builder.js';

const root = mkdtempSync(join(tmpdir(), 'stagefix-venvs-'));
const pair = (minor: string) => [join(root, minor, 'part-a', 'install'), join(root, minor, 'part-b-longer', 'install')] as const;
const found = ALL_MINORS.filter((m) => findPython(m));

beforeAll(async () => {
  // Two at a time: a CI runner has two cores.
  const jobs = found.flatMap((m) => pair(m).map((dir) => () => makeVenv(findPython(m)!, dir, { withoutPip: true })));
  const worker = async () => {
    for (let job = jobs.shift(); job; job = jobs.shift()) await job();
  };
  await Promise.all([worker(), worker()]);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const read = (dir: string, rel: string) => readFileSync(join(dir, rel), 'utf8');
const SCRIPTS = ['bin/activate', 'bin/activate.csh', 'bin/activate.fish', 'bin/Activate.ps1'];

describe.each(ALL_MINORS.map((m) => [m]))('python%s venv', (minor) => {
  const py = pythonOrSkip(minor);

  it.skipIf(!py)(skipTitle('pyvenv.cfg parses and normalises to the same text at both paths', minor, py), () => {
    const [a, b] = pair(minor);
    const cfg = parsePyvenvCfg(read(a, 'pyvenv.cfg'));
    expect(cfg.version).toBe(py?.version);
    expect(cfg.home).toBe(join(py?.exe ?? '', '..'));
    expect(cfg.includeSystemSitePackages).toBe(false);
    const na = normalizePyvenvCfg(read(a, 'pyvenv.cfg'), [a]);
    expect(na).toBe(normalizePyvenvCfg(read(b, 'pyvenv.cfg'), [b]));
    expect(na).not.toContain(root);
    expect(normalizePyvenvCfg(na, [a])).toBe(na);
    // The staging fact: identical raw files up to 3.10, different from 3.11 (`command` names the venv).
    expect(read(a, 'pyvenv.cfg') === read(b, 'pyvenv.cfg')).toBe(['3.6', '3.7', '3.8', '3.9', '3.10'].includes(minor));
  });

  it.skipIf(!py)(skipTitle('activate scripts normalise to the same text at both paths', minor, py), () => {
    const [a, b] = pair(minor);
    const present = SCRIPTS.filter((s) => readdirSync(join(a, 'bin')).includes(s.slice(4)));
    expect(present.length).toBeGreaterThanOrEqual(3);
    for (const s of present) {
      const na = normalizeActivate(read(a, s), [a]);
      expect(na, s).toBe(normalizeActivate(read(b, s), [b]));
      expect(na, s).not.toContain(root);
      expect(normalizeActivate(na, [a]), s).toBe(na);
      const kind = activateKind(s.slice(4));
      if (kind !== 'ps1') {
        expect(read(a, s), s).not.toBe(read(b, s));
        expect(activateVenvPath(read(a, s), kind ?? 'bash'), s).toBe(a);
      }
    }
  });

  it.skipIf(!py)(skipTitle('a relocatable bin/activate finds its venv where it is copied (bash)', minor, py), () => {
    const [a] = pair(minor);
    const moved = join(root, minor, 'moved', 'with space', 'install');
    mkdirSync(join(moved, 'bin'), { recursive: true });
    const text = relocatableActivate(read(a, 'bin/activate'), 'bash');
    writeFileSync(join(moved, 'bin', 'activate'), text);
    const out = execFileSync('bash', ['-c', 'cd / && . "$1" && printf "%s\\n%s\\n%s" "$VIRTUAL_ENV" "${PATH%%:*}" "${_stagefix_venv-gone}"; deactivate; printf "\\n%s" "${VIRTUAL_ENV-unset}"', 'x', join(moved, 'bin', 'activate')], { encoding: 'utf8' });
    expect(out.split('\n')).toEqual([moved, join(moved, 'bin'), 'gone', 'unset']);
    // dash has no way to know the sourced file: it falls back to the build-time path.
    const dash = execFileSync('sh', ['-c', '. "$1" && printf "%s" "$VIRTUAL_ENV"', 'x', join(moved, 'bin', 'activate')], { encoding: 'utf8' });
    expect([moved, a]).toContain(dash);
    // Activate.ps1 (3.8+) already finds its venv at run time.
    if (!['3.6', '3.7'].includes(minor)) expect(relocatableActivate(read(a, 'bin/Activate.ps1'), 'ps1')).toBe(read(a, 'bin/Activate.ps1'));
  });

  it.skipIf(!py)(skipTitle('interpreterFromVenv weighs sysconfigdata, pyvenv.cfg and lib dirs', minor, py), async () => {
    const [a] = pair(minor);
    const truth = await pythonJson<{ soabi: string; ext: string; stdlib: string }>(
      py?.exe ?? '',
      'import json, sysconfig; print(json.dumps({"soabi": sysconfig.get_config_var("SOABI"), "ext": sysconfig.get_config_var("EXT_SUFFIX"), "stdlib": sysconfig.get_paths()["stdlib"]}))',
    );
    const scFile = readdirSync(truth.stdlib).find((f) => f.startsWith('_sysconfigdata_'));
    const libDirs = readdirSync(join(a, 'lib'));
    const full = interpreterFromVenv({ pyvenvCfg: read(a, 'pyvenv.cfg'), libDirs, sysconfigdataText: readFileSync(join(truth.stdlib, scFile ?? ''), 'utf8') });
    expect(full).toMatchObject({ minor, soabi: truth.soabi, extSuffix: truth.ext, disagreeing: [] });
    expect(full?.evidence.map((e) => e.source)).toEqual(['sysconfigdata', 'pyvenv.cfg', 'lib-dir']);
    expect(interpreterFromVenv({ pyvenvCfg: read(a, 'pyvenv.cfg'), libDirs })?.evidence[0]?.source).toBe('pyvenv.cfg');
    expect(interpreterFromVenv({ libDirs })).toMatchObject({ minor, evidence: [{ source: 'lib-dir' }] });
  });
});

describe('across interpreters', () => {
  const [p11, p12] = [pythonOrSkip('3.11'), pythonOrSkip('3.12')];
  it.skipIf(!p11 || !p12)(skipTitle('3.11 and 3.12 venvs stay different after normalisation', '3.12', p11 && p12), () => {
    const [a11] = pair('3.11');
    const [a12] = pair('3.12');
    expect(normalizePyvenvCfg(read(a11, 'pyvenv.cfg'), [a11])).not.toBe(normalizePyvenvCfg(read(a12, 'pyvenv.cfg'), [a12]));
    expect(normalizeActivate(read(a11, 'bin/activate'), [a11])).not.toBe(normalizeActivate(read(a12, 'bin/activate'), [a12]));
    // A 3.12 pyvenv.cfg next to a 3.11 lib dir: a venv re-created over another.
    const mixed = interpreterFromVenv({ pyvenvCfg: read(a12, 'pyvenv.cfg'), libDirs: ['python3.11'] });
    expect(mixed).toMatchObject({ minor: '3.12', disagreeing: [{ source: 'lib-dir', minor: '3.11' }] });
  });
});
