import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PlainReporter } from '../../src/render/plain-reporter.js';
import { createReporter, type Reporter } from '../../src/render/reporter.js';
import { TtyReporter } from '../../src/render/tty-reporter.js';
import {
  CaptureStream,
  NOW,
  colorOff,
  colorOn,
  counts,
  jobId,
  origin,
  outcome,
  scriptedRun,
  summary,
} from './fixtures.js';
import { renderScreen } from './screen.js';

// eslint-disable-next-line no-control-regex -- looking for colour codes specifically
const SGR = /\x1b\[[0-9;]*m/;

function tty(verbosity = 0, color = colorOn, size: { columns?: number; rows?: number } = {}) {
  const columns = size.columns ?? 120;
  const stream = new CaptureStream({ tty: true, columns, rows: size.rows ?? 30 });
  const reporter = createReporter({ mode: 'tty', stream, color, verbosity, plainIntervalMs: 5000, env: {} });
  return { stream, reporter, seen: () => renderScreen(stream.text, columns).join('\n') };
}

function play(reporter: Reporter, events = scriptedRun()) {
  for (const e of events) {
    reporter.handle(e);
    vi.advanceTimersByTime(150); // let cli-progress redraw between events
  }
}

describe('tty reporter', () => {
  beforeEach(() => void vi.useFakeTimers({ now: NOW }));
  afterEach(() => void vi.useRealTimers());

  it('is only built on a terminal', () => {
    const { reporter } = tty();
    expect(reporter).toBeInstanceOf(TtyReporter);
    reporter.close();
    const piped = createReporter({
      mode: 'tty',
      stream: new CaptureStream({ tty: false }),
      color: colorOn,
      verbosity: 0,
    });
    expect(piped).toBeInstanceOf(PlainReporter);
    piped.close();
    const dumb = createReporter({
      mode: 'tty',
      stream: new CaptureStream({ tty: true }),
      color: colorOn,
      verbosity: 0,
      env: { TERM: 'dumb' },
    });
    expect(dumb).toBeInstanceOf(PlainReporter);
    dumb.close();
  });

  it('draws an overall bar and a bar per running job', () => {
    const { reporter, seen } = tty();
    play(reporter, scriptedRun().slice(0, 11));
    const screen = seen();
    expect(screen.split('\n').slice(-3)).toEqual([
      expect.stringMatching(/^█*░+ +10% \| 501\/~5,000 rows \| [\d,]+ rows\/s \| ETA [\dm s]+ \| 4 failed$/),
      expect.stringMatching(/^ {2}batch 3 {2}1a2b3c4d {2}█{8}░{8} {2}500\/1,000 {2}3 failed$/),
      expect.stringMatching(/^ {2}batch 4 {2}1a2b3c4e {2}░{16} {2}0\/1,000 {2}queued$/),
    ]);
    reporter.close();
  });

  it('prints one line above the bars as each job finishes, and the rejected rows grouped by reason at the end', () => {
    const { reporter, stream, seen } = tty(0, colorOn, { columns: 140 });
    play(reporter);
    const screen = seen();
    expect(screen).toMatch(/^✔ batch 3 {2}lines 2002–3001 {2}993 stored {2}7 failed {2}job 1a2b3c4d {2}[\d.]+m?s$/m);
    expect(screen).toMatch(
      /^✘ batch 4 {2}lines 3002–4001 {2}Aborted {2}400 stored {2}0 failed {2}600 unprocessed {2}job 1a2b3c4e {2}[\d.]+m?s\n {2}job error: Job aborted on request$/m,
    );
    expect(screen).toContain('! job of batch 4 was aborted by someone else\n');
    // Per-job aggregates and rejected rows are not printed as they come.
    expect(screen).not.toContain('total_amount');
    expect(screen).not.toContain(':2417');
    // A failed job is red, with its job errors.
    expect(stream.text).toContain('\u001b[31m batch 4');
    expect(stream.text).toContain('\u001b[31mjob error: Job aborted on request');
    // Every line above the bars erases what is left of the bar it overwrites.
    expect(
      stream.text
        .split('\n')
        .find((l) => l.includes('job 1a2b3c4d'))
        ?.endsWith('\u001b[K'),
    ).toBe(true);
    reporter.finish(summary());
    const end = seen().split('\n');
    const groups = end.indexOf('rejected rows by reason (all 6 are in the failed-rows file):');
    expect(end.slice(groups + 1, groups + 3)).toEqual([
      '  3 × amount: must be a decimal number',
      '      transactions.csv:2417, 2600, 2700',
    ]);
    expect(end.slice(groups - 1, groups)).toEqual([
      expect.stringMatching(/^█+░+ +70% \| 1,401\/2,001 rows \| 1,393 stored, stopped \| 8 failed$/),
    ]);
  });

  it('shows a retry being waited for on the bar line, and drops it once the server answers', () => {
    const { reporter, seen } = tty(0, colorOn, { columns: 120 });
    reporter.handle({ type: 'counts', counts: counts({ read: 300, totalRows: 300 }) });
    reporter.handle({
      type: 'retry',
      what: 'start job',
      attempt: 3,
      delayMs: 2000,
      reason: 'connect ECONNREFUSED 127.0.0.1:9',
      givesUpInMs: 292_000,
    });
    vi.advanceTimersByTime(100);
    expect(seen().split('\n').at(-1)).toContain('| server unreachable, retry 3 in 2 s, gives up in 4:52 |');
    reporter.handle({ type: 'http', method: 'POST', url: 'http://127.0.0.1:9/api/x/bulk/', status: 202, ms: 3 });
    vi.advanceTimersByTime(200);
    expect(seen().split('\n').at(-1)).not.toContain('retry');
    reporter.close();
  });

  it('keeps every bar in place when lines are printed above them (no stale rows)', () => {
    const { reporter, seen } = tty();
    for (const e of scriptedRun()) {
      reporter.handle(e);
      vi.advanceTimersByTime(150);
      const rows = seen().split('\n');
      expect(
        rows.filter((r) => /% \| /.test(r)),
        e.type,
      ).toHaveLength(e.type === 'run-start' || e.type === 'stage' ? 0 : 1);
      const bars = rows.filter((r) => /^ {2}batch \d/.test(r));
      expect(new Set(bars).size, `${e.type}\n${rows.join('\n')}`).toBe(bars.length);
      // The bars are always the last rows, overall first.
      const first = rows.findIndex((r) => /% \| /.test(r));
      if (first >= 0)
        expect(
          rows.slice(first + 1).every((r) => /^ {2}batch \d/.test(r)),
          rows.join('\n'),
        ).toBe(true);
    }
    reporter.close();
  });

  it('never loses the last job line when the run ends right after it', () => {
    const { reporter, seen } = tty();
    reporter.handle({ type: 'counts', counts: counts({ read: 1000 }) });
    reporter.handle({ type: 'batch-submitted', origin: origin(1), jobId: jobId(1), replayed: false });
    reporter.handle({ type: 'job-finished', outcome: outcome(1) });
    reporter.finish(summary({ status: 'completed', exitCode: 0, resumeCommand: null, failedRowsFile: null }));
    expect(seen()).toMatch(
      /✔ batch 1 {2}lines 2–1001 {2}1,000 stored {2}0 failed {2}job 1a2b3c4b[^\n]*\n[\s\S]*Done: every row stored \(exit 0\)/,
    );
  });

  it('shows a spinner for stages, stopped when the bars start', () => {
    const { reporter, stream } = tty();
    reporter.handle({ type: 'stage', text: 'Starting embedded server…' });
    vi.advanceTimersByTime(300);
    expect(renderScreen(stream.text, 120)).toEqual([expect.stringMatching(/^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Starting embedded server…$/)]);
    expect(vi.getTimerCount()).toBe(1); // the spinner
    reporter.handle({ type: 'counts', counts: counts({ read: 10, bytesRead: 100 }) });
    reporter.handle({ type: 'stage', text: 'Waiting for jobs to finish…' });
    const before = stream.text.length;
    vi.advanceTimersByTime(1000);
    expect(stream.text.slice(before)).not.toContain('Waiting for jobs');
    expect(renderScreen(stream.text, 120).join('\n')).not.toContain('Starting embedded server');
    expect(vi.getTimerCount()).toBe(1); // the bars' redraw, not the spinner
    reporter.close();
  });

  it('waits out a retry before any job with the spinner, counting down, and hands over to the bars', () => {
    const { reporter, seen } = tty(0, colorOn, { columns: 60 });
    reporter.handle({ type: 'stage', text: 'Checking the header with the server…' });
    reporter.handle({
      type: 'retry',
      what: 'check header',
      attempt: 2,
      delayMs: 3000,
      reason: 'connect ECONNREFUSED 127.0.0.1:9',
      givesUpInMs: 60_000,
    });
    vi.advanceTimersByTime(100);
    expect(seen().split('\n')).toEqual([
      expect.stringMatching(/^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Checking the header with the server…/),
      '  server unreachable, retry 2 in 3 s, gives up in 1:00',
    ]);
    vi.advanceTimersByTime(1500);
    expect(seen().split('\n').at(-1)).toBe('  server unreachable, retry 2 in 2 s, gives up in 0:58');
    expect(vi.getTimerCount()).toBe(1); // the spinner
    reporter.handle({ type: 'counts', counts: counts({ read: 300, totalRows: 300 }) });
    vi.advanceTimersByTime(200);
    const screen = seen().split('\n');
    expect(screen.join('\n')).not.toMatch(/Checking the header|[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
    // At 60 columns the overall line keeps its bar and puts the wait and the failures on lines of their own.
    expect(screen.slice(-3)).toEqual([
      expect.stringMatching(/^░+ +0% \| 0\/300 rows$/),
      '  server unreachable, retry 2 in 2 s, gives up in 0:58',
      '  0 failed',
    ]);
    for (const l of screen) expect([...l].length, l).toBeLessThan(60);
    reporter.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('close() stops every timer, shows the cursor again, and is idempotent', () => {
    const { reporter, stream } = tty();
    reporter.handle({ type: 'stage', text: 'Starting…' });
    play(reporter, scriptedRun().slice(0, 10));
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    reporter.close();
    expect(vi.getTimerCount()).toBe(0);
    expect(stream.text.lastIndexOf('\u001b[?25h')).toBeGreaterThan(stream.text.lastIndexOf('\u001b[?25l'));
    expect(stream.text.lastIndexOf('\u001b[?7h')).toBeGreaterThan(stream.text.lastIndexOf('\u001b[?7l'));
    const length = stream.text.length;
    reporter.close();
    reporter.handle({ type: 'counts', counts: counts({ read: 5000 }) });
    vi.advanceTimersByTime(5000);
    expect(stream.text.length).toBe(length);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('still prints the summary when finish() comes after close() (a signal)', () => {
    const { reporter, seen } = tty();
    play(reporter, scriptedRun().slice(0, 5));
    reporter.close();
    reporter.finish(summary({ status: 'interrupted', exitCode: 130 }));
    reporter.finish(summary({ status: 'interrupted', exitCode: 130 }));
    expect(seen().match(/Interrupted \(exit 130\)/g)).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('draws no colour when colour is off', () => {
    const { reporter, stream } = tty(2, colorOff);
    reporter.handle({ type: 'stage', text: 'Starting…' });
    vi.advanceTimersByTime(300);
    play(reporter);
    reporter.finish(summary());
    expect(SGR.test(stream.text)).toBe(false);
    expect(renderScreen(stream.text, 120).join('\n')).toContain('✔ batch 3');
  });

  it('keeps bars and lines inside the terminal width', () => {
    const { reporter, seen } = tty(1, colorOn, { columns: 60 });
    play(reporter);
    reporter.close();
    const stream = (reporter as unknown as { opts: { stream: CaptureStream } }).opts.stream;
    // With autowrap on, anything wider than 60 would spill onto a line of its own: the screen
    // must look the same rendered 60 wide and 1000 wide.
    expect(renderScreen(stream.text, 1000)).toEqual(renderScreen(stream.text, 60));
    for (const line of seen().split('\n')) expect([...line].length, line).toBeLessThan(60);
  });

  it('shows at most a screenful of job bars and counts the rest', () => {
    const { reporter, seen } = tty(0, colorOn, { rows: 12 });
    reporter.handle({ type: 'counts', counts: counts({ read: 6000 }) });
    for (let b = 1; b <= 6; b++)
      reporter.handle({ type: 'batch-submitted', origin: origin(b), jobId: jobId(b), replayed: false });
    vi.advanceTimersByTime(200);
    let screen = seen();
    expect(screen).toContain('+2 more jobs');
    expect(screen).toMatch(/batch 4 {2}1a2b3c4e/);
    expect(screen).not.toMatch(/batch 5 {2}/);
    reporter.handle({ type: 'job-finished', outcome: outcome(1) });
    vi.advanceTimersByTime(200);
    screen = seen();
    expect(screen).toMatch(/batch 5 {2}1a2b3c4f/);
    expect(screen).toMatch(/\| \+1 more job$/m);
    reporter.close();
  });

  it('sums the watched jobs on the overall bar when there are no run counts (bulk job watch)', () => {
    const { reporter, seen } = tty();
    reporter.handle({
      type: 'job-progress',
      progress: {
        batch: 1,
        jobId: jobId(1),
        state: 'In Progress',
        total: 1000,
        processed: 250,
        succeeded: 250,
        failed: 0,
      },
    });
    reporter.handle({
      type: 'job-progress',
      progress: {
        batch: 2,
        jobId: jobId(2),
        state: 'In Progress',
        total: 1000,
        processed: 750,
        succeeded: 748,
        failed: 2,
      },
    });
    vi.advanceTimersByTime(1000);
    expect(seen().split('\n')[0]).toMatch(
      /^█{12}░{12} {2}50% \| 1,000\/2,000 rows \| 1,000 rows\/s \| ETA 1s \| 2 failed$/,
    );
    reporter.close();
  });

  describe('verbosity', () => {
    it('quiet: no bars, no spinner; failed jobs and the summary only', () => {
      const { reporter, seen } = tty(-1);
      reporter.handle({ type: 'stage', text: 'Starting…' });
      play(reporter);
      expect(vi.getTimerCount()).toBe(0);
      reporter.finish(summary());
      const screen = seen();
      expect(screen).not.toMatch(/[█░⠋]/);
      expect(screen).not.toContain('batch 3');
      expect(screen).not.toContain('warning');
      expect(screen).toContain('✘ batch 4');
      expect(screen).toContain('job error: Job aborted on request');
      expect(screen.trimEnd().split('\n').at(-1)).toBe(
        '  failed rows: transactions.failed-20261128T140305Z-3f9a2c.csv',
      );
    });
    it('normal: no batch, retry or http lines', () => {
      const { reporter, seen } = tty(0);
      play(reporter);
      reporter.close();
      expect(seen()).not.toMatch(/→ batch|retry 2|POST /);
    });
    it('-v: batches and retries', () => {
      const { reporter, seen } = tty(1);
      play(reporter);
      reporter.close();
      expect(seen()).toContain(`→ batch 3  lines 2002–3001  1,000 rows  job ${jobId(3)}\n`);
      expect(seen()).toContain('↻ retry 2 of start job in 1.0s: HTTP 502');
      expect(seen()).not.toContain('POST ');
    });
    it('-vv: http lines', () => {
      const { reporter, seen } = tty(2);
      play(reporter);
      reporter.close();
      expect(seen()).toContain('POST http://127.0.0.1:8000/api/transactions/bulk/?x=1 202 12ms\n');
    });
  });
});
