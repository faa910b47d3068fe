import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULES } from '../../src/classify/registry.js';
import { INTEGRITY_RULES } from '../../src/integrity/registry.js';
import { RULE_IDS } from '../../src/model.js';
import { REPO } from './helpers.js';

describe('integrity rule registry', () => {
  it('has unique ids from RULE_IDS, none shared with the collision rules, and covers every environment id', () => {
    const ids = INTEGRITY_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(RULE_IDS as readonly string[]).toContain(id);
    const collision = new Set(RULES.map((r) => r.id));
    for (const id of ids) expect(collision.has(id)).toBe(false);
    expect([...ids].sort()).toEqual(RULE_IDS.filter((id) => !collision.has(id)).sort());
  });

  for (const rule of INTEGRITY_RULES) {
    describe(rule.id, () => {
      it('has its doc page, naming the rule, when it is real and the fix', () => {
        const doc = join(REPO, 'docs', 'rules', `${rule.id}.md`);
        expect(existsSync(doc), `docs/rules/${rule.id}.md is missing`).toBe(true);
        const text = readFileSync(doc, 'utf8');
        expect(text).toContain(`\`${rule.id}\``);
        expect(text).toMatch(/\*\*Real when/);
        expect(text).toMatch(/\*\*Fix/);
        // Every message id the rule can return is explained.
        for (const id of Object.keys(rule.messages)) expect(text, `${rule.id}.md does not mention message ${id}`).toContain(`\`${id}\``);
      });
      it('has its own test file with a case it flags and a case it must not flag', () => {
        const test = join(REPO, 'test', 'integrity', 'rules', `${rule.id}.test.ts`);
        expect(existsSync(test), `test/integrity/rules/${rule.id}.test.ts is missing`).toBe(true);
        const text = readFileSync(test, 'utf8');
        expect(text).toMatch(/it\(\s*'flags[^']*real/);
        expect(text).toMatch(/it\(\s*'does not flag[^']*not a finding/);
      });
      it('has a description and message templates', () => {
        expect(rule.description.length).toBeGreaterThan(10);
        expect(Object.keys(rule.messages).length).toBeGreaterThan(0);
      });
    });
  }
});
