// Generated job servers (test/helpers/fake-job-server.ts) against the real CLI: whatever they
// answer, the run's accounting, exit code and --json agree with what they stored, whether they take
// CSV bodies (ext) or only the guide's JSON arrays. A few servers here; many more in npm run
// test:faults (test/faults/accounting-property.test.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkAccounting, runScenario, scenarioArb } from '../helpers/accounting-run.js';
import { HONEST } from '../helpers/fake-job-server.js';

const RUNS = Number(process.env.BULK_FC_RUNS ?? 8);

describe('accounting against a generated job server', () => {
  it('an honest server: every row stored, exit 0', async () => {
    const run = await runScenario({ rows: 5, batchSize: 2, concurrency: 2, scripts: [HONEST] });
    checkAccounting(run);
    expect(run.doc?.counts).toEqual({ read: 5, stored: 5, failed: 0, unprocessed: 0, unconfirmed: 0 });
  });

  it("an honest server that takes CSV bodies: the file's own lines, every row stored, exit 0", async () => {
    const run = await runScenario({ rows: 5, batchSize: 2, concurrency: 2, scripts: [HONEST], csv: true });
    checkAccounting(run);
    expect(run.bodyTypes).toEqual(['text/csv', 'text/csv', 'text/csv']);
    expect(run.doc?.counts).toEqual({ read: 5, stored: 5, failed: 0, unprocessed: 0, unconfirmed: 0 });
  });

  it('the reconciled accounting, exit code and --json agree with what the server stored', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        checkAccounting(await runScenario(scenario));
      }),
      { numRuns: RUNS },
    );
  }, 600_000);
});

describe('counterexamples fast-check shrank to, kept by name', () => {
  it('main, shrunk: one row that failed, status errors null and no errors endpoint — the row vanished (0 + 0 + 0 of 1)', async () => {
    const run = await runScenario({
      rows: 1,
      batchSize: 1,
      concurrency: 1,
      scripts: [{ ...HONEST, failEvery: 1, errors: 'null', errorsUrl: false }],
    });
    checkAccounting(run);
    expect(run.doc?.counts).toEqual({ read: 1, stored: 0, failed: 1, unprocessed: 0, unconfirmed: 0 });
    expect(run.doc?.errors[0]?.reason).toMatch(/the server did not say which rows/);
  });

  it('main, first failure: a status_url on the other origin was followed with the token and its 1,000,000 counted stored', async () => {
    const run = await runScenario({
      rows: 4,
      batchSize: 4,
      concurrency: 1,
      scripts: [
        {
          ...HONEST,
          failEvery: 2,
          failOffset: 2,
          errors: 'strings',
          errorsUrl: false,
          foreign: 'status_url',
          pollsBeforeFinal: 1,
        },
      ],
    });
    checkAccounting(run);
    expect(run.otherHits).toEqual([]);
    expect(run.code).toBe(3);
  });

  it('shrunk from a mutant that stops paging at a short page: errors pages of one error each still name every failed row', async () => {
    // main stopped at the first page shorter than the 1000 it asked for, so a server that caps its
    // pages had its later failed rows counted without their lines.
    const run = await runScenario({
      rows: 2,
      batchSize: 2,
      concurrency: 1,
      scripts: [{ ...HONEST, failEvery: 1, errors: 'strings', errorsUrl: true, pageCap: 1 }],
    });
    checkAccounting(run);
    expect(run.failedListed.sort()).toEqual(['row-at-line-2', 'row-at-line-3']);
  });

  it('CI, shrunk: a start whose answer was lost got its id back after a later batch had settled under the same id', async () => {
    // The server made job 0 for lines 2-2, lost the answer, then answered job 0's id for lines 3-3
    // too. The later batch heard first and was settled with job 0's status; the retried start
    // then claimed the id. The first answer to arrive is not the first job made: while a start is
    // still in flight, an id is not yet known to be one batch's.
    const run = await runScenario({
      rows: 2,
      batchSize: 1,
      concurrency: 2,
      scripts: [
        { ...HONEST, resetStart: 'after' },
        { ...HONEST, reuseId: true },
      ],
    });
    checkAccounting(run);
    expect(run.doc?.counts).toEqual({ read: 2, stored: 0, failed: 0, unprocessed: 0, unconfirmed: 2 });
    expect(run.code).toBe(3);
  });

  it('shrunk: a lost start whose job id a later batch was given; the reuse cannot be seen, only the sums are checked', async () => {
    // Keys echoed, nothing answered yet: line 2's start is lost (not sent again), and the server
    // answers line 3's start with line 2's job id. bulk never saw that id for line 2, so it settles
    // line 3 by that job's status (one failed row); the checker once held it to line 3's own job.
    const run = await runScenario({
      rows: 2,
      batchSize: 1,
      concurrency: 2,
      keys: 'echoed',
      scripts: [
        { ...HONEST, processedShare: 0, failEvery: 1, errors: 'objects', errorsUrl: false, resetStart: 'after' },
        { ...HONEST, processedShare: 0, errorsUrl: false, reuseId: true },
      ],
    });
    checkAccounting(run);
    expect(run.doc?.counts.unconfirmed).toBeGreaterThanOrEqual(1);
    expect(run.code).toBe(3);
  });

  it.each(['echoed', 'silent'] as const)(
    'a start reset after the job was made, on a server whose keys are %s: not sent again, its rows unconfirmed',
    async (keys) => {
      // Nothing said before the first start that a second start would replay the first job: sent
      // again, the batch could be stored twice (the upstream server ignores Idempotency-Key).
      const run = await runScenario({
        rows: 3,
        batchSize: 3,
        concurrency: 1,
        keys,
        scripts: [{ ...HONEST, resetStart: 'after' }],
      });
      checkAccounting(run);
      expect(run.jobs).toHaveLength(1);
      expect(run.doc?.counts).toEqual({ read: 3, stored: 0, failed: 0, unprocessed: 0, unconfirmed: 3 });
      expect(run.doc?.message).toMatch(/^lines 2-4 of \S+: start job \(transactions\): .*its 3 rows are unconfirmed$/);
      expect(run.code).toBe(3);
    },
  );
});

