import { describe, expect, it } from 'vitest';
import { STATUS_OF_STATE, type JobState } from '../../src/protocol/index.js';
import { estimateDuration, humanDuration, startResponse, statusResponse } from '../../src/server/job-view.js';
import type { JobRecord } from '../../src/server/store/store.js';

const ID = '550e8400-e29b-41d4-a716-446655440000';

function job(over: Partial<JobRecord>): JobRecord {
  return {
    id: ID,
    seq: 1,
    resource: 'transactions',
    jobType: 'insert',
    owner: '',
    state: 'Open',
    totalItems: 1000,
    processedItems: 0,
    successCount: 0,
    errorCount: 0,
    uniqueFields: null,
    updateFields: null,
    createdAt: '2024-01-15T10:30:00Z',
    updatedAt: '2024-01-15T10:30:00Z',
    startedAt: null,
    completedAt: null,
    abortRequested: false,
    aggState: null,
    aggregates: null,
    jobErrors: null,
    node: null,
    awaitingTakeover: false,
    ...over,
  };
}

const view = (over: Partial<JobRecord>, rowsPerSecond = 10) =>
  statusResponse(job(over), { firstErrors: [], rowsPerSecond });

describe('the status view', () => {
  it.each<[JobState, Partial<JobRecord>, string]>([
    ['Open', {}, 'Job queued: 1000 items waiting to start'],
    [
      'In Progress',
      { processedItems: 500, successCount: 495, errorCount: 5 },
      'Processing 500 of 1000 items (50.0% complete)',
    ],
    [
      'Job Complete',
      { processedItems: 1000, successCount: 995, errorCount: 5, aggregates: '{}' },
      'Job completed successfully! Processed 1000 items with 5 errors',
    ],
    [
      'Failed',
      { processedItems: 500, jobErrors: ['Job could not finish: disk I/O error'] },
      'Job failed after processing 500 items',
    ],
    [
      'Aborted',
      { processedItems: 300, jobErrors: ['Job aborted on request'], aggregates: '{}' },
      'Job aborted after processing 300 of 1000 items',
    ],
  ])("%s: the guide's message and status word", (state, over, message) => {
    const s = view({ state, ...over });
    expect(s.message).toBe(message);
    expect(s.state).toBe(state);
    expect(s.status).toBe(STATUS_OF_STATE[state]);
  });

  it('while running: percentage to one decimal, an estimate, errors null, nothing ready', () => {
    const s = view({ state: 'In Progress', processedItems: 333 }, 10);
    expect(s.percentage).toBe(33.3);
    expect(s.estimated_remaining).toBe('67 seconds');
    expect(s.next_steps).toEqual(['Continue polling every 10 seconds', 'Estimated completion: 67 seconds']);
    expect(s.errors).toBeNull();
    expect(s).toMatchObject({
      aggregates_ready: false,
      aggregates_completed: false,
      can_retry: false,
      completed_at: null,
    });
  });

  it('when complete: 100.0, no estimate, aggregates ready, the first errors as objects', () => {
    const s = statusResponse(
      job({
        state: 'Job Complete',
        processedItems: 1000,
        successCount: 999,
        errorCount: 1,
        aggregates: '{}',
        completedAt: '2024-01-15T10:31:00Z',
      }),
      {
        firstErrors: [{ index: 3, field: 'amount', error: 'must be a decimal number' }],
        rowsPerSecond: 10,
      },
    );
    expect(s).toMatchObject({
      percentage: 100,
      estimated_remaining: null,
      aggregates_ready: true,
      aggregates_completed: true,
      completed_at: '2024-01-15T10:31:00Z',
    });
    expect(s.next_steps).toEqual(['Check aggregates_url for results', 'Review any errors in the response']);
    expect(s.errors).toEqual([{ index: 3, field: 'amount', error: 'must be a decimal number' }]);
  });

  it('a failed job: can_retry, and its job-level error with index null first', () => {
    const s = statusResponse(
      job({ state: 'Failed', processedItems: 500, jobErrors: ['Job could not finish: disk I/O error'] }),
      { firstErrors: [{ index: 1, error: 'x' }], rowsPerSecond: 10 },
    );
    expect(s.can_retry).toBe(true);
    expect(s.errors).toEqual([
      { index: null, error: 'Job could not finish: disk I/O error' },
      { index: 1, error: 'x' },
    ]);
    expect(s.aggregates_ready).toBe(false);
  });

  it('carries the (ext) URLs as relative paths', () => {
    const s = view({});
    expect(s).toMatchObject({
      resource: 'transactions',
      status_url: `/api/jobs/${ID}/status/`,
      aggregates_url: `/api/jobs/${ID}/aggregates/`,
      errors_url: `/api/jobs/${ID}/errors/`,
      events_url: `/api/jobs/${ID}/events/`,
      abort_url: `/api/jobs/${ID}/abort/`,
    });
  });
});

describe('the start view', () => {
  it("insert: the guide's message, next steps and tips", () => {
    const s = startResponse(job({}), 'less than a minute');
    expect(s.message).toBe('Enhanced bulk create job started for 1000 items');
    expect(s.task_id).toBe(`task-${ID}`);
    expect(s.next_steps).toEqual([
      'Poll status_url every 10 seconds for progress updates',
      "Check aggregates_url when status shows 'Job Complete'",
      'Review any errors in the status response',
    ]);
    expect(s.tips.slice(0, 3)).toEqual([
      'Large batches (>10k items) may take several minutes',
      'You can safely poll status_url frequently',
      'Aggregates are automatically calculated when job completes',
    ]);
    expect(s).not.toHaveProperty('unique_fields');
  });

  it('upsert: its own message, echoing unique_fields and update_fields', () => {
    const s = startResponse(job({ jobType: 'upsert', uniqueFields: ['order_id'], updateFields: null }), '1-2 minutes');
    expect(s.message).toBe('Enhanced bulk upsert job started for 1000 items');
    expect(s).toMatchObject({ unique_fields: ['order_id'], update_fields: null, estimated_duration: '1-2 minutes' });
  });

  it('estimates from size: under a minute, else a range of minutes', () => {
    expect(estimateDuration(1000, 0, 20_000)).toBe('less than a minute');
    expect(estimateDuration(1_500_000, 0, 20_000)).toBe('2-3 minutes');
    expect(estimateDuration(60_000, 0, 1000)).toBe('1-2 minutes');
  });

  it('speaks durations the way the guide does', () => {
    expect(humanDuration(30)).toBe('30 seconds');
    expect(humanDuration(0.2)).toBe('less than a second');
    expect(humanDuration(150)).toBe('3 minutes');
    expect(humanDuration(7200)).toBe('2 hours');
  });
});
