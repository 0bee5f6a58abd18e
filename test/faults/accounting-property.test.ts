// The generative accounting suite at full size (npm run test:faults): many more generated servers
// than npm test runs. BULK_FC_RUNS sets how many; BULK_FC_SEED replays one.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { checkAccounting, runScenario, scenarioArb } from '../helpers/accounting-run.js';

const RUNS = Number(process.env.BULK_FC_RUNS ?? 200);
const SEED = process.env.BULK_FC_SEED ? Number(process.env.BULK_FC_SEED) : undefined;

describe('accounting against generated job servers (full size)', () => {
  it(`the reconciled accounting, exit code and --json agree with what the server stored (${RUNS} servers)`, async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        checkAccounting(await runScenario(scenario));
      }),
      { numRuns: RUNS, seed: SEED },
    );
  }, 3_600_000);
});
