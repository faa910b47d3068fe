/**
 * The files `python -m venv` writes that embed the venv's own absolute path: `bin/activate`,
 * `activate.csh`, `activate.fish`, `Activate.ps1` and `pyvenv.cfg` (whose `command =` line, from 3.11
 * on, names the venv dir). Benign when equal once each part's install path is a token; a different
 * interpreter (`version`, `home`, `executable`) is real.
 */
import { posix } from 'node:path';
import { firstDifferentLine, latin1, normaliseBuildPaths } from '../build-paths.js';
import type { Rule, RuleVerdict } from '../types.js';
import { parsePyvenvCfg } from '../../python/env/pyvenv.js';
import { venvFileKind } from '../../python/env/activate.js';

/** Fields that name the interpreter: if these differ the venvs are not interchangeable. */
const INTERPRETER_KEYS = ['home', 'version', 'version_info', 'executable', 'implementation'];

export const venvScaffoldingRule: Rule = {
  id: 'venv-scaffolding',
  description: 'venv activate scripts and pyvenv.cfg that differ only in the part\'s install path.',
  messages: {
    path: 'differs only in the venv path ({file})',
    interpreter: 'venvs of different interpreters: {key} = {valueA} vs {valueB}',
    differs: 'venv file differs beyond the install path (line {line})',
    corrupt: 'pyvenv.cfg cannot be read: {detail}',
  },
  applies: (ctx) => ctx.kind === 'contents' && ctx.a.entry.type === 'file' && ctx.b.entry.type === 'file' && venvFileKind(ctx.path) !== undefined,
  async classify(ctx): Promise<RuleVerdict> {
    const [ba, bb] = await Promise.all([ctx.source.read(ctx.a.part, ctx.path), ctx.source.read(ctx.b.part, ctx.path)]);
    const ta = latin1(ba);
    const tb = latin1(bb);
    const file = posix.basename(ctx.path);
    if (ctx.path === 'pyvenv.cfg') {
      let fa: Map<string, string>;
      let fb: Map<string, string>;
      try {
        [fa, fb] = [parsePyvenvCfg(ta).entries, parsePyvenvCfg(tb).entries];
      } catch (e) {
        return { verdict: 'real', unknown: true, messageId: 'corrupt', args: { detail: (e as Error).message }, evidence: {} };
      }
      for (const key of INTERPRETER_KEYS) {
        if (fa.get(key) !== fb.get(key)) {
          return {
            verdict: 'real',
            messageId: 'interpreter',
            args: { key, valueA: fa.get(key) ?? '(unset)', valueB: fb.get(key) ?? '(unset)' },
            evidence: { fieldsA: Object.fromEntries(fa), fieldsB: Object.fromEntries(fb) },
          };
        }
      }
    }
    const na = normaliseBuildPaths(ta, ctx.a.part, ctx.source.installDir(ctx.a.part));
    const nb = normaliseBuildPaths(tb, ctx.b.part, ctx.source.installDir(ctx.b.part));
    const diff = firstDifferentLine(na, nb);
    if (!diff) {
      return { verdict: 'benign', messageId: 'path', args: { file }, evidence: { firstDifference: firstDifferentLine(ta, tb) } };
    }
    return { verdict: 'real', messageId: 'differs', args: { line: diff.line }, evidence: { firstDifference: diff } };
  },
};
