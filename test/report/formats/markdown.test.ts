import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMMENT_MAX_BYTES, escapeMarkdown, renderMarkdown } from '../../../src/report/formats/markdown.js';
import { ctx, finding, mixedReport, report } from './factory.js';

describe('markdown', () => {
  it('has a headline verdict, a table per pair, failing findings listed and the rest in details', () => {
    const md = renderMarkdown(mixedReport(), ctx());
    expect(md.split('\n')[0]).toBe('### ❌ stagefix: 3 failing staging conflicts for demo');
    expect(md).toContain('#### a ↔ b');
    expect(md).toContain('#### b ↔ c');
    expect(md).toContain('| [contents](https://example.test/docs/rules/contents.md) | 1 | 0 | 1 |');
    expect(md).toContain('| [python\\-bytecode](https://example.test/docs/rules/python-bytecode.md) | 0 | 1 | 0 |');
    const failing = md.slice(md.indexOf('#### Failing'), md.indexOf('<details>'));
    expect(failing).toContain('file vs symlink');
    expect(failing).not.toContain('same source');
    const details = md.slice(md.indexOf('<details>'));
    expect(details).toContain('same source, different mtime');
    expect(details).toContain('accepted: upstream ships both');
  });

  it('says so when nothing fails', () => {
    expect(renderMarkdown(report([]), ctx()).split('\n')[0]).toBe('### ✅ stagefix: no staging conflicts for demo');
    const benign = report([finding({ path: 'p', verdict: 'benign' })]);
    expect(renderMarkdown(benign, ctx()).split('\n')[0]).toBe('### ✅ stagefix: no failing staging conflicts for demo');
  });

  it('escapes Markdown and HTML in paths', () => {
    const md = renderMarkdown(report([finding({ path: 'a|b/<script>x</script>/[l](http://e)/`c`*d*' })]), ctx());
    expect(md).not.toContain('<script>');
    expect(md).not.toContain('[l](http://e)');
    expect(md).toContain('a\\|b/&lt;script&gt;x&lt;/script&gt;/\\[l\\]\\(http\\://e\\)/\\`c\\`\\*d\\*');
  });

  it('escaped text never contains raw markup characters or line breaks (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const e = escapeMarkdown(s);
        expect(e).not.toMatch(/[<>\n\r]/);
        expect(e).not.toMatch(/(^|[^\\])[|`[\]*_]/);
      }),
      { numRuns: 500 },
    );
  });

  it('stays within the comment size limit', () => {
    const huge = report(Array.from({ length: 5000 }, (_, i) => finding({ path: `usr/share/doc/${i}/${'y'.repeat(40)}` })));
    const md = renderMarkdown(huge, ctx());
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(COMMENT_MAX_BYTES);
    expect(md).toMatch(/and \d+ more/);
  });
});
