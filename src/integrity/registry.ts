/**
 * The environment rules. Unlike the collision registry every rule runs (none decides for another);
 * the order is the order findings are listed in: packages, modules, extensions, bytecode, then the
 * filesystem-level links and `/usr` merge.
 */
import { brokenLinkRule } from './rules/broken-link.js';
import { bytecodeInterpreterRule } from './rules/bytecode-interpreter.js';
import { extensionAbiRule } from './rules/extension-abi.js';
import { moduleShadowingRule } from './rules/module-shadowing.js';
import { usrmergeRule } from './rules/usrmerge.js';
import { versionSkewRule } from './rules/version-skew.js';
import type { IntegrityRule } from './types.js';

export const INTEGRITY_RULES: readonly IntegrityRule[] = [
  versionSkewRule,
  moduleShadowingRule,
  extensionAbiRule,
  bytecodeInterpreterRule,
  brokenLinkRule,
  usrmergeRule,
];

export function integrityRuleById(id: string): IntegrityRule | undefined {
  return INTEGRITY_RULES.find((r) => r.id === id);
}
