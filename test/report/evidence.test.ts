/**
 * A path in three parts: the finding keeps each pair's verdict as data, and the JSON report lists
 * them as `evidence.pairs` with the reason each pair gets when classified on its own (docs/json.md).
 * Real pycs from the example: flask-a's and flask-b's differ only in the embedded source path; the
 * third part ships flask's `cli` bytecode under the `app` name, beside the same source.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { classifyPair, renderReason } from '../../src/classify/classify.js';
import { jsonDocument } from '../../src/report/json.js';
import { summarise } from '../../src/report/summary.js';
import { examplePart, treeRunner } from '../helpers/tree.js';

const run = treeRunner(afterAll);
const SITE = 'lib/python3.11/site-packages/flask';
const PYC = `${SITE}/__pycache__/app.cpython-311.pyc`;

describe('per-pair verdicts of a path in three parts', () => {
  it('are data on the finding and rendered, in pair order, as evidence.pairs in JSON', async () => {
    const source = { [`${SITE}/app.py`]: { from: examplePart('flask-a', `${SITE}/app.py`) } };
    const fx = await run({
      a: { ...source, [PYC]: { from: examplePart('flask-a', PYC) } },
      b: { ...source, [PYC]: { from: examplePart('flask-b', PYC) } },
      c: { ...source, [PYC]: { from: examplePart('flask-a', `${SITE}/__pycache__/cli.cpython-311.pyc`) } },
    });
    const f = fx.finding(PYC);
    expect(f?.pairs).toEqual([
      ['a', 'b'],
      ['a', 'c'],
      ['b', 'c'],
    ]);
    expect(f?.verdict).toBe('real');
    // Only the decision is kept per pair; the worst pair's evidence is the finding's.
    for (const v of f?.pairVerdicts ?? []) expect(Object.keys(v).sort()).toEqual(['args', 'messageId', 'parts', 'rule', 'verdict']);

    const doc = jsonDocument(fx.analysis.report) as { conflicts: { path: string; evidence: Record<string, unknown> }[] };
    const evidence = doc.conflicts.find((c) => c.path === PYC)?.evidence ?? {};
    expect(Object.keys(evidence).at(-1)).toBe('pairs');
    expect(evidence).toMatchObject(f?.evidence ?? {});

    // Each listed reason is what classifying that pair alone says.
    const expected = [];
    for (const [x, y] of f?.pairs ?? []) {
      const v = await classifyPair(fx.analysis.source, PYC, x, y, 'contents');
      expected.push({ parts: [x, y], verdict: v.verdict, rule: v.rule, reason: renderReason(v) });
    }
    expect(evidence.pairs).toEqual(expected);
    expect(expected.map((p) => p.verdict)).toEqual(['benign', 'real', 'real']);
    expect(expected[0]?.reason).toMatch(/embedded source path/);

    // The per-pair summary counts each pair's own verdict, not the path's worst.
    const summary = summarise(fx.analysis.report).pairs.map((p) => [p.parts.join('-'), p.real, p.benign]);
    expect(summary).toEqual([
      ['a-b', 0, 1],
      ['a-c', 1, 0],
      ['b-c', 1, 0],
    ]);
  });
});
