import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FORMAT_NAMES } from '../../../src/report/formats/index.js';
import { documented } from './docs-check.js';

const doc = readFileSync(new URL('../../../docs/formats.md', import.meta.url), 'utf8');

describe('docs/formats.md', () => {
  it.each(FORMAT_NAMES)('documents the %s format', (name) => {
    expect(documented(doc, name)).toBe(true);
  });

  it('the check is not vacuous', () => {
    expect(documented(doc, 'no-such-format')).toBe(false);
  });
});