describe("a state word outside the protocol's five is a protocol violation, never a poll forever", () => {
  it.each([
    ['"Job Completed" by polling', { final: 'Job Complete' as const, events: false }, /"Job Completed"/],
    ['"Weird" by polling', { final: 'Failed' as const, events: false }, /"Weird"/],
    ['"Job Completed" as a server event', { final: 'Job Complete' as const, events: true }, /"Job Completed"/],
  ])(
    '%s: exit 3, the reason names the word, its rows unconfirmed',
    async (_name, script, word) => {
      const run = await runScenario({
        rows: 6,
        batchSize: 3,
        concurrency: 1,
        scripts: [{ ...HONEST, ...script, lie: 'unknown-state' }],
      });
      expect(run.code).toBe(3);
      expect(run.doc?.message).toMatch(word);
      expect(run.doc?.message).toMatch(/not one of the protocol's/);
      checkAccounting(run);
    },
    60_000,
  );
});

describe('every stop says why, and offers the resume once', () => {
  const failedHalf = {
    ...HONEST,
    final: 'Failed' as const,
    processedShare: 0.5,
    errors: 'strings' as const,
    errorsUrl: false,
  };

  it("a Failed job that stored half and counted no errors: exit 3, the message is the job's own error", async () => {
    const run = await runScenario({ rows: 4, batchSize: 4, concurrency: 1, scripts: [failedHalf] });
    expect(run.code).toBe(3);
    expect(run.doc?.message).toMatch(
      /^job \S+ \(lines 2-5 of .*transactions\.csv\) ended Failed with 2 of 4 rows unprocessed: Database connection lost$/,
    );
    checkAccounting(run);
  });

  it('without --json: the why line is printed, and the resume command once', async () => {
    const run = await runScenario({ rows: 4, batchSize: 4, concurrency: 1, scripts: [failedHalf] }, { human: true });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/Database connection lost/);
    expect(run.stderr.match(/bulk upload --resume \S+/g), run.stderr).toHaveLength(1);
  });
});
