import { describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../src/upload/state/checkpoint.js';
import { runAggregates } from '../../src/upload/state/run-result.js';
import { RunTally } from '../../src/upload/state/run-tally.js';

describe('the run tally', () => {
  it('balances when every row read is stored, failed, unprocessed or deliberately unsettled', () => {
    const tally = new RunTally();
    Object.assign(tally.counts, { read: 10, stored: 5, failed: 2, unprocessed: 1 });
    tally.notSettled(2);
    expect(() => tally.checkBalance()).not.toThrow();
  });

  it('refuses to report counts that lose rows', () => {
    const tally = new RunTally();
    Object.assign(tally.counts, { read: 500, stored: 490, failed: 0, unprocessed: 0 });
    expect(() => tally.checkBalance()).toThrow(/500 read ≠ 490 stored \+ 0 failed \+ 0 unprocessed/);
  });

  it('counts failures the server did not name, and keeps one note for them', () => {
    const tally = new RunTally();
    tally.failedUnattributed(10, { file: 'a.csv', line: 2, reason: '10 rows … the server did not say which rows' });
    expect(tally.counts.failed).toBe(10);
    expect(tally.firstErrors).toHaveLength(1);
  });

  it('shows live counts cut to the batch, never beyond it', () => {
    const tally = new RunTally();
    tally.setLive('j', { success_count: 1_000_000, error_count: -3 }, 4);
    expect(tally.snapshot(1)).toMatchObject({ stored: 4, failed: 0, inFlight: 1 });
    tally.endLive('j');
    expect(tally.snapshot(0)).toMatchObject({ stored: 0 });
  });
});

describe('checkpoints written before aggregate_state', () => {
  it('a folded entry that kept only combined values is still read', () => {
    const entries: Checkpoint['entries'] = [
      {
        key: 'r:0:2-21',
        file: 'a.csv',
        batch: 1,
        first_line: 2,
        last_line: 21,
        rows: 20,
        job_id: 'j1',
        state: 'finished',
        jobs: [
          ['j1', 1, 2, 11, 10, 10, 0],
          ['j2', 2, 12, 21, 10, 10, 0],
        ],
        outcome: {
          state: 'Job Complete',
          processed: 20,
          processed_through_line: 21,
          stored: 20,
          failed: 0,
          unprocessed: 0,
          aggregates: { total_amount: '30.00', average_amount: '1.50' },
          first_errors: [],
          job_errors: [],
        },
      },
    ];
    expect(runAggregates(entries, [])).toEqual({ total_amount: '30.00', average_amount: '1.50' });
  });
});
