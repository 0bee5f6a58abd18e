import { describe, expect, it } from 'vitest';
import { buildJsonResult } from '../../src/render/json-result.js';
import { combineAggregates } from '../../src/upload/aggregates/combine-aggregates.js';
import { assertValidResult } from '../helpers/result-schema.js';
import { FILE, batch3, batch4, outcome, rowError, summary } from './fixtures.js';

const meta = {
  runId: '20261128T140305Z-3f9a2c',
  files: [FILE],
  url: 'http://127.0.0.1:8000',
  startedAt: '2026-11-28T14:03:05.123Z',
};

describe('buildJsonResult', () => {
  it('is valid for a run where every row was stored', () => {
    const jobs = [outcome(1), outcome(2)];
    const doc = buildJsonResult(
      summary({
        status: 'completed',
        exitCode: 0,
        counts: { read: 2000, stored: 2000, failed: 0, unprocessed: 0 },
        aggregates: combineAggregates(jobs),
        failedRowsFile: null,
        resumeCommand: null,
        message: undefined,
      }),
      jobs,
      [],
      meta,
    );
    assertValidResult(doc);
    expect(doc).toMatchObject({
      status: 'completed',
      exit_code: 0,
      message: null,
      failed_rows_file: null,
      resume_command: null,
      errors: [],
      not_read: [],
    });
    expect(doc.aggregates).toEqual({ total_amount: '300000.00', average_amount: '150.00' });
    expect(doc.jobs[0]).toEqual({
      id: outcome(1).jobId,
      batch: 1,
      file: FILE,
      first_line: 2,
      last_line: 1001,
      state: 'Job Complete',
      server_state: 'Job Complete',
      verdict: 'settled',
      total: 1000,
      stored: 1000,
      failed: 0,
      unprocessed: 0,
      unconfirmed: 0,
      aggregates: { total_amount: '150000.00', average_amount: '150.00' },
      job_errors: [],
    });
  });

  it('is valid for a partial failure, carrying the first 100 errors with their lines', () => {
    const errors = Array.from({ length: 150 }, (_, i) =>
      rowError(i + 2, i % 2 ? 'amount' : undefined, 'must be a decimal number'),
    );
    const doc = buildJsonResult(
      summary({
        status: 'completed_with_errors',
        exitCode: 1,
        counts: { read: 1000, stored: 850, failed: 150, unprocessed: 0 },
        resumeCommand: null,
      }),
      [batch3],
      errors,
      meta,
    );
    assertValidResult(doc);
    expect(doc.errors).toHaveLength(100);
    expect(doc.errors[0]).toEqual({ file: FILE, line: 2, reason: 'must be a decimal number' });
    expect(doc.errors[1]).toEqual({ file: FILE, line: 3, field: 'amount', reason: 'must be a decimal number' });
    expect(doc.failed_rows_file).toBe('transactions.failed-20261128T140305Z-3f9a2c.csv');
  });

  it('is valid for an interrupted run, with the command that resumes it', () => {
    const doc = buildJsonResult(
      summary({
        status: 'interrupted',
        exitCode: 130,
        message: 'interrupted',
        notRead: [{ file: FILE, fromLine: 4002 }],
        elapsedMs: 1234.6,
        rowsPerSecond: 811.2,
      }),
      [batch3, batch4],
      batch3.firstErrors,
      meta,
    );
    assertValidResult(doc);
    expect(doc).toMatchObject({
      status: 'interrupted',
      exit_code: 130,
      resume_command: 'bulk upload --resume 20261128T140305Z-3f9a2c',
      not_read: [{ file: FILE, from_line: 4002 }],
      elapsed_ms: 1235,
      rows_per_second: 811,
    });
    expect(doc.jobs[1]).toMatchObject({
      state: 'Aborted',
      stored: 400,
      unprocessed: 600,
      aggregates: null,
      job_errors: ['Job aborted on request'],
    });
  });

  it('is valid when bulk could not even start', () => {
    const doc = buildJsonResult(
      summary({
        status: 'failed',
        exitCode: 2,
        counts: { read: 0, stored: 0, failed: 0, unprocessed: 0 },
        jobs: 0,
        aggregates: {},
        failedRowsFile: null,
        resumeCommand: null,
        message: 'no input files given',
      }),
      [],
      [],
      { runId: null, files: [], url: null, startedAt: meta.startedAt },
    );
    assertValidResult(doc);
  });

  it('is rejected by the schema when a field goes missing or gains a stranger', () => {
    const doc = buildJsonResult(summary(), [], [], meta) as unknown as Record<string, unknown>;
    const { resume_command: _gone, ...missing } = doc;
    expect(() => assertValidResult(missing)).toThrow(/resume_command/);
    expect(() => assertValidResult({ ...doc, extra: 1 })).toThrow(/additional/);
    expect(() => assertValidResult({ ...doc, status: 'fine' })).toThrow(/status/);
  });
});
