/** The shape of `stagefix.yaml` once loaded (docs/config.md), and of the options it merges into. */
import type { PartName, RuleId } from '../model.js';
import type { Level } from '../report/formats/types.js';

export type FailOn = 'real' | 'benign';
export const FAIL_ON: readonly FailOn[] = ['real', 'benign'];

/** Every top-level key `stagefix.yaml` accepts; the docs test checks each is documented. */
export const CONFIG_KEYS = ['runtime-prefix', 'accept', 'owners', 'severity', 'fail-on'] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];

/** Sub-keys of `accept:` and `owners:` entries, also documented. */
export const ACCEPT_KEYS = ['path', 'reason', 'rule'] as const;
export const OWNER_KEYS = ['path', 'part'] as const;

export interface AcceptRule {
  /** picomatch glob (with `dot: true`) over the path relative to the part's install dir. */
  path: string;
  reason: string;
  rule?: RuleId;
  /** Line of the entry in the config file, for messages such as "accept rule matched nothing". */
  line?: number;
}

export interface OwnerRule {
  path: string;
  part: PartName;
  line?: number;
}

export interface Config {
  /** The file it came from; undefined for the empty default. */
  file?: string;
  runtimePrefix?: string;
  accept: AcceptRule[];
  owners: OwnerRule[];
  severity: Partial<Record<RuleId, Level>>;
  failOn?: FailOn;
}

export const EMPTY_CONFIG: Config = { accept: [], owners: [], severity: {} };
