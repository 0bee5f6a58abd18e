import { describe, expect, it } from 'vitest';
import { ResumeCursor, type CheckpointEntry } from '../../src/upload/state/checkpoint.js';
import { BatchBuilder, makeBatch, splitToFit } from '../../src/upload/send/batch.js';

const entry = (first: number, last: number, over: Partial<CheckpointEntry> = {}): CheckpointEntry => ({
  key: `k${first}`,
  file: 'a.csv',
  batch: 1,
  first_line: first,
  last_line: last,
  rows: last - first + 1,
  job_id: `job-${first}`,
  state: 'finished',
  outcome: {
    state: 'Job Complete',
    processed: last - first + 1,
    processed_through_line: last,
    stored: last - first + 1,
    failed: 0,
    unprocessed: 0,
    aggregates: null,
    first_errors: [],
    job_errors: [],
  },
  ...over,
});

describe('ResumeCursor', () => {
  it('skips rows of finished jobs, re-attaches submitted ones, sends the rest', () => {
    const cursor = new ResumeCursor([entry(2, 11), entry(12, 21, { state: 'submitted', outcome: undefined })]);
    const kinds = [2, 5, 11, 12, 21, 22, 30].map((line) => cursor.classify(line).kind);
    expect(kinds).toEqual(['done', 'done', 'done', 'attach', 'attach', 'send', 'send']);
  });
  it('sends the unprocessed tail of an aborted job, and only that', () => {
    const aborted = entry(2, 11, {
      outcome: {
        state: 'Aborted',
        processed: 4,
        processed_through_line: 5,
        stored: 4,
        failed: 0,
        unprocessed: 6,
        aggregates: null,
        first_errors: [],
        job_errors: [],
      },
    });
    const cursor = new ResumeCursor([aborted]);
    expect([2, 3, 4, 5, 6, 11].map((l) => cursor.classify(l).kind)).toEqual([
      'done',
      'done',
      'done',
      'done',
      'send',
      'send',
    ]);
  });
  it('treats a lost job as never processed', () => {
    const lost = entry(2, 4, {
      outcome: {
        state: 'Lost',
        processed: 0,
        processed_through_line: 0,
        stored: 0,
        failed: 0,
        unprocessed: 3,
        aggregates: null,
        first_errors: [],
        job_errors: [],
      },
    });
    const cursor = new ResumeCursor([lost]);
    expect([2, 3, 4].map((l) => cursor.classify(l).kind)).toEqual(['send', 'send', 'send']);
  });
  it('finds entries whatever order the checkpoint lists them in, across gaps of rejected lines', () => {
    const cursor = new ResumeCursor([entry(20, 29), entry(2, 10)]);
    expect([2, 10, 15, 20, 29].map((l) => cursor.classify(l).kind)).toEqual(['done', 'done', 'send', 'done', 'done']);
  });
});

describe('splitToFit', () => {
  const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ i }));
  const lines = (n: number) => Array.from({ length: n }, (_, i) => i + 2);
  it('gives the same parts a chain of 413 halvings would', () => {
    const parts = splitToFit(makeBatch(1, 'a.csv', rows(10), lines(10)), 3);
    expect(parts.map((p) => [p.origin.firstLine, p.origin.lastLine])).toEqual([
      [2, 4],
      [5, 6],
      [7, 9],
      [10, 11],
    ]);
    expect(parts.reduce((n, p) => n + p.origin.rows, 0)).toBe(10);
    expect(parts.flatMap((p) => JSON.parse(p.body.toString()) as unknown[])).toEqual(rows(10));
  });
  it('leaves a batch that fits alone', () => {
    const b = makeBatch(1, 'a.csv', rows(3), lines(3));
    expect(splitToFit(b, 3)).toEqual([b]);
  });
});

describe('BatchBuilder', () => {
  it('builds byte for byte the body a whole-array stringify gives (a resume must resend the same bytes)', () => {
    for (const n of [1, 255, 256, 257, 1000]) {
      const records = Array.from({ length: n }, (_, i) => ({
        id: i,
        text: i % 3 ? `row ${i}` : `naïve "quoted", ✓ ${i}`,
        empty: '',
      }));
      const builder = new BatchBuilder();
      records.forEach((r, i) => builder.add(r, i + 2));
      const built = builder.build(4, 'a.csv');
      expect(built.body.equals(Buffer.from(JSON.stringify(records), 'utf8')), `n=${n}`).toBe(true);
      expect(built.origin).toEqual({ batch: 4, file: 'a.csv', firstLine: 2, lastLine: n + 1, rows: n });
      expect([...built.lines]).toEqual(records.map((_, i) => i + 2));
    }
  });
});
