/**
 * `stagefix report` with the digest cache, for the bench while the CLI has no cache flags: the same
 * pipeline as `analyse()` (scan → classify → report → text), on the built `dist/`, with a DigestCache in
 * the directory given. The bench transpiles this file with esbuild and runs it with plain node, so it
 * starts like `bin/stagefix.js` does.
 *
 *   node report-cached.mjs REPO CACHE_DIR PROJECT_DIR [PARTS_DIR]
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

type Lib = typeof import('../src/index.js');
type Cache = typeof import('../src/scan/cache.js');
type Source = typeof import('../src/scan/file-source.js');
type Build = typeof import('../src/report/build.js');

const [repo, cacheDir, projectDir, partsDir] = process.argv.slice(2);
if (!repo || !cacheDir || !projectDir) throw new Error('usage: report-cached REPO CACHE_DIR PROJECT_DIR [PARTS_DIR]');
const load = async <T>(rel: string): Promise<T> => (await import(pathToFileURL(join(repo, 'dist', rel)).href)) as T;
const lib = await load<Lib>('index.js');
const { DigestCache } = await load<Cache>('scan/cache.js');
const { DiskFileSource } = await load<Source>('scan/file-source.js');
const { buildReport } = await load<Build>('report/build.js');

const started = performance.now();
const project = lib.loadProject(projectDir, partsDir !== undefined ? { partsDir } : {});
const result = await lib.scan(project, { cache: await DigestCache.open(cacheDir) });
const findings = await lib.classify(new DiskFileSource(result), result.collisions);
const report = buildReport(result, findings, Math.round(performance.now() - started));
process.stdout.write(lib.renderText(report, { color: false, verbose: false }));
process.stderr.write(`cache: ${JSON.stringify(result.cache)}\n`);
