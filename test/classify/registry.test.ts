import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULES } from '../../src/classify/registry.js';
import { RULE_IDS } from '../../src/model.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('rule registry', () => {
  it('has unique ids from RULE_IDS, ending with the always-applicable fallback', () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(RULE_IDS as readonly string[]).toContain(id);
    expect(ids.at(-1)).toBe('contents');
  });

  for (const rule of RULES) {
    describe(rule.id, () => {
      it('has its doc page, naming the rule and each verdict it can give', () => {
        const doc = join(ROOT, 'docs', 'rules', `${rule.id}.md`);
        expect(existsSync(doc), `docs/rules/${rule.id}.md is missing`).toBe(true);
        const text = readFileSync(doc, 'utf8');
        expect(text).toContain(`\`${rule.id}\``);
        expect(text.toLowerCase()).toMatch(/real/);
      });
      it('has its own test file with benign, real and not-applicable cases', () => {
        const test = join(ROOT, 'test', 'classify', 'rules', `${rule.id}.test.ts`);
        expect(existsSync(test), `test/classify/rules/${rule.id}.test.ts is missing`).toBe(true);
        const text = readFileSync(test, 'utf8');
        expect(text).toMatch(/it\(\s*'[^']*benign/);
        expect(text).toMatch(/it\(\s*'[^']*real/);
        expect(text).toMatch(/it\(\s*'[^']*(not applicable|not a finding)/);
      });
      it('has a description and message templates', () => {
        expect(rule.description.length).toBeGreaterThan(10);
        expect(Object.keys(rule.messages).length).toBeGreaterThan(0);
      });
    });
  }
});
