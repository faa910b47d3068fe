import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createProgress, formatProgress, progressEnabled } from '../../src/cli/progress.js';

/** A terminal-like stream that records what is written (ora needs the cursor methods). */
class FakeTty extends Writable {
  isTTY = true;
  columns = 100;
  out = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.out += chunk.toString();
    cb();
  }
  cursorTo(): boolean {
    return true;
  }
  moveCursor(): boolean {
    return true;
  }
  clearLine(): boolean {
    return true;
  }
}

const tty = (): FakeTty & NodeJS.WriteStream => new FakeTty() as FakeTty & NodeJS.WriteStream;

describe('progressEnabled', () => {
  const base = { isTTY: true, quiet: false, ci: false };
  it('shows only on a terminal, without --quiet, outside CI, and with no machine format on stdout', () => {
    expect(progressEnabled(base)).toBe(true);
    expect(progressEnabled({ ...base, stdoutFormat: 'text' })).toBe(true);
    expect(progressEnabled({ ...base, isTTY: false })).toBe(false);
    expect(progressEnabled({ ...base, quiet: true })).toBe(false);
    expect(progressEnabled({ ...base, ci: true })).toBe(false);
    for (const f of ['json', 'sarif', 'junit', 'github', 'gitlab', 'markdown']) expect(progressEnabled({ ...base, stdoutFormat: f })).toBe(false);
  });
});

describe('formatProgress', () => {
  it('names the phase and counts', () => {
    expect(formatProgress({ phase: 'walking', done: 12345 })).toBe('walking 12,345 entries');
    expect(formatProgress({ phase: 'comparing', done: 40, total: 120, bytes: 3_400_000 })).toBe('comparing 40/120 files, 3.4 MB');
    expect(formatProgress({ phase: 'classifying', done: 5, total: 9 })).toBe('classifying 5/9');
  });
});

describe('createProgress', () => {
  let clock = 0;
  beforeEach(() => {
    vi.useFakeTimers();
    clock = 0;
  });
  afterEach(() => vi.useRealTimers());
  const now = (): number => clock;
  const advance = (ms: number): void => {
    clock += ms;
    vi.advanceTimersByTime(ms);
  };

  it('prints nothing when disabled', async () => {
    const stream = tty();
    const p = await createProgress({ stream, enabled: false, now });
    p.sink({ phase: 'walking', done: 1 });
    advance(1000);
    p.stop();
    expect(stream.out).toBe('');
  });

  it('prints nothing for a run shorter than the delay', async () => {
    const stream = tty();
    const p = await createProgress({ stream, enabled: true, delayMs: 300, now });
    p.sink({ phase: 'walking', done: 1 });
    advance(200);
    p.stop();
    advance(1000);
    expect(stream.out).toBe('');
  });

  it('shows the latest event after the delay and throttles updates', async () => {
    const stream = tty();
    const p = await createProgress({ stream, enabled: true, delayMs: 300, now });
    p.sink({ phase: 'walking', done: 1 });
    advance(100);
    p.sink({ phase: 'walking', done: 2 });
    advance(250);
    expect(stream.out).toContain('walking 2 entries');
    expect(stream.out).not.toContain('walking 1 entries');
    for (let i = 0; i < 1000; i++) p.sink({ phase: 'comparing', done: i, total: 1000 });
    expect(stream.out).not.toContain('comparing');
    advance(150);
    expect(stream.out).toContain('comparing 999/1,000 files');
    expect(stream.out).not.toContain('comparing 500/1,000');
    p.stop();
  });
});

describe('terminals without a width (regression: ora never returned from stop)', () => {
  it('progressEnabled says no when the terminal reports 0 columns', () => {
    expect(progressEnabled({ isTTY: true, quiet: false, ci: false, columns: 0 })).toBe(false);
    expect(progressEnabled({ isTTY: true, quiet: false, ci: false, columns: 80 })).toBe(true);
  });

  it('createProgress stays silent on a 0-column stream even when asked to show', async () => {
    const s = tty();
    (s as unknown as { columns: number }).columns = 0;
    const p = await createProgress({ stream: s, enabled: true, delayMs: 0 });
    p.sink({ phase: 'walking', done: 5 });
    p.stop();
    expect(s.out).toBe('');
  });
});
