/**
 * Report reuse (issue 6): a run over parts that walk exactly as they did when a report was stored gives
 * that report again, without building a part's entries or reading a cache record. CI re-runs and repeated
 * local runs over unchanged trees then cost the walk, about what `find` costs.
 *
 * A report is a function of the project (its parts, their install dirs, `stage` and `organize`...), the
 * stagefix build, and what the parts' walks see. Nothing else outside the install dirs is read (the
 * rules read through the confined `FileSource`), except, under a `stage` filter, what the links leaving
 * the tree point at, which the walk key includes (`WalkKey` in scan.ts). So a stored report is reused
 * only when the build, the whole project and every part's walk key are equal; a walk key is only ever
 * made when every entry is older than the digest cache's racy limit, so a change in the same timestamp
 * tick as the stored status cannot hide. Anything else (no C walker, a file that failed to read, another
 * build) is simply analysed as usual, and the report of that analysis stored for the next run.
 *
 * One file per project in `<cache dir>/reports/`: a header line (format, build, project, walk keys, the
 * report's xxh64), then the report as JSON. A damaged or foreign file is ignored, and replaced atomically.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import type { Project, Report } from '../model.js';
import { replaceFileAtomically } from '../util/atomic-file.js';
import { hex16 } from '../util/hash.js';

const FORMAT = 'stagefix-report/1';

/**
 * Reports with more findings are not stored. Evidence makes a finding about 6.6 KB of JSON: the bench's
 * mixed tree (7102 findings) stored 49 MB, read it back no faster than it analysed with the digest cache
 * (2.4 against 2.5 s), and peaked at 750 MB instead of about 300 writing and reading it.
 */
export const MAX_STORED_FINDINGS = 1000;

interface Header {
  format: string;
  code: string;
  project: string;
  keys: (string | null)[];
  /** xxh64 of the report line, hex. */
  sum: string;
}

/** A stored report found for this build and project, not yet parsed (a miss never pays for that). */
export interface StoredReport {
  /** The walk key of each part (null: not built) the report was made from. */
  keys: (string | null)[];
  /** The report, or undefined when its bytes are not what was stored. */
  report(): Report | undefined;
}

/**
 * What names the running stagefix build: the status of the file this module was loaded from (the
 * bundle, `dist/bundle/stagefix.cjs`, or `dist/report/reuse.js`, both written anew by every build).
 * Undefined when running from the TypeScript sources, where an edited rule would not change it: no
 * report is reused then.
 */
export function codeIdentity(): string | undefined {
  const self = fileURLToPath(import.meta.url);
  if (!/\.c?js$/.test(self)) return undefined;
  try {
    const st = statSync(self, { bigint: true });
    return `${self}:${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch {
    return undefined;
  }
}

const projectText = (project: Project): string => JSON.stringify(project);

// Evidence holds bigints (inodes, ns times); JSON has none, so they travel as `{"$bigint": "…"}`.
const toJson = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? { $bigint: v.toString() } : v);
const fromJson = (_k: string, v: unknown): unknown =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as { $bigint?: unknown }).$bigint === 'string'
    ? BigInt((v as { $bigint: string }).$bigint)
    : v;

function fileFor(dir: string, project: Project, h64: (b: Uint8Array) => bigint): string {
  const id = h64(Buffer.from(JSON.stringify([project.root, project.file ?? null])));
  return join(dir, 'reports', `${hex16(id)}.json`);
}

/** The stored report for this build and project, if there is a whole one. */
export function loadStoredReport(dir: string, project: Project, code: string, h64: (b: Uint8Array) => bigint): StoredReport | undefined {
  let text: Buffer;
  try {
    text = readFileSync(fileFor(dir, project, h64));
  } catch {
    return undefined;
  }
  const nl = text.indexOf(10);
  if (nl < 0) return undefined;
  let header: Header;
  try {
    header = JSON.parse(text.toString('utf8', 0, nl)) as Header;
  } catch {
    return undefined;
  }
  if (header.format !== FORMAT || header.code !== code || header.project !== projectText(project) || !Array.isArray(header.keys)) return undefined;
  const body = text.subarray(nl + 1);
  if (hex16(h64(body)) !== header.sum) return undefined;
  return {
    keys: header.keys,
    report: () => {
      try {
        return JSON.parse(body.toString('utf8'), fromJson) as Report;
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * Stores `report` for the next run (unless it has more than `MAX_STORED_FINDINGS`); returns why when it
 * could not be written (the run goes on).
 */
export function storeReport(dir: string, project: Project, code: string, keys: (string | null)[], report: Report, h64: (b: Uint8Array) => bigint): string | undefined {
  if (report.findings.length > MAX_STORED_FINDINGS) return undefined;
  const file = fileFor(dir, project, h64);
  const text = JSON.stringify(report, toJson);
  // Stored only when it reads back as exactly this report: a value JSON cannot carry (undefined, a
  // typed array, a Map...) would make a reused report differ from an analysed one.
  if (!isDeepStrictEqual(JSON.parse(text, fromJson), report)) return 'not-serialisable';
  const body = Buffer.from(text);
  const header: Header = { format: FORMAT, code, project: projectText(project), keys, sum: hex16(h64(body)) };
  try {
    mkdirSync(join(dir, 'reports'), { recursive: true, mode: 0o700 });
    replaceFileAtomically(file, Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), body]));
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  }
}
