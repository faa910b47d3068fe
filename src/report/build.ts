/** Assembles the Report (the data every format renders) from a scan and its classified findings. */
import type { Finding, Report } from '../model.js';
import type { ScanResult } from '../scan/scan.js';

export function buildReport(result: ScanResult, findings: Finding[], durationMs: number): Report {
  const warnings = [...result.warnings];
  for (const m of result.modeWarnings) {
    warnings.push({
      code: 'mode-differs',
      path: m.path,
      message: `identical contents but different modes: ${m.modes.map((x) => `${x.part} ${x.mode.toString(8).padStart(4, '0')}`).join(', ')} (the part staged last wins)`,
    });
  }
  const order = (f: Finding): number => (f.verdict === 'real' ? 0 : 1);
  const sorted = [...findings].sort((x, y) => order(x) - order(y) || (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  return {
    schemaVersion: 1,
    project: {
      kind: result.project.kind,
      root: result.project.root,
      ...(result.project.file !== undefined ? { file: result.project.file } : {}),
      ...(result.project.name !== undefined ? { name: result.project.name } : {}),
    },
    parts: result.parts.map((p) => ({
      name: p.spec.name,
      installDir: p.spec.installDir,
      built: p.built,
      entries: p.entries.size,
      ...(p.spec.line !== undefined ? { line: p.spec.line } : {}),
    })),
    findings: sorted,
    warnings,
    stats: { ...result.stats, durationMs },
  };
}
