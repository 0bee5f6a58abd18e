import { describe, expect, it } from 'vitest';
import { runOutcome } from '../../src/upload/run-outcome.js';
import type { RunCounts } from '../../src/upload/upload-events.js';

const counts = (c: Partial<RunCounts>): RunCounts => ({ read: 10, stored: 10, failed: 0, unprocessed: 0, inFlight: 0, totalRows: 10, bytesRead: 0, totalBytes: 0, ...c });

describe('runOutcome', () => {
  it('0 when every row is stored', () => expect(runOutcome({ counts: counts({}), stopReason: null, jobs: [] }, {})).toEqual({ status: 'completed', exitCode: 0 }));
  it('1 when rows were rejected', () => expect(runOutcome({ counts: counts({ stored: 8, failed: 2 }), stopReason: null, jobs: [] }, {}).exitCode).toBe(1));
  it('3 when rows are unprocessed, even with no stop reason', () => expect(runOutcome({ counts: counts({ stored: 5, unprocessed: 5 }), stopReason: null, jobs: [] }, {}).exitCode).toBe(3));
  it('3 for auth, protocol, max-errors, input, lost jobs', () => {
    for (const r of ['auth', 'protocol', 'max-errors', 'input', 'job-lost', 'unknown-resource'] as const) {
      expect(runOutcome({ counts: counts({}), stopReason: r, jobs: [] }, {}).exitCode).toBe(3);
    }
  });
  it('4 when the server was unreachable', () => expect(runOutcome({ counts: counts({}), stopReason: 'unreachable', jobs: [] }, {}).exitCode).toBe(4));
  it('130/143 on signals, whatever else happened', () => {
    expect(runOutcome({ counts: counts({ failed: 3 }), stopReason: 'unreachable', jobs: [] }, { signal: 'SIGINT' }).exitCode).toBe(130);
    expect(runOutcome({ counts: counts({}), stopReason: null, jobs: [] }, { signal: 'SIGTERM' }).exitCode).toBe(143);
  });
  it('dry run: 0 clean, 1 with unparseable rows', () => {
    expect(runOutcome({ counts: counts({ stored: 0 }), stopReason: null, jobs: [] }, { dryRun: true })).toEqual({ status: 'dry_run', exitCode: 0 });
    expect(runOutcome({ counts: counts({ stored: 0, failed: 1 }), stopReason: null, jobs: [] }, { dryRun: true }).exitCode).toBe(1);
  });
});
