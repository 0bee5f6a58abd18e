import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkAccounting, runScenario, scenarioArb } from '../helpers/accounting-run.js';
import { HONEST } from '../helpers/fake-job-server.js';

const RUNS = Number(process.env.BULK_FC_RUNS ?? 12);

describe('accounting against a generated job server', () => {
  it('an honest server: every row stored, exit 0', async () => {
    const run = await runScenario({ rows: 5, batchSize: 2, concurrency: 2, scripts: [HONEST] });
    checkAccounting(run);
    expect(run.doc?.counts).toEqual({ read: 5, stored: 5, failed: 0, unprocessed: 0 });
  });

  it('the reconciled accounting, exit code and --json agree with what the server stored', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        checkAccounting(await runScenario(scenario));
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
  }, 600_000);
});
