import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jobsTable } from '../../src/render/jobs-table.js';
import { runsTable, type RunRow } from '../../src/render/runs-table.js';
import type { StatusResponse } from '../../src/protocol/index.js';
import type { RunView } from '../../src/protocol/run-shapes.js';

const WIDTHS = [40, 60, 120];

/** The cells a printed line shows: columns are two or more spaces apart, and no cell holds two spaces. */
const cellsOf = (line: string) => line.split(/ {2,}/).filter((c) => c !== '');

const count = fc.integer({ min: 0, max: 9_999_999 });
const word = fc.stringMatching(/^[a-z][a-z0-9._-]{0,11}$/);

const runArb: fc.Arbitrary<RunRow> = fc
  .record({ files: fc.array(word, { minLength: 1, maxLength: 3 }), total: count, stored: count, failed: count })
  .map(({ files, total, stored, failed }) => ({
    unconfirmed: 0,
    run: {
      run_id: '20261206T202532Z-350a68',
      state: 'completed',
      files: files.map((f) => `${f}.csv`),
      resources: ['transactions'],
      jobs: 1,
      total_items: total,
      processed_items: total,
      success_count: stored,
      error_count: failed,
      created: stored,
      updated: 0,
      deleted: 0,
      unfinished_jobs: 0,
      failed_jobs: 0,
      aborted_jobs: 0,
      first_at: '2026-12-06T20:25:33.120Z',
      last_at: '2026-12-06T20:26:10.004Z',
      run_url: '',
      jobs_url: '',
      errors_url: '',
      abort_url: '',
    } satisfies RunView,
  }));

const jobArb = fc.record({ processed: count, stored: count, failed: count }).map(
  ({ processed, stored, failed }) =>
    ({
      job_id: '550e8400-e29b-41d4-a716-446655440000',
      job_type: 'insert',
      state: 'Job Complete',
      resource: 'transactions',
      total_items: processed,
      processed_items: processed,
      success_count: stored,
      error_count: failed,
      created_at: '2026-12-06T20:25:33.120Z',
    }) as StatusResponse,
);

/** Every line fits, and every cell it shows is one of its row's cells, whole and in order. */
function fits(lines: string[], full: string[], width: number): void {
  for (const [i, line] of lines.entries()) {
    expect(line.length, line).toBeLessThanOrEqual(width);
    const shown = cellsOf(line);
    const all = cellsOf(full[i] as string);
    let at = 0;
    for (const cell of shown) {
      at = all.indexOf(cell, at);
      expect(at, `${cell} in ${full[i]}`).toBeGreaterThanOrEqual(0);
      at++;
    }
  }
}

describe('bulk runs and bulk jobs at 40, 60 and 120 columns: the upload view’s rule', () => {
  it('drop whole columns, least important first, and never cut a word or a number', () => {
    fc.assert(
      fc.property(
        fc.array(runArb, { minLength: 1, maxLength: 5 }),
        fc.array(jobArb, { minLength: 1, maxLength: 5 }),
        (runs, jobs) => {
          for (const width of WIDTHS) {
            fits(runsTable(runs, width), runsTable(runs), width);
            fits(jobsTable(jobs, width), jobsTable(jobs), width);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps the id and the state always, and the file before the counts', () => {
    const [sample] = fc.sample(runArb, { numRuns: 1, seed: 7 }) as [RunRow];
    const row: RunRow = {
      ...sample,
      run: { ...sample.run, files: ['tx200k.csv'], total_items: 200_000, success_count: 199_000, error_count: 1000 },
    };
    const at40 = runsTable([row], 40);
    expect(cellsOf(at40[0] as string)).toEqual(['RUN', 'STATE']);
    // 60 columns: the file and the failures stay, the counts and the time go first.
    expect(cellsOf(runsTable([row], 60)[0] as string)).toEqual(['RUN', 'FILES', 'FAILED', 'STATE']);
    expect(cellsOf(runsTable([row], 120)[0] as string)).toEqual([
      'RUN',
      'STARTED',
      'FILES',
      'SENT',
      'STORED',
      'FAILED',
      'UNCONFIRMED',
      'STATE',
    ]);
    expect(cellsOf(jobsTable([fc.sample(jobArb, 1)[0] as StatusResponse], 40)[0] as string).slice(0, 2)).toEqual([
      'JOB',
      'STATE',
    ]);
  });
});

describe('bulk status and bulk watch lines at 40, 60 and 120 columns', () => {
  it('break at spaces only: nothing wider than the terminal, no word or number cut', async () => {
    const { wrapForTerminal } = await import('../../src/render/fit-parts.js');
    const { describeStatus } = await import('../../src/cli/job-actions.js');
    fc.assert(
      fc.property(jobArb, (job) => {
        const lines = describeStatus({ ...job, status: 'completed', message: 'Job completed', percentage: 100 });
        for (const width of WIDTHS)
          for (const text of lines) {
            const pieces = wrapForTerminal(text, width);
            for (const p of pieces) expect(p.length, p).toBeLessThan(width);
            expect(pieces.map((p, i) => (i ? p.trimStart() : p)).join(' ')).toBe(text);
          }
      }),
      { numRuns: 100 },
    );
  });
});
