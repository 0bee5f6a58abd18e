import { describe, expect, it } from 'vitest';
import { reconcileJob, type JobAnswer } from '../../src/upload/settle/reconcile-job.js';

const answer = (over: Partial<JobAnswer>): JobAnswer => ({
  state: 'Job Complete',
  total_items: 10,
  processed_items: 10,
  success_count: 10,
  error_count: 0,
  recordErrors: [],
  ...over,
});
const err = (index: unknown) => ({ index, field: 'amount', error: 'bad' });

describe('reconciling a job with its batch of 10 rows', () => {
  it('an honest complete job: stored and attributed failures', () => {
    expect(reconcileJob(10, answer({ success_count: 8, error_count: 2, recordErrors: [err(7), err(2)] }))).toEqual({
      kind: 'settled',
      processed: 10,
      stored: 8,
      attributed: [err(2), err(7)],
      unattributed: 0,
      unprocessed: 0,
    });
  });

  it('failures the server counted without naming them are failed, not stored', () => {
    // The guide's shapes: errors as strings (not record errors at all), error_count 2.
    const r = reconcileJob(10, answer({ success_count: 8, error_count: 2, recordErrors: [] }));
    expect(r).toMatchObject({ kind: 'settled', stored: 8, attributed: [], unattributed: 2, unprocessed: 0 });
  });

  it('a stopped job: a prefix processed, the rest unprocessed; processed_items may be absent', () => {
    expect(
      reconcileJob(
        10,
        answer({ state: 'Failed', processed_items: 4, success_count: 3, error_count: 1, recordErrors: [err(3)] }),
      ),
    ).toMatchObject({ kind: 'settled', processed: 4, stored: 3, unattributed: 0, unprocessed: 6 });
    expect(
      reconcileJob(10, answer({ state: 'Aborted', processed_items: undefined, success_count: 5, error_count: 0 })),
    ).toMatchObject({ kind: 'settled', processed: 5, stored: 5, unprocessed: 5 });
  });

  const contradictions: Array<[string, Partial<JobAnswer>, RegExp]> = [
    ['success_count over total_items', { success_count: 11 }, /success_count 11 is more than the 10 rows/],
    ['total_items not the batch', { total_items: 9, success_count: 9 }, /total_items is 9, the batch had 10/],
    ['counts not numbers', { success_count: '10' }, /success_count is "10"/],
    ['counts missing', { error_count: undefined }, /error_count is missing/],
    ['negative count', { error_count: -1, success_count: 10 }, /error_count is -1/],
    ['counts that do not add up (complete)', { success_count: 7, error_count: 2 }, /7 \+ error_count 2 ≠ 10/],
    ['complete with rows unprocessed', { processed_items: 8, success_count: 8 }, /complete but processed_items is 8/],
    [
      'processed beyond the batch',
      { state: 'Failed', processed_items: 12, success_count: 10 },
      /processed_items 12 is more/,
    ],
    [
      'index outside the batch',
      { success_count: 9, error_count: 1, recordErrors: [err(10)] },
      /index 10, outside the 10 rows/,
    ],
    ['negative index', { success_count: 9, error_count: 1, recordErrors: [err(-1)] }, /index -1/],
    [
      'index beyond what a stopped job processed',
      { state: 'Failed', processed_items: 4, success_count: 3, error_count: 1, recordErrors: [err(5)] },
      /outside the 4 rows processed/,
    ],
    [
      'index duplicated',
      { success_count: 8, error_count: 2, recordErrors: [err(1), err(1)] },
      /index 1 is listed as failed twice/,
    ],
    ['index not an integer', { success_count: 9, error_count: 1, recordErrors: [err(1.5)] }, /index is 1.5/],
    ['index as text', { success_count: 9, error_count: 1, recordErrors: [err('1')] }, /index is "1"/],
    [
      'more rows named than error_count',
      { success_count: 9, error_count: 1, recordErrors: [err(1), err(2)] },
      /2 rows are listed as failed but error_count is 1/,
    ],
  ];
  it.each(contradictions)('a contradiction: %s', (_name, over, reason) => {
    const r = reconcileJob(10, answer(over));
    expect(r.kind).toBe('contradiction');
    if (r.kind === 'contradiction') expect(r.reason).toMatch(reason);
  });

  it('job-level entries (index null) and non-objects name no row', () => {
    const r = reconcileJob(
      10,
      answer({ success_count: 9, error_count: 1, recordErrors: [{ index: null, error: 'x' }, 'text', null] }),
    );
    expect(r).toMatchObject({ kind: 'settled', attributed: [], unattributed: 1 });
  });
});
