// Every store writes a generated sequence of insert, upsert and delete chunks exactly as one row
// at a time in file order would: the same record errors and the same table (model in store-writes-model.ts).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { pgReachable, reportPgSkip } from '../helpers/pg.js';
import { BACKENDS, checkAgainstModel, jobsArb, type ModelBackend, type ModelVia } from './store-writes-model.js';

const pgUp = await pgReachable();
if (!pgUp) reportPgSkip('store-writes (PostgresStore)');
/** Kept small here; `npm run test:faults` runs the same property longer (test/faults/store-writes.test.ts). */
const RUNS = Number(process.env.BULK_FC_RUNS ?? 25);

describe.each(BACKENDS)('%s writes chunks as one row at a time would', (name, make) => {
  const skip = name === 'PostgresStore' && !pgUp;
  let b: ModelBackend;
  beforeAll(async () => {
    if (!skip) b = await make();
  });
  afterAll(async () => {
    await b?.dispose();
  });

  it.skipIf(skip)('generated jobs', async () => {
    await fc.assert(
      fc.asyncProperty(jobsArb, (jobs) => checkAgainstModel(b, jobs)),
      { numRuns: RUNS },
    );
  });

  it.each<ModelVia>(['application/json', 'text/csv'])(
    'generated jobs sent as %s bodies, read and checked by the server; one-chunk jobs run at once',
    async (via) => {
      if (skip) return;
      await fc.assert(
        fc.asyncProperty(jobsArb, (jobs) => checkAgainstModel(b, jobs, via)),
        { numRuns: RUNS },
      );
    },
  );

  // Shrunk by fast-check: PostgreSQL named the key of a record a LATER row of the same chunk stored
  // (code 'a', row 2), where one by one only the earlier record (sku 'y', row 0) was there to clash with.
  it.skipIf(skip)('a refused insert is labelled by the records before it, not by later rows of its chunk', async () => {
    await checkAgainstModel(b, [
      {
        resource: 'items',
        jobType: 'insert',
        key: ['code'],
        updateFields: null,
        rows: [
          ['c', 'y', null, null],
          ['a', 'y', null, null],
          ['a', null, null, null],
        ],
        chunks: [3],
      },
    ]);
  });
});
