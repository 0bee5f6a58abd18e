import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pgReachable, reportPgSkip } from '../helpers/pg.js';
import { killSchedule, uploadThroughConnectionLoss } from './pg-connection-loss.js';

const pgUp = await pgReachable();
if (!pgUp) reportPgSkip('pg-connection-loss (nodes surviving terminated backends)');

describe('bulk serve on PostgreSQL survives losing its connections', () => {
  it.skipIf(!pgUp)(
    'backends of three nodes terminated again and again mid-upload: no node exits, every row once, every job final',
    { timeout: 120_000 },
    async () => {
      const seen: { kills: number; terminated: number }[] = [];
      await fc.assert(
        fc.asyncProperty(killSchedule, async (pauses) => {
          seen.push(await uploadThroughConnectionLoss(pauses));
        }),
        {
          numRuns: Number(process.env.BULK_FAULT_RUNS ?? 1),
          seed: Number(process.env.BULK_FAULT_SEED ?? 1313),
          endOnFailure: true,
        },
      );
      // The schedule must have cut connections while the upload ran, or the test proved nothing.
      expect(seen.some((s) => s.kills >= 2 && s.terminated > 0)).toBe(true);
    },
  );
});
