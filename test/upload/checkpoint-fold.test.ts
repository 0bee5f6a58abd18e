import { describe, expect, it } from 'vitest';
import { TEST_PLAN } from '../helpers/run-plan.js';
import {
  ResumeCursor,
  type Checkpoint,
  type CheckpointEntry,
  type EntryOutcome,
} from '../../src/upload/state/checkpoint.js';
import { valuesOf } from '../../src/upload/aggregates/aggregate-state.js';
import { entryAggregateState, CheckpointFolder, unfold } from '../../src/upload/state/checkpoint-fold.js';

function checkpoint(): Checkpoint {
  return {
    version: 2,
    run_id: 'r',
    cwd: '/',
    created_at: '',
    updated_at: '',
    plan: { ...TEST_PLAN, files: ['a.csv'], batchSize: 10, concurrency: 4 },
    inputs: [],
    entries: [],
    failed_rows: {},
    finished: false,
  };
}

/** Batch n of a file covers lines 10n+2 .. 10n+11 (a header on line 1, ten rows a batch). */
function entry(cp: Checkpoint, n: number, file = 'a.csv'): CheckpointEntry {
  const e: CheckpointEntry = {
    key: `r:0:${n}`,
    file,
    batch: n + 1,
    first_line: 10 * n + 2,
    last_line: 10 * n + 11,
    rows: 10,
    job_id: `job-${n}`,
    state: 'submitted',
  };
  cp.entries.push(e);
  return e;
}

function finish(e: CheckpointEntry, over: Partial<EntryOutcome> = {}): void {
  e.state = 'finished';
  e.outcome = {
    state: 'Job Complete',
    processed: e.rows,
    processed_through_line: e.last_line,
    stored: 9,
    failed: 1,
    unprocessed: 0,
    aggregates: { total: '1.5', n: 9 },
    first_errors: [{ file: e.file, line: e.first_line, reason: 'bad' }],
    job_errors: [],
    ...over,
  };
}

describe('CheckpointFolder', () => {
  it('folds complete neighbours once every earlier slot has settled, whatever order they finish in', () => {
    const cp = checkpoint();
    const folder = new CheckpointFolder(cp);
    const slots = [0, 1, 2].map(() => folder.open('a.csv'));
    const entries = [0, 1, 2].map((n) => entry(cp, n));
    entries.forEach((e, i) => slots[i]!.entries.push(e));

    finish(entries[2]!);
    slots[2]!.done = true;
    folder.settle();
    finish(entries[1]!);
    slots[1]!.done = true;
    folder.settle();
    // Slot 0 is still out: nothing may fold over its lines.
    expect(cp.entries).toHaveLength(3);

    finish(entries[0]!);
    slots[0]!.done = true;
    folder.settle();
    expect(cp.entries).toHaveLength(1);
    const folded = cp.entries[0]!;
    expect([folded.first_line, folded.last_line, folded.rows]).toEqual([2, 31, 30]);
    expect(folded.outcome).toMatchObject({
      state: 'Job Complete',
      processed: 30,
      processed_through_line: 31,
      stored: 27,
      failed: 3,
    });
    // Kept as exact state (sums and weights), not as combined values.
    expect(folded.outcome!.aggregates).toBeNull();
    expect(valuesOf(entryAggregateState(folded))).toEqual({ total: '4.5', n: 27 });
    expect(folded.jobs?.map((j) => j[0])).toEqual(['job-0', 'job-1', 'job-2']);
  });

  it('never folds across a job that ended short, a barrier, or another file', () => {
    const cp = checkpoint();
    const folder = new CheckpointFolder(cp);
    const open = (n: number, file = 'a.csv') => {
      const slot = folder.open(file);
      const e = entry(cp, n, file);
      slot.entries.push(e);
      return { slot, e };
    };
    const a = open(0);
    const b = open(1);
    const aborted = open(2);
    const c = open(3);
    folder.barrier();
    const d = open(5);
    const other = open(6, 'b.csv');
    for (const { slot, e } of [a, b, aborted, c, d, other]) {
      finish(e, e === aborted.e ? { state: 'Aborted', processed: 4, processed_through_line: 25, unprocessed: 6 } : {});
      slot.done = true;
    }
    folder.settle();
    expect(cp.entries.map((e) => [e.first_line, e.last_line])).toEqual([
      [2, 21], // a + b
      [22, 31], // aborted: its unprocessed tail must stay resumable
      [32, 41], // c: the barrier stops it from joining d
      [52, 61],
      [62, 71], // b.csv
    ]);
  });

  it('a slot that never got an entry (the send failed) breaks the run', () => {
    const cp = checkpoint();
    const folder = new CheckpointFolder(cp);
    const s0 = folder.open('a.csv');
    const s1 = folder.open('a.csv');
    const s2 = folder.open('a.csv');
    const e0 = entry(cp, 0);
    const e2 = entry(cp, 2);
    s0.entries.push(e0);
    s2.entries.push(e2);
    finish(e0);
    finish(e2);
    for (const s of [s0, s1, s2]) s.done = true;
    folder.settle();
    expect(cp.entries).toHaveLength(2);
  });

  it('a resume reads a folded checkpoint as before: its lines are done, the rest is sent', () => {
    const cp = checkpoint();
    const folder = new CheckpointFolder(cp);
    for (let n = 0; n < 3; n++) {
      const slot = folder.open('a.csv');
      const e = entry(cp, n);
      slot.entries.push(e);
      finish(e);
      slot.done = true;
    }
    folder.settle();
    const cursor = new ResumeCursor(cp.entries);
    expect([2, 15, 31].map((l) => cursor.classify(l).kind)).toEqual(['done', 'done', 'done']);
    expect(cursor.classify(32).kind).toBe('send');
    // A later run still lists each job.
    expect(unfold(cp.entries[0]!).map((j) => [j.jobId, j.origin.firstLine, j.origin.lastLine, j.succeeded])).toEqual([
      ['job-0', 2, 11, 9],
      ['job-1', 12, 21, 9],
      ['job-2', 22, 31, 9],
    ]);
  });
});
