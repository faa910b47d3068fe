/**
 * The exit-code contract of `check` (docs/ci.md): 0 when nothing fails, 1 when a non-accepted real
 * finding exists (or, with `fail-on: benign`, any non-accepted finding). Accepted findings never fail.
 * 2 belongs to the CLI, for usage, configuration and I/O errors.
 */
import type { Report } from '../model.js';
import type { FailOn } from './types.js';

export function exitCode(report: Report, failOn: FailOn): 0 | 1 {
  return report.findings.some((f) => f.accepted === undefined && (failOn === 'benign' || f.verdict === 'real')) ? 1 : 0;
}
