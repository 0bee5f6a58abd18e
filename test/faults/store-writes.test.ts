// The long run of the store-writes property (test/server/store-writes.test.ts): many more generated
// job sequences on both stores. BULK_FC_RUNS overrides the count.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { pgReachable } from '../helpers/pg.js';
import { BACKENDS, checkAgainstModel, jobsArb } from '../server/store-writes-model.js';

const pgUp = await pgReachable();
const RUNS = Number(process.env.BULK_FC_RUNS ?? 1000);

describe.each(BACKENDS)('%s against the one-row-at-a-time model (long)', (name, make) => {
  it.skipIf(name === 'PostgresStore' && !pgUp)(
    'generated jobs',
    async () => {
      const b = await make();
      try {
        await fc.assert(
          fc.asyncProperty(jobsArb, (jobs) => checkAgainstModel(b, jobs)),
          { numRuns: RUNS },
        );
      } finally {
        await b.dispose();
      }
    },
    600_000,
  );
});
