import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createReporter } from '../../src/render/reporter.js';
import { CaptureStream, NOW, colorOn, scriptedRun, summary } from './fixtures.js';

function run(verbosity: number, tty = true) {
  const stream = new CaptureStream({ tty });
  const reporter = createReporter({
    mode: 'json',
    stream,
    color: colorOn,
    verbosity,
    plainIntervalMs: 5000,
    now: () => NOW,
  });
  for (const e of scriptedRun()) reporter.handle(e);
  vi.advanceTimersByTime(10_000);
  reporter.finish(summary());
  reporter.close();
  return stream.text;
}

describe('json reporter (stderr under --json)', () => {
  beforeEach(() => void vi.useFakeTimers({ now: NOW }));
  afterEach(() => void vi.useRealTimers());

  it('prints only warnings, as plain lines, even on a terminal', () => {
    expect(run(0)).toBe('2026-11-28T14:03:05Z warning: job of batch 4 was aborted by someone else\n');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('prints nothing at all when quiet', () => {
    expect(run(-1)).toBe('');
    expect(run(-1, false)).toBe('');
  });

  it('off a terminal, writes the plain progress lines every interval as well (a CI step must not look hung)', () => {
    const text = run(0, false);
    const lines = text.trimEnd().split('\n');
    expect(lines.filter((l) => / progress: /.test(l)).length).toBeGreaterThanOrEqual(1);
    expect(lines.every((l) => / (progress|warning): /.test(l))).toBe(true);
    expect(text).not.toContain('batch 3 job');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('gives the plain detail with -v, never the summary (the document has it)', () => {
    const text = run(1);
    expect(text).toContain('retry 2 of start job');
    expect(text).toContain('batch 3 job 1a2b3c4d lines 2002-3001');
    expect(text).toContain('progress: ');
    expect(text).not.toContain('\u001b');
    expect(text).not.toContain('Stopped early');
    expect(vi.getTimerCount()).toBe(0);
  });
});
