/** A plan as JSON for a child process (contents as base64). */
import type { FileOp } from '../../../src/apply/ops.js';

export interface PlanFile {
  ops: FileOp[];
  stateDir: string;
  roots: string[];
}

export function stringifyPlan(p: PlanFile): string {
  return JSON.stringify({ ...p, ops: p.ops.map((o) => (o.op === 'write' ? { ...o, contents: Buffer.from(o.contents).toString('base64') } : o)) });
}

export function parsePlan(text: string): PlanFile {
  const raw = JSON.parse(text) as { ops: (FileOp | (Omit<Extract<FileOp, { op: 'write' }>, 'contents'> & { contents: string }))[]; stateDir: string; roots: string[] };
  return { ...raw, ops: raw.ops.map((o) => (o.op === 'write' && typeof o.contents === 'string' ? { ...o, contents: Buffer.from(o.contents, 'base64') } : (o as FileOp))) };
}
