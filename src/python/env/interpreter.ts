/**
 * Which Python a venv was made for, from what a staged tree holds as text: the stdlib's
 * `_sysconfigdata_*.py` (exact SOABI), `pyvenv.cfg` (version), the `lib/pythonX.Y` dir name.
 */
import { parsePyvenvCfg } from './pyvenv.js';
import { parseSysconfigdata } from './sysconfigdata.js';

export type EvidenceSource = 'sysconfigdata' | 'pyvenv.cfg' | 'lib-dir';

export interface Evidence {
  source: EvidenceSource;
  /** The minor version this source says, e.g. `3.11`. */
  minor: string;
  /** What was read, e.g. `version = 3.11.7`. */
  detail: string;
}

export interface VenvInterpreter {
  minor: string;
  soabi?: string;
  extSuffix?: string;
  /** Every source that named a version, the deciding one first. */
  evidence: Evidence[];
  /** Sources that named a different minor than the deciding one (a venv re-created with another Python). */
  disagreeing: Evidence[];
}

export interface VenvFacts {
  pyvenvCfg?: string;
  /** Names of the dirs under the venv's `lib/`, e.g. `['python3.11']`. */
  libDirs: readonly string[];
  sysconfigdataText?: string;
}

const minorOf = (v: string): string | undefined => /^(\d+\.\d+)(?:[.\s]|$)/.exec(v)?.[1];

/**
 * Decides in order of precision: sysconfigdata `VERSION` (it also gives SOABI and EXT_SUFFIX), then
 * pyvenv.cfg `version`/`version_info`, then `executable`, then a single `lib/pythonX.Y` dir. Unreadable
 * sources are skipped (a FormatError there is not this function's finding). Undefined when nothing tells.
 */
export function interpreterFromVenv(facts: VenvFacts): VenvInterpreter | undefined {
  const evidence: Evidence[] = [];
  let soabi: string | undefined;
  let extSuffix: string | undefined;
  if (facts.sysconfigdataText !== undefined) {
    try {
      const sc = parseSysconfigdata(facts.sysconfigdataText);
      const minor = sc.version !== undefined ? minorOf(sc.version) : undefined;
      if (minor) {
        evidence.push({ source: 'sysconfigdata', minor, detail: `VERSION = ${sc.version}` });
        soabi = sc.soabi;
        extSuffix = sc.extSuffix;
      }
    } catch {
      // fall through to the other sources
    }
  }
  if (facts.pyvenvCfg !== undefined) {
    try {
      const cfg = parsePyvenvCfg(facts.pyvenvCfg);
      const fromVersion = cfg.version !== undefined ? minorOf(cfg.version) : undefined;
      const fromExe = cfg.executable !== undefined ? /python(\d+\.\d+)$/.exec(cfg.executable)?.[1] : undefined;
      if (fromVersion) evidence.push({ source: 'pyvenv.cfg', minor: fromVersion, detail: `version = ${cfg.version}` });
      else if (fromExe) evidence.push({ source: 'pyvenv.cfg', minor: fromExe, detail: `executable = ${cfg.executable}` });
    } catch {
      // fall through
    }
  }
  const libMinors = facts.libDirs.map((d) => /^python(\d+\.\d+)t?$/.exec(d)?.[1]).filter((m) => m !== undefined);
  if (libMinors.length === 1 && libMinors[0]) {
    evidence.push({ source: 'lib-dir', minor: libMinors[0], detail: `lib/python${libMinors[0]}` });
  }
  const first = evidence[0];
  if (!first) return undefined;
  const out: VenvInterpreter = {
    minor: first.minor,
    evidence,
    disagreeing: evidence.filter((e) => e.minor !== first.minor),
  };
  if (first.source === 'sysconfigdata') {
    if (soabi !== undefined) out.soabi = soabi;
    if (extSuffix !== undefined) out.extSuffix = extSuffix;
  }
  return out;
}
