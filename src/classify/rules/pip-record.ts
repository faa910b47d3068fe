/**
 * `*.dist-info/RECORD`: pip hashes each installed file, including `bin/` scripts whose shebang still
 * names the part's venv — before the python plugin rewrites it (staging.md §4). Benign when every row
 * that differs belongs to a file that is identical in both parts, or itself benign; real when the rows
 * name different files or a file whose difference is real.
 */
import { posix } from 'node:path';
import { sameRow, type RecordRow } from '../../python/dist/record.js';
import type { PartName } from '../../model.js';
import { memoFor } from '../memo.js';
import { recordRowsOf } from '../record-rows.js';
import type { FileSource, Rule, RuleVerdict } from '../types.js';

/** Path → row of one part's RECORD, built once per scan (keyed by the rows' own path strings). */
const byPathMemo = memoFor<Map<string, RecordRow>>();

function rowsByPath(source: FileSource, part: PartName, path: string): Promise<Map<string, RecordRow>> {
  return byPathMemo(source, `${part}\0${path}`, async () => new Map((await recordRowsOf(source, part, path)).map((r) => [r.path, r])));
}

/** Rows shown in evidence; a RECORD can have thousands. */
const MAX_ROWS_SHOWN = 20;

export const pipRecordRule: Rule = {
  id: 'pip-record',
  description: 'pip RECORD files whose differing rows all belong to files that are identical or benign.',
  messages: {
    benign: '{rows} differing row(s), all for files that are identical or benign ({files})',
    order: 'same rows in a different order',
    fileSets: 'the distributions list different files ({onlyA} only in {partA}, {onlyB} only in {partB})',
    realFile: 'row for {file} differs and that file is a real conflict',
    corrupt: 'RECORD cannot be parsed: {detail}',
  },
  applies: (ctx) => ctx.kind === 'contents' && /\.dist-info\/RECORD$/.test(ctx.path) && ctx.a.entry.type === 'file' && ctx.b.entry.type === 'file',
  async classify(ctx): Promise<RuleVerdict> {
    let rowsA: readonly RecordRow[];
    let mapA: Map<string, RecordRow>;
    let mapB: Map<string, RecordRow>;
    try {
      [rowsA, mapA, mapB] = await Promise.all([
        recordRowsOf(ctx.source, ctx.a.part, ctx.path),
        rowsByPath(ctx.source, ctx.a.part, ctx.path),
        rowsByPath(ctx.source, ctx.b.part, ctx.path),
      ]);
    } catch (e) {
      return { verdict: 'real', unknown: true, messageId: 'corrupt', args: { detail: (e as Error).message }, evidence: {} };
    }
    const site = posix.dirname(posix.dirname(ctx.path));
    const onlyA = [...mapA.keys()].filter((p) => !mapB.has(p));
    const onlyB = [...mapB.keys()].filter((p) => !mapA.has(p));
    if (onlyA.length > 0 || onlyB.length > 0) {
      return {
        verdict: 'real',
        messageId: 'fileSets',
        args: { onlyA: onlyA.length, onlyB: onlyB.length, partA: ctx.a.part, partB: ctx.b.part },
        evidence: { onlyA: onlyA.slice(0, MAX_ROWS_SHOWN), onlyB: onlyB.slice(0, MAX_ROWS_SHOWN) },
      };
    }
    const differing = [...mapA].filter(([p, r]) => !sameRow(r, mapB.get(p) as RecordRow)).map(([p]) => p);
    if (differing.length === 0) {
      return { verdict: 'benign', messageId: 'order', args: {}, evidence: { rows: rowsA.length } };
    }
    const judged: { row: string; file: string; verdict: string; rule?: string }[] = [];
    for (const row of differing) {
      const file = posix.normalize(`${site}/${row}`);
      const ea = ctx.source.entry(ctx.a.part, file);
      const eb = ctx.source.entry(ctx.b.part, file);
      let verdict: string;
      let rule: string | undefined;
      if (!ea || !eb) {
        verdict = 'missing';
      } else if (ea.type === 'file' && eb.type === 'file' && ea.size === eb.size &&
        (await ctx.source.digest(ctx.a.part, file)) === (await ctx.source.digest(ctx.b.part, file))) {
        verdict = 'identical';
      } else {
        const v = await ctx.classifyPath(file);
        verdict = v?.verdict ?? 'real';
        rule = v ? undefined : 'unclassified';
      }
      judged.push({ row, file, verdict, ...(rule ? { rule } : {}) });
      if (verdict !== 'identical' && verdict !== 'benign') {
        return {
          verdict: 'real',
          messageId: 'realFile',
          args: { file },
          evidence: { differingRows: judged.slice(0, MAX_ROWS_SHOWN), differingRowCount: differing.length },
        };
      }
    }
    return {
      verdict: 'benign',
      messageId: 'benign',
      args: { rows: differing.length, files: differing.slice(0, 3).join(', ') + (differing.length > 3 ? ', …' : '') },
      evidence: { differingRows: judged.slice(0, MAX_ROWS_SHOWN), differingRowCount: differing.length },
    };
  },
};
