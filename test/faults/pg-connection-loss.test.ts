import fc from 'fast-check';
import { describe, it } from 'vitest';
import { pgReachable, reportPgSkip } from '../helpers/pg.js';
import { killSchedule, uploadThroughConnectionLoss } from '../server/pg-connection-loss.js';

const pgUp = await pgReachable();
if (!pgUp) reportPgSkip('faults: pg-connection-loss');

describe('fault tier: many seeded schedules of terminated PostgreSQL backends', () => {
  it.skipIf(!pgUp)('every schedule: nodes stay up, rows once, jobs final', { timeout: 1_200_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(killSchedule, async (pauses) => {
        await uploadThroughConnectionLoss(pauses);
      }),
      {
        numRuns: Number(process.env.BULK_FAULT_RUNS ?? 8),
        seed: Number(process.env.BULK_FAULT_SEED ?? 2626),
        endOnFailure: true,
      },
    );
  });
});
