import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TEST_PLAN } from '../helpers/run-plan.js';
import type { AggregateValue } from '../../src/protocol/index.js';
import { mergeStates, stateOf, valuesOf } from '../../src/upload/aggregates/aggregate-state.js';
import type { Checkpoint, CheckpointEntry } from '../../src/upload/state/checkpoint.js';
import { combineAggregates } from '../../src/upload/aggregates/combine-aggregates.js';
import { CheckpointFolder } from '../../src/upload/state/checkpoint-fold.js';
import { runAggregates } from '../../src/upload/state/run-result.js';

const RUNS = Number(process.env.BULK_FC_RUNS ?? 150);

/** Money as the server writes it: two decimals, as strings. */
const money = fc
  .integer({ min: -10_000_000, max: 10_000_000 })
  .map(
    (cents) =>
      `${cents < 0 ? '-' : ''}${Math.floor(Math.abs(cents) / 100)}.${String(Math.abs(cents) % 100).padStart(2, '0')}`,
  );

interface Job {
  stored: number;
  failed: number;
  aggregates: Record<string, AggregateValue>;
}

const jobArb: fc.Arbitrary<Job> = fc
  .record({
    stored: fc.integer({ min: 0, max: 5000 }),
    failed: fc.integer({ min: 0, max: 50 }),
    total: money,
    avg: money,
    min: money,
    max: money,
    rate: fc.integer({ min: 0, max: 100_000 }),
  })
  .map((j) => ({
    stored: j.stored,
    failed: j.failed,
    aggregates: {
      total_amount: j.total,
      average_amount: j.avg,
      min_amount: j.min,
      max_amount: j.max,
      transaction_count: j.stored,
      mean_rate: j.rate / 1000,
      by_category: { a: j.stored % 7, b: j.failed },
    },
  }));

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

/** Jobs 0..n-1 finish in `order`, folded by the real CheckpointFolder; the first `resumeAt` are a first run's, the rest a resume's. */
function foldRun(jobs: Job[], order: number[], resumeAt: number): { earlier: CheckpointEntry[]; session: Job[] } {
  const cp = checkpoint();
  const folder = new CheckpointFolder(cp);
  const first = jobs.slice(0, resumeAt);
  const slots = first.map(() => folder.open('a.csv'));
  const entries = first.map((job, n) => {
    const e: CheckpointEntry = {
      key: `r:0:${n}`,
      file: 'a.csv',
      batch: n + 1,
      first_line: 10 * n + 2,
      last_line: 10 * n + 11,
      rows: job.stored + job.failed,
      job_id: `job-${n}`,
      state: 'submitted',
    };
    cp.entries.push(e);
    slots[n]!.entries.push(e);
    return e;
  });
  for (const n of order.filter((i) => i < resumeAt)) {
    const job = jobs[n]!;
    const e = entries[n]!;
    e.state = 'finished';
    e.outcome = {
      state: 'Job Complete',
      processed: e.rows,
      processed_through_line: e.last_line,
      stored: job.stored,
      failed: job.failed,
      unprocessed: 0,
      aggregates: job.aggregates,
      first_errors: [],
      job_errors: [],
    };
    slots[n]!.done = true;
    folder.settle();
  }
  // What the checkpoint file keeps, read back as a resume would.
  const saved = JSON.parse(JSON.stringify(cp)) as Checkpoint;
  return { earlier: saved.entries, session: order.filter((i) => i >= resumeAt).map((i) => jobs[i]!) };
}

describe('the checkpoint fold of aggregates', () => {
  it("any order of job outcomes, folded and resumed at any point, gives the clean run's aggregates to the last digit", () => {
    fc.assert(
      fc.property(
        fc
          .array(jobArb, { minLength: 1, maxLength: 12 })
          .chain((jobs) =>
            fc.tuple(
              fc.constant(jobs),
              fc.shuffledSubarray([...jobs.keys()], { minLength: jobs.length, maxLength: jobs.length }),
              fc.integer({ min: 0, max: jobs.length }),
            ),
          ),
        ([jobs, order, resumeAt]) => {
          const clean = combineAggregates(jobs.map((j) => ({ aggregates: j.aggregates, succeeded: j.stored })));
          const { earlier, session } = foldRun(jobs, order, resumeAt);
          const resumed = runAggregates(
            earlier,
            session.map((j, i) => ({
              batch: i,
              jobId: '',
              state: 'Job Complete',
              total: 0,
              processed: 0,
              succeeded: j.stored,
              failed: j.failed,
              origin: { batch: i, file: 'a.csv', firstLine: 0, lastLine: 0, rows: 0 },
              aggregates: j.aggregates,
              firstErrors: [],
              jobErrors: [],
              unprocessed: 0,
            })),
          );
          expect(resumed).toEqual(clean);
          const storedEarlier = earlier.reduce((n, e) => n + (e.outcome?.stored ?? 0), 0);
          expect(storedEarlier + session.reduce((n, j) => n + j.stored, 0)).toBe(
            jobs.reduce((n, j) => n + j.stored, 0),
          );
          // A folded entry keeps sums and weights, never a rounded average.
          for (const e of earlier) if (e.jobs) expect(e.outcome?.aggregates).toBeNull();
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('merging states is associative and commutative', () => {
    fc.assert(
      fc.property(jobArb, jobArb, jobArb, (a, b, c) => {
        const [x, y, z] = [a, b, c].map((j) => stateOf(j.aggregates, j.stored)) as [
          ReturnType<typeof stateOf>,
          ReturnType<typeof stateOf>,
          ReturnType<typeof stateOf>,
        ];
        expect(valuesOf(mergeStates(mergeStates(x, y), z))).toEqual(valuesOf(mergeStates(x, mergeStates(y, z))));
        expect(valuesOf(mergeStates(x, y))).toEqual(valuesOf(mergeStates(y, x)));
      }),
      { numRuns: RUNS },
    );
  });

  it("issue 12: a resumed run's average equals the clean run's (seen: 4998.52 vs 4998.53)", () => {
    // Three jobs; the first two folded into one checkpoint entry before a stop. Folding kept their
    // combined average rounded to cents, and the resume averaged that with the third job's.
    const jobs: Job[] = [
      { stored: 1, failed: 0, aggregates: { average_amount: '4998.51' } },
      { stored: 2, failed: 0, aggregates: { average_amount: '4998.52' } },
      { stored: 1, failed: 0, aggregates: { average_amount: '4998.54' } },
    ];
    const clean = combineAggregates(jobs.map((j) => ({ aggregates: j.aggregates, succeeded: j.stored })));
    expect(clean.average_amount).toBe('4998.52');
    const { earlier, session } = foldRun(jobs, [0, 1, 2], 2);
    expect(earlier).toHaveLength(1);
    const resumed = runAggregates(
      earlier,
      session.map((j) => ({
        batch: 3,
        jobId: 'job-2',
        state: 'Job Complete',
        total: 1,
        processed: 1,
        succeeded: j.stored,
        failed: 0,
        origin: { batch: 3, file: 'a.csv', firstLine: 32, lastLine: 32, rows: 1 },
        aggregates: j.aggregates,
        firstErrors: [],
        jobErrors: [],
        unprocessed: 0,
      })),
    );
    expect(resumed.average_amount).toBe(clean.average_amount);
  });
});
