import { describe, expect, it } from 'vitest';
import { ENDINGS } from '../../src/errors/exit-codes.js';
import { runOutcome } from '../../src/upload/state/run-outcome.js';
import type { StopReason } from '../../src/upload/state/stop-policy.js';
import type { JobOutcome, RunCounts } from '../../src/upload/upload-events.js';

const counts = (c: Partial<RunCounts>): RunCounts => ({
  read: 10,
  stored: 10,
  failed: 0,
  unprocessed: 0,
  unconfirmed: 0,
  inFlight: 0,
  totalRows: 10,
  bytesRead: 0,
  totalBytes: 0,
  ...c,
});
type Given = { counts: RunCounts; stopReason: StopReason | null; jobs?: JobOutcome[] };
const outcome = (given: Given, opts: Parameters<typeof runOutcome>[1]) => {
  const stop = given.stopReason ? { reason: given.stopReason, message: `stopped: ${given.stopReason}` } : null;
  const { kind, message } = runOutcome({ counts: given.counts, stop, jobs: given.jobs ?? [] }, opts);
  return { kind, message, status: ENDINGS[kind].status, exitCode: ENDINGS[kind].exitCode };
};

describe('runOutcome', () => {
  it('0 when every row is stored', () =>
    expect(outcome({ counts: counts({}), stopReason: null }, {})).toEqual({
      kind: 'completed',
      message: null,
      status: 'completed',
      exitCode: 0,
    }));
  it('1 when rows were rejected', () =>
    expect(outcome({ counts: counts({ stored: 8, failed: 2 }), stopReason: null }, {}).exitCode).toBe(1));
  it('3 when rows are unprocessed, even with no stop reason', () =>
    expect(outcome({ counts: counts({ stored: 5, unprocessed: 5 }), stopReason: null }, {}).exitCode).toBe(3));
  it('3 for auth, protocol, max-errors, input, lost jobs', () => {
    for (const r of ['auth', 'protocol', 'max-errors', 'input', 'job-lost'] as const) {
      expect(outcome({ counts: counts({}), stopReason: r }, {})).toMatchObject({
        kind: r,
        exitCode: 3,
        status: 'stopped',
      });
    }
  });
  it('2 for an unknown resource: a configuration error, not something a resume can fix', () => {
    expect(outcome({ counts: counts({}), stopReason: 'unknown-resource' }, {})).toMatchObject({
      exitCode: 2,
      status: 'failed',
    });
  });
  it('4 when the server was unreachable', () =>
    expect(outcome({ counts: counts({}), stopReason: 'unreachable' }, {}).exitCode).toBe(4));
  it('130/143 on signals, whatever else happened', () => {
    expect(outcome({ counts: counts({ failed: 3 }), stopReason: 'unreachable' }, { signal: 'SIGINT' }).exitCode).toBe(
      130,
    );
    expect(outcome({ counts: counts({}), stopReason: null }, { signal: 'SIGTERM' }).exitCode).toBe(143);
  });
  it('dry run: 0 clean, 1 with unparseable rows', () => {
    expect(outcome({ counts: counts({ stored: 0 }), stopReason: null }, { dryRun: true })).toMatchObject({
      status: 'dry_run',
      exitCode: 0,
    });
    expect(outcome({ counts: counts({ stored: 0, failed: 1 }), stopReason: null }, { dryRun: true }).exitCode).toBe(1);
  });

  it("a Failed job that stored half and counted no errors: exit 3 with the job's own error as the reason", () => {
    const job: JobOutcome = {
      batch: 1,
      jobId: 'job-1',
      state: 'Failed',
      total: 100,
      processed: 50,
      succeeded: 50,
      failed: 0,
      origin: { batch: 1, file: 't.csv', firstLine: 2, lastLine: 101, rows: 100 },
      aggregates: null,
      firstErrors: [],
      jobErrors: ['Database connection lost'],
      unprocessed: 50,
    };
    const end = outcome({ counts: counts({ stored: 50, unprocessed: 50 }), stopReason: null, jobs: [job] }, {});
    expect(end).toMatchObject({ kind: 'job-failed', exitCode: 3 });
    expect(end.message).toBe(
      'job job-1 (lines 2-101 of t.csv) ended Failed with 50 of 100 rows unprocessed: Database connection lost',
    );
    const silent = outcome(
      { counts: counts({ stored: 50, unprocessed: 50 }), stopReason: null, jobs: [{ ...job, jobErrors: [] }] },
      {},
    );
    expect(silent.message).toMatch(/ended Failed with 50 of 100 rows unprocessed without saying why/);
  });
  it('every ending that is not a success carries a message', () => {
    const cases: Given[] = [
      { counts: counts({ stored: 5, unprocessed: 5 }), stopReason: null },
      ...(
        [
          'auth',
          'protocol',
          'max-errors',
          'input',
          'job-lost',
          'unknown-resource',
          'unreachable',
          'output',
          'interrupted',
        ] as const
      ).map((r) => ({ counts: counts({}), stopReason: r })),
    ];
    for (const given of cases) {
      for (const signal of [null, 'SIGINT', 'SIGTERM'] as const) {
        const end = outcome(given, { signal });
        if (end.exitCode !== 0 && end.exitCode !== 1)
          expect(end.message, JSON.stringify({ given, signal })).toMatch(/\S/);
      }
    }
  });
});
