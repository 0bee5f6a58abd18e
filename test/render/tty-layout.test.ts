import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createReporter } from '../../src/render/reporter.js';
import type { UploadEvent } from '../../src/upload/upload-events.js';
import { CaptureStream, NOW, colorOn, counts, outcome, summary } from './fixtures.js';
import { renderScreen } from './screen.js';

/**
 * The terminal view of a whole run, replayed through the test terminal: how many bytes reach
 * the terminal, and what the screen looks like at 40, 60, 80 and 120 columns.
 */
const ROWS = 300_000;
const BATCH = 5_000;
const JOBS = ROWS / BATCH;
const CONCURRENCY = 4;
const BAD_PER_JOB = BATCH / 100;

function origin(batch: number) {
  const firstLine = 2 + (batch - 1) * BATCH;
  return { batch, file: 'transactions.csv', firstLine, lastLine: firstLine + BATCH - 1, rows: BATCH };
}
const id = (b: number) => `${(0x10000000 + b).toString(16)}-5e6f-4a1b-9c2d-000000000000`;

/** A 300k-row run with 1 % bad rows, as the upload core reports it. */
function* bigRun(): Generator<UploadEvent> {
  yield {
    type: 'run-start',
    runId: '20261128T140305Z-3f9a2c',
    files: ['transactions.csv'],
    url: 'http://127.0.0.1:8000',
    embedded: true,
    batchSize: BATCH,
    concurrency: CONCURRENCY,
  };
  let stored = 0;
  let failed = 0;
  let read = 0;
  const c = () =>
    counts({
      read,
      stored,
      failed,
      bytesRead: read * 80,
      totalBytes: ROWS * 80,
      totalRows: read === ROWS ? ROWS : null,
    });
  for (let wave = 0; wave < JOBS / CONCURRENCY; wave++) {
    const batches = Array.from({ length: CONCURRENCY }, (_, i) => wave * CONCURRENCY + i + 1);
    for (const b of batches) {
      read += BATCH;
      yield { type: 'counts', counts: c() };
      yield { type: 'batch-submitted', origin: origin(b), jobId: id(b), replayed: false };
    }
    for (let step = 1; step <= 5; step++) {
      for (const b of batches) {
        const processed = (BATCH / 5) * step;
        yield {
          type: 'job-progress',
          progress: {
            batch: b,
            jobId: id(b),
            state: 'In Progress',
            total: BATCH,
            processed,
            succeeded: processed - (BAD_PER_JOB / 5) * step,
            failed: (BAD_PER_JOB / 5) * step,
          },
        };
      }
      yield { type: 'counts', counts: c() };
    }
    for (const b of batches) {
      const first = origin(b).firstLine;
      const errors = Array.from({ length: BAD_PER_JOB }, (_, k) => ({
        file: 'transactions.csv',
        line: first + k * 100,
        field: k % 2 ? 'amount' : 'transaction_date',
        reason: k % 2 ? 'must be a decimal number' : 'is not a real calendar date',
      }));
      for (const error of errors) yield { type: 'row-rejected', error };
      stored += BATCH - BAD_PER_JOB;
      failed += BAD_PER_JOB;
      yield {
        type: 'job-finished',
        outcome: outcome(b, {
          jobId: id(b),
          origin: origin(b),
          total: BATCH,
          processed: BATCH,
          succeeded: BATCH - BAD_PER_JOB,
          failed: BAD_PER_JOB,
          firstErrors: errors.slice(0, 5),
        }),
      };
      yield { type: 'counts', counts: c() };
    }
  }
}

/** 3 ms an event: the run takes ~11 s, as a real 300k-row run on the embedded server does. */
const STEP_MS = 3;

function replay(columns: number, events: Iterable<UploadEvent>, rows = 30) {
  const stream = new CaptureStream({ tty: true, columns, rows });
  const reporter = createReporter({ mode: 'tty', stream, color: colorOn, verbosity: 0, env: {} });
  for (const e of events) {
    reporter.handle(e);
    vi.advanceTimersByTime(STEP_MS);
  }
  reporter.finish(
    summary({
      status: 'completed_with_errors',
      exitCode: 1,
      counts: { read: ROWS, stored: ROWS - JOBS * BAD_PER_JOB, failed: JOBS * BAD_PER_JOB, unprocessed: 0 },
      jobs: JOBS,
      resumeCommand: null,
      message: undefined,
      failedRowsFile: 'transactions.failed.csv',
    }),
  );
  return { stream, bytes: Buffer.byteLength(stream.text), screen: renderScreen(stream.text, columns) };
}

