import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PlainReporter, plainProgressText } from '../../src/render/plain-reporter.js';
import { createReporter } from '../../src/render/reporter.js';
import { CaptureStream, NOW, colorOn, counts, jobId, scriptedRun, summary } from './fixtures.js';

const STAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ /;

function run(verbosity: number, opts: { interval?: number } = {}) {
  const stream = new CaptureStream();
  // Colour forced on: plain output must still carry none.
  const reporter = createReporter({
    mode: 'plain',
    stream,
    color: colorOn,
    verbosity,
    plainIntervalMs: opts.interval ?? 0,
    now: () => NOW,
  });
  for (const e of scriptedRun()) reporter.handle(e);
  reporter.finish(summary());
  reporter.close();
  return { text: stream.text, lines: stream.text.trimEnd().split('\n') };
}

describe('plain reporter', () => {
  beforeEach(() => void vi.useFakeTimers({ now: NOW }));
  afterEach(() => void vi.useRealTimers());

  it('writes plain ASCII: no escape byte, no bars, no spinner frames', () => {
    const { text } = run(2);
    expect(text.includes('\u001b')).toBe(false);
    expect([...text].every((ch) => ch.charCodeAt(0) < 0x80)).toBe(true);
    expect(text).not.toMatch(/[█░⠋✔✘]/);
  });

  it('stamps every line with the time', () => {
    const { lines } = run(2);
    for (const l of lines) expect(l).toMatch(STAMP);
    expect(lines[0]).toMatch(
      /^2026-11-28T14:03:05Z run 20261128T140305Z-3f9a2c: transactions.csv -> http:\/\/127.0.0.1:8000/,
    );
  });

  it('prints a line per finished job as before, its job errors, and the rejected rows grouped by reason at the end', () => {
    const { lines } = run(0);
    const body = lines.map((l) => l.replace(STAMP, ''));
    const at = body.indexOf(
      'batch 3 job 1a2b3c4d lines 2002-3001: 1000 rows, 993 stored, 7 failed; total_amount=150000.00 average_amount=150.00',
    );
    expect(at).toBeGreaterThan(-1);
    expect(body[at + 1]).not.toMatch(/^ {2}transactions\.csv:/);
    expect(body).toContain(
      'batch 4 job 1a2b3c4e lines 3002-4001: Aborted, 1000 rows, 400 stored, 0 failed, 600 unprocessed',
    );
    expect(body).toContain('  job error: Job aborted on request');
    const groups = body.indexOf('rejected rows by reason (all 6 are in the failed-rows file):');
    expect(groups).toBeGreaterThan(at);
    expect(body.slice(groups + 1, groups + 9)).toEqual([
      '  3 x amount: must be a decimal number',
      '      transactions.csv:2417, 2600, 2700',
      '  1 x unclosed quote',
      '      transactions.csv:4005',
      '  1 x transaction_date: must be a date',
      '      transactions.csv:2418',
      '  1 x row has 3 fields, expected 4',
      '      transactions.csv:2500',
    ]);
    expect(body.filter((l) => l.includes(':2417'))).toHaveLength(1);
  });

  it('groups thousands of rejected rows into a few lines; -v prints each as it comes', () => {
    for (const verbosity of [0, 1]) {
      const stream = new CaptureStream();
      const reporter = createReporter({
        mode: 'plain',
        stream,
        color: colorOn,
        verbosity,
        plainIntervalMs: 0,
        now: () => NOW,
      });
      for (let i = 0; i < 2000; i++)
        reporter.handle({
          type: 'row-rejected',
          error: { file: 'a.csv', line: i + 2, field: i % 2 ? 'amount' : undefined, reason: 'bad' },
        });
      reporter.finish(summary());
      const body = stream.text
        .trimEnd()
        .split('\n')
        .map((l) => l.replace(STAMP, ''));
      expect(body.filter((l) => l.startsWith('rejected: a.csv:'))).toHaveLength(verbosity === 0 ? 0 : 2000);
      expect(body).toContain('  1000 x amount: bad');
      expect(body).toContain('      a.csv:3, 5, 7, and 997 more');
      reporter.close();
    }
  });

  it('ends with the summary, the failed-rows file last', () => {
    const { lines } = run(0);
    expect(lines.at(-1)).toMatch(/failed rows: transactions.failed-20261128T140305Z-3f9a2c.csv$/);
    expect(lines.at(-2)).toMatch(/resume with: bulk upload --resume 20261128T140305Z-3f9a2c$/);
    expect(lines.some((l) => l.endsWith('Stopped early (exit 3)'))).toBe(true);
  });

  describe('verbosity', () => {
    const has = (text: string, re: RegExp) => re.test(text);
    it('quiet: failed jobs and their job errors, then the summary; nothing else', () => {
      const { text, lines } = run(-1);
      const body = lines.map((l) => l.replace(STAMP, ''));
      expect(body.slice(0, 3)).toEqual([
        'batch 4 job 1a2b3c4e lines 3002-4001: Aborted, 1000 rows, 400 stored, 0 failed, 600 unprocessed',
        '  job error: Job aborted on request',
        'Stopped early (exit 3)',
      ]);
      expect(has(text, /batch 3 /)).toBe(false);
      expect(has(text, /warning:|rejected:|retry|POST|run 2026/)).toBe(false);
      expect(has(text, /Stopped early/)).toBe(true);
    });
    it('normal: no batch, retry or http lines', () => {
      const { text } = run(0);
      expect(has(text, /-> job |retry 2|POST /)).toBe(false);
      expect(has(text, /warning: job of batch 4 was aborted/)).toBe(true);
    });
    it('-v: batches submitted and retries, no http', () => {
      const { text } = run(1);
      expect(text).toContain(`batch 3 lines 2002-3001 (1000 rows) -> job ${jobId(3)}\n`);
      expect(text).toContain(`-> job ${jobId(4)} (replayed)`);
      expect(text).toContain('retry 2 of start job in 1.0s: HTTP 502');
      expect(has(text, /POST /)).toBe(false);
    });
    it('-vv: http lines with the URL as given and nothing else of the request', () => {
      const { text } = run(2);
      expect(text).toContain('POST http://127.0.0.1:8000/api/transactions/bulk/?x=1 202 12ms\n');
      expect(has(text, /authorization|bearer|token/i)).toBe(false);
    });
  });

  describe('progress lines', () => {
    it('reads like a log line', () => {
      expect(plainProgressText(counts({ read: 12_500, stored: 11_995, failed: 5, totalRows: 300_000 }), 4000)).toBe(
        'progress: 12000 of 300000 rows (4.0%), 3000 rows/s, 5 failed, ETA 1m 36s',
      );
      expect(
        plainProgressText(counts({ read: 2000, stored: 1000, bytesRead: 100_000, totalBytes: 400_000 }), 1000),
      ).toBe('progress: 1000 of ~8000 rows (12.5%), 1000 rows/s, 0 failed, ETA 7s');
      expect(plainProgressText(counts({ read: 10, stored: 10, totalBytes: null }), 1000)).toBe(
        'progress: 10 rows, 10 rows/s, 0 failed',
      );
    });

    it('comes every interval, only when something changed, and stops with close()', () => {
      const stream = new CaptureStream();
      const reporter = new PlainReporter({
        mode: 'plain',
        stream,
        color: colorOn,
        verbosity: 0,
        plainIntervalMs: 5000,
      });
      const progressLines = () => stream.text.split('\n').filter((l) => l.includes('progress:'));
      vi.advanceTimersByTime(5000);
      expect(progressLines()).toHaveLength(0); // nothing counted yet
      reporter.handle({ type: 'counts', counts: counts({ read: 1000, stored: 500, totalRows: 2000 }) });
      vi.advanceTimersByTime(5000);
      expect(progressLines()).toEqual([
        expect.stringMatching(
          /^2026-11-28T14:03:15Z progress: 500 of 2000 rows \(25\.0%\), 50 rows\/s, 0 failed, ETA 30s$/,
        ),
      ]);
      vi.advanceTimersByTime(15_000);
      expect(progressLines()).toHaveLength(1); // unchanged: quiet
      reporter.handle({ type: 'counts', counts: counts({ read: 2000, stored: 1500, totalRows: 2000 }) });
      vi.advanceTimersByTime(5000);
      expect(progressLines()).toHaveLength(2);
      vi.advanceTimersByTime(60_000);
      expect(progressLines()).toHaveLength(3); // a heartbeat a minute while stuck
      reporter.close();
      reporter.close();
      expect(vi.getTimerCount()).toBe(0);
      vi.advanceTimersByTime(60_000);
      expect(progressLines()).toHaveLength(3);
    });

    it('are off when quiet', () => {
      const stream = new CaptureStream();
      const reporter = new PlainReporter({
        mode: 'plain',
        stream,
        color: colorOn,
        verbosity: -1,
        plainIntervalMs: 5000,
      });
      expect(vi.getTimerCount()).toBe(0);
      reporter.handle({ type: 'counts', counts: counts({ read: 1000, stored: 500 }) });
      vi.advanceTimersByTime(20_000);
      expect(stream.text).toBe('');
    });
  });
});
