/** Builds `Report` objects for the format tests: a small project with parts a, b, c and findings. */
import * as path from 'node:path';
import type { Finding, PartSummary, Report } from '../../../src/model.js';
import { partName, relPath } from '../../../src/model.js';
import type { FormatContext } from '../../../src/report/formats/types.js';

export const ROOT = '/home/dev/proj';

export function part(name: string, line?: number, installDir?: string): PartSummary {
  return {
    name: partName(name),
    installDir: installDir ?? path.join(ROOT, 'parts', name, 'install'),
    built: true,
    entries: 10,
    ...(line !== undefined ? { line } : {}),
  };
}

export type FindingInput = Omit<Partial<Finding>, 'path' | 'parts'> & { path: string; parts?: string[] };

export function finding(over: FindingInput): Finding {
  const parts = (over.parts ?? ['a', 'b']).map(partName);
  const { path: p, parts: _ignored, ...rest } = over;
  return {
    pairs: parts.length >= 2 ? [[parts[0]!, parts[1]!]] : [],
    kind: 'contents',
    verdict: 'real',
    rule: 'contents',
    messageId: 'differs',
    reason: 'contents differ',
    args: {},
    evidence: { sizes: [1, 2] },
    ...rest,
    path: relPath(p),
    parts,
  };
}

export function report(findings: Finding[], over: Partial<Report> = {}): Report {
  return {
    schemaVersion: 1,
    project: { kind: 'snapcraft', root: ROOT, file: path.join(ROOT, 'snap', 'snapcraft.yaml'), name: 'demo' },
    parts: [part('a', 10), part('b', 20), part('c', 30)],
    findings,
    warnings: [],
    stats: { entries: 100, sharedPaths: findings.length, hashedFiles: 4, hashedBytes: 4096, durationMs: 1234 },
    ...over,
  };
}

export function ctx(over: Partial<FormatContext> = {}): FormatContext {
  return { projectRoot: ROOT, docsBaseUri: 'https://example.test/docs/rules/', toolVersion: '0.1.0', ...over };
}

/** A mix of every kind of finding the reporters must handle. */
export function mixedReport(): Report {
  return report([
    finding({ path: 'usr/lib/python3/dist-packages/x.py' }),
    finding({ path: 'usr/bin/tool', rule: 'file-type', kind: 'type', reason: 'file vs symlink', parts: ['b', 'c'] }),
    finding({ path: 'lib/x/__pycache__/m.cpython-312.pyc', rule: 'python-bytecode', verdict: 'benign', reason: 'same source, different mtime' }),
    finding({ path: 'etc/conf', accepted: { reason: 'upstream ships both', glob: 'etc/**' } }),
    finding({ path: 'lib/foo.so', rule: 'extension-abi', kind: 'environment', reason: 'abi mismatch', parts: ['c'] }),
  ]);
}
