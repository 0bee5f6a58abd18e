import { describe, expect, it } from 'vitest';
import { ENDINGS } from '../../src/errors/exit-codes.js';
import { runOutcome } from '../../src/upload/run-outcome.js';
import type { RunCounts } from '../../src/upload/upload-events.js';

const counts = (c: Partial<RunCounts>): RunCounts => ({ read: 10, stored: 10, failed: 0, unprocessed: 0, inFlight: 0, totalRows: 10, bytesRead: 0, totalBytes: 0, ...c });
const outcome = (...args: Parameters<typeof runOutcome>) => {
  const kind = runOutcome(...args);
  return { kind, status: ENDINGS[kind].status, exitCode: ENDINGS[kind].exitCode };
};

describe('runOutcome', () => {
  it('0 when every row is stored', () => expect(outcome({ counts: counts({}), stopReason: null }, {})).toEqual({ kind: 'completed', status: 'completed', exitCode: 0 }));
  it('1 when rows were rejected', () => expect(outcome({ counts: counts({ stored: 8, failed: 2 }), stopReason: null }, {}).exitCode).toBe(1));
  it('3 when rows are unprocessed, even with no stop reason', () => expect(outcome({ counts: counts({ stored: 5, unprocessed: 5 }), stopReason: null }, {}).exitCode).toBe(3));
  it('3 for auth, protocol, max-errors, input, lost jobs', () => {
    for (const r of ['auth', 'protocol', 'max-errors', 'input', 'job-lost'] as const) {
      expect(outcome({ counts: counts({}), stopReason: r }, {})).toMatchObject({ kind: r, exitCode: 3, status: 'stopped' });
    }
  });
  it('2 for an unknown resource: a configuration error, not something a resume can fix', () => {
    expect(outcome({ counts: counts({}), stopReason: 'unknown-resource' }, {})).toMatchObject({ exitCode: 2, status: 'failed' });
  });
  it('4 when the server was unreachable', () => expect(outcome({ counts: counts({}), stopReason: 'unreachable' }, {}).exitCode).toBe(4));
  it('130/143 on signals, whatever else happened', () => {
    expect(outcome({ counts: counts({ failed: 3 }), stopReason: 'unreachable' }, { signal: 'SIGINT' }).exitCode).toBe(130);
    expect(outcome({ counts: counts({}), stopReason: null }, { signal: 'SIGTERM' }).exitCode).toBe(143);
  });
  it('dry run: 0 clean, 1 with unparseable rows', () => {
    expect(outcome({ counts: counts({ stored: 0 }), stopReason: null }, { dryRun: true })).toMatchObject({ status: 'dry_run', exitCode: 0 });
    expect(outcome({ counts: counts({ stored: 0, failed: 1 }), stopReason: null }, { dryRun: true }).exitCode).toBe(1);
  });
});
