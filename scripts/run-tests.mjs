// `npm test`: runs the whole vitest suite, then prints the plain closing line CI reads
// ("N passed, N failed, N skipped") from vitest's JSON report. Exits non-zero when a test failed, the
// report is missing (vitest crashed) or no test ran at all.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';

const out = '.cache/vitest.json';
mkdirSync('.cache', { recursive: true });
rmSync(out, { force: true });
const run = spawnSync(
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
let report;
try {
  report = JSON.parse(readFileSync(out, 'utf8'));
} catch (e) {
  console.error(`run-tests: vitest wrote no report (${e.message}); exit status ${run.status}`);
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
const failed = (report.numFailedTests ?? 0) + (report.numFailedTestSuites ?? 0);
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 || run.status !== 0 ? 1 : 0);
