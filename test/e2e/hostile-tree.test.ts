/**
 * Hostile part contents (issue 7): every input gets a correct verdict or a warning, within bounded time,
 * and nothing outside the parts is read.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyse } from '../../src/run.js';
import { scan } from '../../src/scan/scan.js';
import { DiskFileSource } from '../../src/scan/file-source.js';
import { classify } from '../../src/classify/classify.js';
import { projectFromPartArgs } from '../../src/scan/project.js';
import { examplePart } from '../helpers/tree.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function parts(names: string[]): { dir: string; root: (p: string) => string; args: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'stagefix-hostile-'));
  dirs.push(dir);
  const root = (p: string): string => join(dir, 'parts', p, 'install');
  for (const n of names) mkdirSync(root(n), { recursive: true });
  return { dir, root, args: names.map((n) => `${n}=${root(n)}`) };
}

const run = async (p: ReturnType<typeof parts>) => (await analyse(projectFromPartArgs(p.args, p.dir))).report;

describe('hostile trees', () => {
  it('symlink loops are compared as links, never followed', async () => {
    const p = parts(['a', 'b']);
    for (const n of ['a', 'b']) {
      symlinkSync('loop2', join(p.root(n), 'loop1'));
      symlinkSync('loop1', join(p.root(n), 'loop2'));
    }
    symlinkSync('self', join(p.root('a'), 'self'));
    symlinkSync('./self/', join(p.root('b'), 'self'));
    const r = await run(p);
    // Same targets: no collision; `self` vs `./self/` normalise equal in craft-parts >= 2.34.
    expect(r.findings.filter((f) => f.pairs.length > 0)).toEqual([]);
    // The loops are still reported, as broken links in the staged tree (environment findings).
    expect(new Set(r.findings.map((f) => `${f.rule} ${f.path}`))).toEqual(new Set(['broken-link loop1', 'broken-link loop2', 'broken-link self']));
  });

  it('links out of the tree are judged by their targets, without reading them', async () => {
    const p = parts(['a', 'b']);
    symlinkSync('/etc/passwd', join(p.root('a'), 'secret'));
    symlinkSync('/etc/shadow', join(p.root('b'), 'secret'));
    const r = await run(p);
    const f = r.findings.find((x) => x.path === 'secret');
    expect(f?.rule).toBe('symlink');
    expect(f?.verdict).toBe('real');
    expect(JSON.stringify(f?.evidence)).not.toMatch(/root:x:0/);
  });

  it('fifos, sockets and device-less specials collide, as in craft-parts', async () => {
    const p = parts(['a', 'b']);
    for (const n of ['a', 'b']) execFileSync('mkfifo', [join(p.root(n), 'fifo')]);
    const servers = await Promise.all(
      ['a', 'b'].map(
        (n) =>
          new Promise<ReturnType<typeof createServer>>((resolve) => {
            const s = createServer();
            s.listen(join(p.root(n), 'sock'), () => resolve(s));
          }),
      ),
    );
    try {
      const r = await run(p);
      expect(r.findings.map((f) => [f.path, f.rule, f.verdict])).toEqual([
        ['fifo', 'file-type', 'real'],
        ['sock', 'file-type', 'real'],
      ]);
    } finally {
      servers.forEach((s) => s.close());
    }
  });

  it('empty files, long names and deep paths', async () => {
    const p = parts(['a', 'b']);
    const long = 'n'.repeat(255);
    let deep = '';
    for (let i = 0; i < 40; i++) deep += `${'d'.repeat(50)}/`;
    for (const n of ['a', 'b']) {
      writeFileSync(join(p.root(n), 'empty'), '');
      writeFileSync(join(p.root(n), long), n === 'a' ? 'one' : 'two');
      mkdirSync(join(p.root(n), deep), { recursive: true });
      writeFileSync(join(p.root(n), deep, 'leaf'), 'same');
    }
    const r = await run(p);
    expect(r.findings.map((f) => f.path)).toEqual([long]);
  });

  it('huge sparse files are streamed: equal ones agree, a one-byte difference at the end is real', async () => {
    const p = parts(['a', 'b', 'c']);
    const size = 1 << 30;
    for (const n of ['a', 'b', 'c']) {
      const file = join(p.root(n), 'sparse.img');
      writeFileSync(file, '');
      truncateSync(file, size);
    }
    const fd = openSync(join(p.root('c'), 'sparse.img'), 'r+');
    writeSync(fd, 'x', size - 1);
    closeSync(fd);
    const started = Date.now();
    const r = await run(p);
    expect(Date.now() - started).toBeLessThan(60_000);
    const f = r.findings.find((x) => x.path === 'sparse.img');
    expect(f?.pairs).toEqual([
      ['a', 'c'],
      ['b', 'c'],
    ]);
    expect(f?.verdict).toBe('real');
  });

  it('corrupt or truncated pyc, RECORD and METADATA give explained real/unknown verdicts', async () => {
    const p = parts(['a', 'b']);
    const pyc = 'lib/python3.11/site-packages/flask/__pycache__/app.cpython-311.pyc';
    const src = 'lib/python3.11/site-packages/flask/app.py';
    const real = (part: string) => execFileSync('cat', [examplePart(part, pyc)]);
    for (const [n, from] of [['a', 'flask-a'], ['b', 'flask-b']] as const) {
      mkdirSync(join(p.root(n), 'lib/python3.11/site-packages/flask/__pycache__'), { recursive: true });
      mkdirSync(join(p.root(n), 'lib/python3.11/site-packages/x-1.dist-info'), { recursive: true });
      writeFileSync(join(p.root(n), src), execFileSync('cat', [examplePart(from, src)]));
      // Truncated in a: the header survives, the marshal body does not.
      const bytes = real(from);
      writeFileSync(join(p.root(n), pyc), n === 'a' ? bytes.subarray(0, 40) : bytes);
      writeFileSync(join(p.root(n), 'lib/python3.11/site-packages/x-1.dist-info/RECORD'), n === 'a' ? 'a,"unterminated\n' : 'x/__init__.py,sha256=AAAA,5\n');
      writeFileSync(join(p.root(n), 'lib/python3.11/site-packages/x-1.dist-info/METADATA'), n === 'a' ? '\u0000\u0001garbage' : 'Metadata-Version: 2.1\nName: x\nVersion: 1\n');
    }
    const r = await run(p);
    const byPath = new Map(r.findings.map((f) => [f.path as string, f]));
    expect(byPath.get(pyc)).toMatchObject({ verdict: 'real', unknown: true, rule: 'python-bytecode', messageId: 'corrupt' });
    expect(byPath.get('lib/python3.11/site-packages/x-1.dist-info/RECORD')).toMatchObject({ verdict: 'real', unknown: true, rule: 'pip-record' });
    expect(byPath.get('lib/python3.11/site-packages/x-1.dist-info/METADATA')?.verdict).toBe('real');
  });

  it('device files collide like other specials (character devices made with mknod, as root)', async () => {
    const p = parts(['a', 'b']);
    try {
      for (const n of ['a', 'b']) execFileSync('mknod', [join(p.root(n), 'null'), 'c', '1', '3']);
    } catch {
      // Not root (or no CAP_MKNOD): nothing to test here, said in the assertion below.
      expect(process.getuid?.()).not.toBe(0);
      return;
    }
    const r = await run(p);
    expect(r.findings.map((f) => [f.path, f.rule, f.messageId])).toEqual([['null', 'file-type', 'special']]);
  });

  it('a file that changes between the scan and classification gives an explained real/unknown verdict', async () => {
    const p = parts(['a', 'b']);
    const py = 'lib/python3.11/site-packages/flask/app.py';
    for (const [n, from] of [['a', 'flask-a'], ['b', 'flask-b']] as const) {
      mkdirSync(join(p.root(n), 'lib/python3.11/site-packages/flask/__pycache__'), { recursive: true });
      writeFileSync(join(p.root(n), py), execFileSync('cat', [examplePart(from, py)]));
      writeFileSync(join(p.root(n), 'lib/python3.11/site-packages/flask/__pycache__/app.cpython-311.pyc'), execFileSync('cat', [examplePart(from, 'lib/python3.11/site-packages/flask/__pycache__/app.cpython-311.pyc')]));
    }
    const { projectFromPartArgs: fromArgs } = await import('../../src/scan/project.js');
    const result = await scan(fromArgs(p.args, p.dir));
    // The pyc in part b is replaced after the scan saw it: the rule must notice, not trust stale facts.
    writeFileSync(join(p.root('b'), 'lib/python3.11/site-packages/flask/__pycache__/app.cpython-311.pyc'), 'not a pyc any more');
    const findings = await classify(new DiskFileSource(result), result.collisions);
    const f = findings.find((x) => x.path.endsWith('app.cpython-311.pyc'));
    expect(f?.verdict).toBe('real');
    expect(f?.unknown).toBe(true);
    expect(f?.reason).toMatch(/changed|replaced|cannot be read/);
  });

  it('a corrupt pyvenv.cfg is judged, not trusted and not a crash', async () => {
    const p = parts(['a', 'b']);
    writeFileSync(join(p.root('a'), 'pyvenv.cfg'), Buffer.from([0xff, 0xfe, 0x00, 0x3d, 0x3d, 0x0a, 0x68, 0x6f, 0x6d, 0x65]));
    writeFileSync(join(p.root('b'), 'pyvenv.cfg'), execFileSync('cat', [examplePart('flask-b', 'pyvenv.cfg')]));
    const r = await run(p);
    expect(r.findings.find((f) => f.path === 'pyvenv.cfg')?.verdict).toBe('real');
  });

  it('non-UTF-8 file names are kept apart, not merged or lost by lossy decoding', async () => {
    const p = parts(['a', 'b']);
    const name = (root: string, byte: number): Buffer => Buffer.concat([Buffer.from(`${root}/caf`), Buffer.from([byte])]);
    // Same undecodable name in both parts with different bytes: a real collision that must be seen.
    writeFileSync(name(p.root('a'), 0xe9), 'latin-1 e-acute, part a');
    writeFileSync(name(p.root('b'), 0xe9), 'latin-1 e-acute, part b');
    // A different undecodable name that a lossy decoder would fold onto the first.
    writeFileSync(name(p.root('b'), 0xe8), 'latin-1 e-grave');
    const r = await run(p);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]?.verdict).toBe('real');
    expect(r.warnings.filter((w) => w.code === 'changed-during-scan')).toEqual([]);
  });
});
