import { describe, expect, it } from 'vitest';
import { pgReachable, reportPgSkip } from '../helpers/pg.js';
import { uploadThroughDeadNode } from './dead-node-upload.js';

const pgUp = await pgReachable();
if (!pgUp) reportPgSkip('dead-node (kill -9 behind a balancer that keeps the client side open)');

describe('a node killed behind a balancer that keeps the client side open', () => {
  it.skipIf(!pgUp)(
    'the upload notices its silent event streams, settles those jobs through the balancer: exit 0, every row once',
    { timeout: 90_000 },
    async () => {
      // A few seconds' work; a client that waits out a silent stream (60 s, as before) cannot end within the bound.
      const { held } = await uploadThroughDeadNode({
        rows: 30_000,
        batch: 3000,
        heartbeatMs: 500,
        leaseMs: 2000,
        boundMs: 40_000,
      });
      expect(held, 'no answer was left hanging by the dead node: the scenario did not happen').toBeGreaterThan(0);
    },
  );
});