describe('the terminal view of a 300k-row run', () => {
  beforeEach(() => void vi.useFakeTimers({ now: NOW }));
  afterEach(() => void vi.useRealTimers());

  it('writes a few tens of KB, not most of a MB: frames at a fixed rate, one line per job', () => {
    const { bytes, screen } = replay(120, bigRun());
    // Main before this change wrote several hundred KB here: the bars were redrawn after every line.
    expect(bytes).toBeLessThan(60_000);
    // One line per job, the grouped errors, the summary: no per-row or per-job error lines.
    expect(screen.length).toBeLessThan(JOBS + 30);
    expect(screen.filter((l) => l.startsWith('✔ batch '))).toHaveLength(JOBS);
    expect(screen).toContain('  1,500 × amount: must be a decimal number');
    expect(screen).toContain('      transactions.csv:102, 302, 502, and 1,497 more');
  });

  it('moves each job bar with the job’s progress', () => {
    const events = [...bigRun()];
    const upTo = events.findIndex((e) => e.type === 'job-progress' && e.progress.processed === 2000);
    const stream = new CaptureStream({ tty: true, columns: 120, rows: 30 });
    const reporter = createReporter({ mode: 'tty', stream, color: colorOn, verbosity: 0, env: {} });
    for (const e of events.slice(0, upTo + 4)) reporter.handle(e);
    vi.advanceTimersByTime(200);
    expect(renderScreen(stream.text, 120).filter((l) => l.startsWith('  batch '))).toEqual([
      expect.stringMatching(/^ {2}batch 1 {2}10000001 {2}█{6}░{10} {2}2,000\/5,000 {2}20 failed$/),
      expect.stringMatching(/^ {2}batch 2 {2}10000002 {2}█{6}░{10} {2}2,000\/5,000 {2}20 failed$/),
      expect.stringMatching(/^ {2}batch 3 {2}10000003 {2}█{6}░{10} {2}2,000\/5,000 {2}20 failed$/),
      expect.stringMatching(/^ {2}batch 4 {2}10000004 {2}█{6}░{10} {2}2,000\/5,000 {2}20 failed$/),
    ]);
    reporter.close();
  });

  it('redraws at most 10 frames a second however many events come', () => {
    const stream = new CaptureStream({ tty: true, columns: 120, rows: 30 });
    const reporter = createReporter({ mode: 'tty', stream, color: colorOn, verbosity: 0, env: {} });
    let writes = 0;
    const write = stream.write.bind(stream);
    stream.write = ((chunk: unknown, ...rest: never[]) => {
      writes++;
      return write(chunk as string, ...rest);
    }) as typeof stream.write;
    for (const e of bigRun()) reporter.handle(e); // all at once, no time passing
    vi.advanceTimersByTime(1000);
    // One write per frame, one to hide the cursor, one for the line before the bars started.
    expect(writes).toBeLessThanOrEqual(13);
    reporter.close();
  });

  for (const columns of [40, 60, 80, 120]) {
    it(`fits ${columns} columns: no line wider, no word cut, the same screen however wide the terminal`, () => {
      const { stream, screen } = replay(columns, bigRun());
      // Anything wider than the terminal would wrap: rendered 1000 wide it would differ.
      expect(renderScreen(stream.text, 1000)).toEqual(screen);
      for (const l of screen) expect([...l].length, l).toBeLessThan(columns);
      const text = screen.join('\n');
      for (const word of ['unprocessed', 'stored', 'failed', 'rows/s', 'decimal'])
        expect(text).not.toMatch(new RegExp(`[a-z]${word.slice(0, 3)}(?![a-z/])`));
      expect(text).toContain('Done, with rejected rows (exit 1)');
      expect(text).toMatch(/unprocessed/);
    });
  }

  it('at 120 and 80 columns shows job bars; at 60 and 40 the overall bar alone, its ETA and failures moved below it', () => {
    const frameAt = (columns: number) => {
      const events = [...bigRun()];
      const stream = new CaptureStream({ tty: true, columns, rows: 30 });
      const reporter = createReporter({ mode: 'tty', stream, color: colorOn, verbosity: 0, env: {} });
      for (const e of events.slice(0, 40)) reporter.handle(e);
      vi.advanceTimersByTime(200);
      const screen = renderScreen(stream.text, columns);
      reporter.close();
      return screen.slice(screen.findIndex((l) => /% \| /.test(l) || /^ *\d+% /.test(l)));
    };
    expect(frameAt(120)).toEqual([
      expect.stringMatching(/^█*░+ +\d+% \| [\d,]+\/~?300,000 rows \| [\d,]+ rows\/s \| ETA .+ \| [\d,]+ failed$/),
      ...Array(4).fill(expect.stringMatching(/^ {2}batch \d/)),
    ]);
    expect(frameAt(80)).toHaveLength(5);
    // The bar is the last thing to go: what does not fit beside it moves below, whole.
    expect(frameAt(60).join('\n')).toMatch(
      /^(█|░)+ +\d+% \| [\d,]+\/~?300,000 rows( \| ETA [^|\n]+)?(\n {2}ETA [^|\n]+)?( \| |\n {2})[\d,]+ failed$/,
    );
    expect(frameAt(40).join('\n')).toMatch(
      /^(█|░)+ +\d+% \| [\d,]+\/~?300,000 rows( \| ETA [^|\n]+)?(\n {2}ETA [^|\n]+)?( \| |\n {2})[\d,]+ failed$/,
    );
  });
});
