import { describe, expect, it } from 'vitest';
import { ApiError, type AnswerDetail, type ApiErrorKind } from '../../src/client/api-error.js';
import { batchFailure, maxErrorsStop, StopLatch, stopWithFinalCounts } from '../../src/upload/state/stop-policy.js';

describe('stop policy: a failed batch', () => {
  type Row = [
    ApiErrorKind,
    number | null,
    string,
    'failed' | 'unprocessed' | 'unconfirmed',
    string | null,
    AnswerDetail?,
  ];
  const table: Row[] = [
    ['rejected', 400, 'bad body', 'failed', null],
    ['rejected', 422, 'key reused', 'failed', 'protocol'],
    ['not-found', 404, 'Unknown resource "x"', 'unprocessed', 'unknown-resource'],
    // A 404 to a start is the resource's, whatever the body says.
    ['not-found', 404, 'Not found', 'unprocessed', 'unknown-resource'],
    ['auth', 401, 'token refused', 'unprocessed', 'auth'],
    // Never connected: the server cannot have the batch.
    ['unreachable', null, 'ECONNREFUSED', 'unprocessed', 'unreachable', 'refused'],
    // Sent, and the answer lost: the server may have made a job of it.
    ['unreachable', null, 'ECONNRESET', 'unconfirmed', 'unconfirmed', 'reset'],
    ['unreachable', null, 'no answer for 30 s', 'unconfirmed', 'unconfirmed', 'timeout'],
    // 503s after a reset on an earlier attempt: that attempt may have made the job.
    ['unreachable', 503, 'HTTP 503', 'unconfirmed', 'unconfirmed', 'reset'],
    ['unreachable', 503, 'HTTP 503', 'unprocessed', 'unreachable'],
    // A 2xx the client cannot read: the server may have taken the batch.
    ['protocol', 200, 'no job_id', 'unconfirmed', 'unconfirmed'],
    ['too-large', 413, 'one row too large', 'unprocessed', 'protocol'],
  ];
  it.each(table)('%s %s (%s) → rows %s, stop %s', (kind, status, message, rows, stop, detail) => {
    const decision = batchFailure(new ApiError(kind, message, status, null, detail ?? null));
    expect(decision.rows).toBe(rows);
    expect(decision.stop?.reason ?? null).toBe(stop);
    if (decision.stop) expect(decision.stop.message).toContain(message);
  });
});

describe('stop policy: --max-errors', () => {
  const table: Array<[{ count?: number; percent?: number } | undefined, number, number, boolean]> = [
    [undefined, 1000, 1000, false],
    [{ count: 0 }, 0, 10, false],
    [{ count: 0 }, 1, 10, true],
    [{ count: 5 }, 5, 10, false],
    [{ count: 5 }, 6, 10, true],
    [{ percent: 10 }, 1, 10, false],
    [{ percent: 10 }, 2, 10, true],
    [{ percent: 10 }, 0, 0, false],
    [{ count: 100, percent: 50 }, 6, 10, true],
  ];
  it.each(table)('%j with %i failed of %i read → stop %s', (max, failed, read, stops) => {
    const decision = maxErrorsStop(max, failed, read);
    expect(decision !== null).toBe(stops);
    if (decision)
      expect(decision).toEqual({
        reason: 'max-errors',
        message: `more rows failed than --max-errors ${[max?.count, max?.percent === undefined ? undefined : `${max.percent}%`].filter((x) => x !== undefined).join(' / ')} allows (${failed} failed of ${read} read)`,
      });
  });

  it("says the counts of the run's last tally, not those of the instant it tripped (jobs in flight settle after it)", () => {
    const max = { percent: 0.5 };
    const tripped = maxErrorsStop(max, 156, 25_000);
    expect(tripped?.message).toContain('156 failed of 25000 read');
    const final = stopWithFinalCounts(tripped, max, { failed: 213, read: 25_000 });
    expect(final).toEqual({
      reason: 'max-errors',
      message: 'more rows failed than --max-errors 0.5% allows (213 failed of 25000 read)',
    });
    const other = { reason: 'auth' as const, message: 'token refused' };
    expect(stopWithFinalCounts(other, max, { failed: 213, read: 25_000 })).toBe(other);
  });

  it('keeps the first stop decision', () => {
    const latch = new StopLatch();
    latch.set(null);
    latch.set({ reason: 'auth', message: 'first' });
    latch.set({ reason: 'unreachable', message: 'second' });
    expect(latch.decision).toEqual({ reason: 'auth', message: 'first' });
  });
});
