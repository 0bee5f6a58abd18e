// The job settler against generated answers, in process: the same scripted answers as the fake
// job server's (honest in every guide shape, or lying in plain sight), hundreds of cases a second.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeBatch } from '../../src/upload/send/batch.js';
import type { CheckpointEntry } from '../../src/upload/state/checkpoint.js';
import { settlementOf } from '../../src/upload/settle/settle-job.js';
import { parseStatus } from '../../src/client/parse-status.js';
import { scriptArb } from '../helpers/accounting-run.js';
import { finalStatus, recordErrorList, type JobTruth } from '../helpers/fake-job-server.js';

const RUNS = Number(process.env.BULK_FC_RUNS ?? 300);

describe('settling a job from generated answers', () => {
  it('every row is stored, failed or unprocessed; stored is what the server stored, or the batch unconfirmed when its answer lies', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), scriptArb, fc.boolean(), (rows, script, paged) => {
        const processed = script.final === 'Job Complete' ? rows : Math.floor(script.processedShare * rows);
        const truth: JobTruth = {
          id: 'j',
          seq: 0,
          script,
          descriptions: Array.from({ length: rows }, (_, i) => `d${i}`),
          processed,
          stored: new Set(),
          failed: new Set(),
          polls: 0,
          statusResets: 0,
          reusedIdOf: null,
        };
        for (let i = 0; i < processed; i++)
          (script.failEvery > 0 && (i + script.failOffset) % script.failEvery === 0 ? truth.failed : truth.stored).add(
            i,
          );
        const answer = finalStatus(truth, 'http://a', 'http://b');
        // The status parser stands between the server and the settler: a state word outside the protocol stops there.
        if (script.lie === 'unknown-state') {
          expect(() => parseStatus(answer, 'j')).toThrow(
            /the state "(Job Completed|Weird)", which is not one of the protocol's/,
          );
          return;
        }
        const status = parseStatus(answer, 'j');
        const fromStatus = (status.errors ?? []).filter(
          (e) => e && typeof e === 'object' && (e as { index: unknown }).index != null,
        );
        // With an errors endpoint the client reads every error from it; else only the status's.
        const recordErrors = paged && script.errorsUrl ? recordErrorList(truth) : fromStatus;
        const jobErrors = (status.errors ?? []).filter((e): e is string => typeof e === 'string');
        const batch = makeBatch(
          1,
          'f.csv',
          truth.descriptions.map((d) => ({ d })),
          truth.descriptions.map((_, i) => i + 2),
        );
        const entry: CheckpointEntry = {
          key: 'k',
          file: 'f.csv',
          batch: 1,
          first_line: 2,
          last_line: rows + 1,
          rows,
          job_id: 'j',
          state: 'submitted',
        };
        const s = settlementOf(entry, batch, status, { aggregates: null, recordErrors, jobErrors });
        if (script.lie) {
          // A contradiction settles nothing: the whole batch is unconfirmed, and the run stops.
          expect(s.kind).toBe('unconfirmed');
          if (s.kind !== 'unconfirmed') return;
          expect(s.rows).toBe(rows);
          expect(['protocol', 'job-failed']).toContain(s.stop.reason);
          return;
        }
        if (s.kind !== 'settled') throw new Error(`an honest answer was not settled: ${s.stop.message}`);
        const o = s.outcome;
        expect(o.stored + o.failed + o.unprocessed).toBe(rows);
        expect(s.failedRows.length + (s.unattributed ? s.unattributed.rows : 0)).toBe(o.failed);
        {
          expect(s.stop).toBeNull();
          expect(o).toMatchObject({
            stored: truth.stored.size,
            failed: truth.failed.size,
            unprocessed: rows - processed,
          });
          for (const f of s.failedRows) expect(truth.failed.has(f.error.line - 2)).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
