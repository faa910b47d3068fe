/** Plan renderers: pure functions from a plan to a string (text for review, json, sh, yaml fragments). */
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { factsFromDisk, renderShell } from '../apply/render-sh.js';
import type { FileOp } from '../apply/ops.js';
import { isProposal, planOps, type Action, type Plan } from './types.js';

export const PLAN_FORMATS = ['text', 'json', 'sh', 'yaml'] as const;
export type PlanFormat = (typeof PLAN_FORMATS)[number];

const FILE_KINDS: Record<Exclude<Action['kind'], 'propose-stage-exclusion' | 'propose-organize'>, string> = {
  'rewrite-pyc': 'rewrite bytecode canonically',
  'recompile-pyc': 'recompile bytecode (py_compile, checked-hash)',
  'drop-pyc': 'remove bytecode',
  'regenerate-record': 'regenerate RECORD',
  'normalise-venv-file': 'venv file to its run-time path',
  'rewrite-build-paths': 'build paths to the run-time path',
  'relink-symlink': 'symlink spelled like the owner',
  'keep-one-copy': "owner's copy in every part",
};

const oneLine = (s: string): string => s.replace(/[\r\n]+/g, ' ');

export function renderPlanText(plan: Plan): string {
  const s = plan.summary;
  const out = [
    `stagefix plan: ${plan.project.name ?? plan.project.root} (${plan.project.kind}), run-time prefix ${plan.runtimePrefix}, pyc strategy ${plan.pyc}`,
    `${s.benignFindings} benign conflict(s) resolved by ${s.fileOps} file change(s)${s.unresolvedBenign > 0 ? `, ${s.unresolvedBenign} left as they are (see notes)` : ''}; ${s.realFindings} real conflict(s) need your decision`,
    ...(plan.interpreters ?? []).map((i) => `interpreter: Python ${i.version} ${i.exe} (${i.from === 'user' ? '--python' : "the part's own bin/python3"}) for ${i.parts.join(', ')}`),
    ...(s.environmentFindings > 0 ? [`${s.environmentFindings} environment finding(s) are not same-path conflicts and are not planned: see stagefix report`] : []),
  ];
  const byKind = new Map<string, Action[]>();
  for (const a of plan.actions) byKind.set(a.kind, [...(byKind.get(a.kind) ?? []), a]);
  for (const [kind, list] of byKind) {
    if (kind === 'propose-stage-exclusion' || kind === 'propose-organize') continue;
    out.push('', `${FILE_KINDS[kind as keyof typeof FILE_KINDS]} (${list.length}):`);
    for (const a of list) {
      const parts = [...new Set(a.ops.map((o) => o.part))];
      out.push(`  ${a.path}  ${parts.length > 0 ? `in ${parts.join(', ')}` : 'no change needed'}  [${a.why.rule}]`);
      if (a.note !== undefined) out.push(`      note: ${oneLine(a.note)}`);
    }
  }
  const proposals = plan.actions.filter(isProposal);
  if (proposals.length > 0) {
    out.push('', `real conflicts, never changed automatically (${proposals.length}); proposed resolution:`);
    for (const a of proposals) {
      out.push(`  ${a.path}  [${a.why.rule}] ${oneLine(a.why.reason)}`, `      ${a.owner} keeps it;`);
      for (const l of a.losers) {
        const what = l.loses.type === 'symlink' ? `its link to ${l.loses.target ?? '?'}` : `its ${l.loses.type}${l.loses.size !== undefined ? ` (${l.loses.size} bytes)` : ''}`;
        const how = 'organizeTo' in l ? `organize: ${l.organizeTo}` : `stage: ${l.stageEntry}`;
        out.push(`      ${l.part} loses ${what}  (${how})`);
      }
    }
    out.push('', 'Render the proposals as snapcraft.yaml fragments with --format yaml.');
  }
  return `${out.join('\n')}\n`;
}

const opJson = (o: FileOp): Record<string, unknown> =>
  o.op === 'write'
    ? { ...o, contents: { size: o.contents.length, sha256: createHash('sha256').update(o.contents).digest('hex'), base64: Buffer.from(o.contents).toString('base64') } }
    : { ...o };

export function renderPlanJson(plan: Plan): string {
  const doc = { ...plan, actions: plan.actions.map((a) => ({ ...a, ops: a.ops.map(opJson) })) };
  return `${JSON.stringify(doc, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`;
}

/** The `parts:` fragments that carry out the proposals: merged into each losing part's own lists. */
export function renderPlanYaml(plan: Plan): string {
  const parts: Record<string, { stage?: string[]; organize?: Record<string, string> }> = {};
  const notes: string[] = [];
  for (const a of plan.actions.filter(isProposal)) {
    notes.push(`# ${a.path}: ${a.owner} keeps it (${oneLine(a.why.reason)})`);
    for (const l of a.losers) {
      const spec = plan.parts.find((p) => p.name === l.part);
      const frag = (parts[l.part] ??= {});
      if ('organizeTo' in l) frag.organize = { ...(frag.organize ?? spec?.organize ?? {}), [a.path]: l.organizeTo };
      else frag.stage = [...(frag.stage ?? spec?.stage ?? []), l.stageEntry];
    }
  }
  if (notes.length === 0) return '# stagefix: no real conflicts, nothing to add to snapcraft.yaml\n';
  // craft-parts: a stage list with only exclusions includes everything else ("*").
  return `# stagefix: proposed changes for real conflicts; merge into your project file.\n${notes.join('\n')}\n${stringify({ parts })}`;
}

/** The plan's file ops as a POSIX sh script, with the actions as comments. */
export async function renderPlanSh(plan: Plan): Promise<string> {
  const ops = planOps(plan);
  const script = renderShell(ops, await factsFromDisk(ops));
  const nl = script.indexOf('\n');
  const comments = [
    `# stagefix plan for ${oneLine(plan.project.root)}: ${ops.length} file op(s), run-time prefix ${plan.runtimePrefix}.`,
    ...plan.actions.filter((a) => a.ops.length > 0).map((a) => `#   ${a.kind} ${oneLine(a.path)} (${a.ops.length} op(s))`),
    ...(plan.actions.some(isProposal) ? ['# Real conflicts are not touched by this script (see stagefix plan --format yaml).'] : []),
  ];
  return `${script.slice(0, nl + 1)}${comments.join('\n')}\n${script.slice(nl + 1)}`;
}

export async function renderPlan(plan: Plan, format: PlanFormat): Promise<string> {
  switch (format) {
    case 'json':
      return renderPlanJson(plan);
    case 'yaml':
      return renderPlanYaml(plan);
    case 'sh':
      return renderPlanSh(plan);
    default:
      return renderPlanText(plan);
  }
}
