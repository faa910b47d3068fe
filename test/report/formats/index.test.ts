import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { FORMAT_NAMES, parseFormatSpecs, REPORTERS } from '../../../src/report/formats/index.js';
import { ctx, mixedReport } from './factory.js';

describe('parseFormatSpecs', () => {
  it('parses NAME and NAME=FILE', () => {
    expect(parseFormatSpecs(['sarif=stagefix.sarif', 'text'])).toEqual([{ format: 'sarif', file: 'stagefix.sarif' }, { format: 'text' }]);
    expect(parseFormatSpecs(['junit=out/a=b.xml'])).toEqual([{ format: 'junit', file: 'out/a=b.xml' }]);
    expect(parseFormatSpecs(['json=-'])).toEqual([{ format: 'json' }]);
    expect(parseFormatSpecs(undefined)).toEqual([{ format: 'text' }]);
  });

  it('rejects unknown formats listing the known ones', () => {
    expect(() => parseFormatSpecs(['xml'])).toThrow(UsageError);
    expect(() => parseFormatSpecs(['xml'])).toThrow(FORMAT_NAMES.join(', '));
  });

  it('allows at most one format on stdout and one format per file', () => {
    expect(() => parseFormatSpecs(['text', 'github'])).toThrow(/at most one format may go to stdout/);
    expect(() => parseFormatSpecs(['sarif=x', 'json=x'])).toThrow(/same file/);
    expect(() => parseFormatSpecs(['sarif='])).toThrow(/empty file name/);
  });

  it('every registered reporter renders a report', () => {
    for (const name of FORMAT_NAMES) {
      const out = REPORTERS[name](mixedReport(), ctx());
      expect(out.length, name).toBeGreaterThan(0);
    }
  });
});
