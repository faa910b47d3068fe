/**
 * Applying the configuration to a report, and merging it with command-line flags.
 *
 * Glob semantics (docs/config.md): picomatch with `dot: true`, matched against the path relative to
 * the part's install dir (the staged path, no leading slash): `*` and `?` stay within one segment,
 * `**` crosses segments, dotfiles match like any other name, matching is case-sensitive.
 */
import picomatch from 'picomatch';
import type { PartName, Report, RuleId } from '../model.js';
import type { Level } from '../report/formats/types.js';
import type { AcceptRule, Config, FailOn, OwnerRule } from './types.js';

const matcher = (glob: string): ((p: string) => boolean) => picomatch(glob, { dot: true });

/**
 * Marks every finding an `accept:` entry covers (first matching entry wins, in file order) as
 * `accepted: {reason, glob}`. Accepted findings stay in the report and in every format; they only stop
 * failing `check`. Findings already accepted keep their acceptance.
 */
export function applyConfig(report: Report, config: Pick<Config, 'accept'>): Report {
  if (config.accept.length === 0) return report;
  const rules = config.accept.map((a) => ({ a, match: matcher(a.path) }));
  const findings = report.findings.map((f) => {
    if (f.accepted) return f;
    const hit = rules.find(({ a, match }) => (a.rule === undefined || a.rule === f.rule) && match(f.path));
    return hit ? { ...f, accepted: { reason: hit.a.reason, glob: hit.a.path } } : f;
  });
  return { ...report, findings };
}

/** The part whose copy of `path` wins when the plan must choose (first `owners:` entry that matches). */
export function ownerOf(owners: readonly OwnerRule[], path: string): PartName | undefined {
  return owners.find((o) => matcher(o.path)(path))?.part;
}

/** Command-line flags that correspond to config keys; each one given overrides the file. */
export interface CliFlags {
  runtimePrefix?: string;
  failOn?: FailOn;
  severity?: Partial<Record<RuleId, Level>>;
  accept?: AcceptRule[];
  owners?: OwnerRule[];
}

export interface Options {
  runtimePrefix?: string;
  failOn: FailOn;
  severity: Partial<Record<RuleId, Level>>;
  accept: AcceptRule[];
  owners: OwnerRule[];
}

/**
 * Scalars from the command line replace the file's; severities merge per rule with the flag winning;
 * list entries from the command line go first, so they win where first-match decides.
 */
export function mergeOptions(config: Config, flags: CliFlags): Options {
  const runtimePrefix = flags.runtimePrefix ?? config.runtimePrefix;
  return {
    ...(runtimePrefix !== undefined ? { runtimePrefix } : {}),
    failOn: flags.failOn ?? config.failOn ?? 'real',
    severity: { ...config.severity, ...flags.severity },
    accept: [...(flags.accept ?? []), ...config.accept],
    owners: [...(flags.owners ?? []), ...config.owners],
  };
}
