import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACCEPT_KEYS, CONFIG_KEYS, OWNER_KEYS } from '../../src/config/index.js';
import { RULE_IDS } from '../../src/model.js';
import { documented } from '../report/formats/docs-check.js';

const doc = readFileSync(new URL('../../docs/config.md', import.meta.url), 'utf8');

describe('docs/config.md', () => {
  it.each([...CONFIG_KEYS])('documents the key %s as a heading or code span', (key) => {
    expect(documented(doc, key)).toBe(true);
  });

  it.each([...new Set([...ACCEPT_KEYS, ...OWNER_KEYS])])('documents the entry key %s', (key) => {
    expect(documented(doc, key)).toBe(true);
  });

  it('lists every rule id accept.rule may name', () => {
    for (const id of RULE_IDS) expect(doc, id).toContain(`\`${id}\``);
  });
});
