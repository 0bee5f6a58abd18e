import { describe, expect, it } from 'vitest';
import { call, tx, waitForFinal } from '../helpers/http.js';
import { createTestSchema, pgReachable, reportPgSkip } from '../helpers/pg.js';
import { spawnServer } from '../helpers/server-process.js';
import { waitUntil } from '../helpers/wait-until.js';
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

describe('a node stopped with SIGTERM mid-job (a rolling restart)', () => {
  it.skipIf(!pgUp)(
    'lets its jobs go, says which at info and counts them; the node that continues logs a hand-over, never a takeover',
    { timeout: 60_000 },
    async () => {
      const schema = await createTestSchema();
      const args = ['--db', schema.url, '--quiet', '--chunk-rows', '500'];
      const [a, b] = await Promise.all([spawnServer({ args }), spawnServer({ args })]);
      try {
        const start = await call(a.url, 'POST', '/api/transactions/bulk/', {
          body: Array.from({ length: 20_000 }, (_, i) => tx(i)),
        });
        expect(start.status).toBe(202);
        const id = String(start.body.job_id);
        await waitUntil(
          'the job under way on node A',
          async () => Number((await call(a.url, 'GET', `/api/jobs/${id}/status/`)).body.processed_items) > 0,
          { intervalMs: 20 },
        );
        expect(await a.stop('SIGTERM')).toBe(0);
        const released = a
          .stderr()
          .split('\n')
          .filter((l) => l.includes('"msg":"jobs released for another node to continue"'));
        expect(released).toHaveLength(1);
        expect(JSON.parse(released[0] as string)).toMatchObject({ level: 'info', jobs: [id], count: 1 });
        const final = await waitForFinal(b.url, id, 40_000);
        expect(final).toMatchObject({ state: 'Job Complete', success_count: 20_000 });
        expect(b.stderr()).toMatch(new RegExp(`"level":"info".*"job_id":"${id}".*"msg":"job handed over"`));
        expect(b.stderr()).not.toMatch(/job taken over/);
        const metrics = await (await fetch(`${b.url}/metrics`)).text();
        expect(metrics).toMatch(/^bulk_lease_takeovers_total 0$/m);
      } finally {
        await Promise.all([a.stop().catch(() => undefined), b.stop().catch(() => undefined)]);
        await schema.drop();
      }
    },
  );
});
