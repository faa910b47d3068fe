/**
 * The ordered rule list: the first rule that applies and returns a verdict decides; when none does,
 * the pair is real and says so. Order is priority, most specific first:
 * - permissions, file-type and symlink decide by collision kind alone, so they go first;
 * - python-bytecode, pip-record and venv-scaffolding know one file format each;
 * - build-path is a generic text normalisation that would also "explain" some of the above more
 *   coarsely, so it comes after them;
 * - contents is the fallback that always applies and is always real.
 */
import { buildPathRule } from './rules/build-path.js';
import { contentsRule } from './rules/contents.js';
import { fileTypeRule } from './rules/file-type.js';
import { permissionsRule } from './rules/permissions.js';
import { pipRecordRule } from './rules/pip-record.js';
import { pythonBytecodeRule } from './rules/python-bytecode.js';
import { symlinkRule } from './rules/symlink.js';
import { venvScaffoldingRule } from './rules/venv-scaffolding.js';
import type { Rule } from './types.js';

export const RULES: readonly Rule[] = [
  permissionsRule,
  fileTypeRule,
  symlinkRule,
  pythonBytecodeRule,
  pipRecordRule,
  venvScaffoldingRule,
  buildPathRule,
  contentsRule,
];

export function ruleById(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}
