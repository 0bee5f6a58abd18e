import { describe, expect, it } from 'vitest';
import { pgReachable, reportPgSkip } from '../helpers/pg.js';
import { uploadThroughDeadNode } from '../server/dead-node-upload.js';

const pgUp = await pgReachable();
if (!pgUp) reportPgSkip('faults: dead node behind a plain proxy');

describe('fault tier: kill -9 of one of three PostgreSQL nodes behind a proxy that keeps the client side open', () => {
  it.skipIf(!pgUp)(
    'a 300k-row upload with the default heartbeat: exit 0, every row once',
    { timeout: 200_000 },
    async () => {
      const { seconds, held } = await uploadThroughDeadNode({
        rows: 300_000,
        batch: 10_000,
        leaseMs: 5000,
        boundMs: 50_000,
      });
      console.log(
        `dead node behind a plain proxy: 300k rows in ${seconds.toFixed(1)} s, ${held} answer(s) left hanging`,
      );
      expect(held).toBeGreaterThan(0);
    },
  );
});
