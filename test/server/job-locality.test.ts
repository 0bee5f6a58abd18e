// Two `bulk serve` nodes on one PostgreSQL schema: a job runs on the node that received it (which
// holds its parsed records), and records held for a job that never runs there are let go.
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { createTestSchema, pgReachable, reportPgSkip } from '../helpers/pg.js';
import { waitUntil } from '../helpers/wait-until.js';

const pgUp = await pgReachable();
if (!pgUp) reportPgSkip('job-locality');

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

const rows = (tag: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    account_id: i + 1,
    amount: '1.00',
    transaction_date: '2024-05-01',
    description: `${tag}-${i}`,
  }));

async function post(server: RunningServer, body: unknown): Promise<string> {
  const res = await fetch(`${server.url}/api/transactions/bulk/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { job_id: string }).job_id;
}

/** The node's own count of queued jobs whose parsed records it holds, as an operator reads it. */
async function held(server: RunningServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^bulk_held_job_bodies (\d+)$/m.exec(text)?.[1] ?? NaN);
}

describe('jobs run where they were received', () => {
  it.skipIf(!pgUp)(
    'every job of an upload spread over two nodes runs on the node that took it; held records of a job aborted elsewhere are dropped',
    { timeout: 30_000 },
    async () => {
      const schema = await createTestSchema();
      cleanups.push(schema.drop);
      let release: () => void = () => undefined;
      const gate = new Promise<void>((r) => (release = r));
      let heldJob = '';
      // Node A holds its first job before its first chunk, so the next job it takes waits, reserved for it.
      const a = await startServer({
        port: 0,
        host: '127.0.0.1',
        database: schema.url,
        beforeChunk: async (job) => (job.id === heldJob ? gate : undefined),
      });
      cleanups.push(() => a.close());
      const b = await startServer({ port: 0, host: '127.0.0.1', database: schema.url });
      cleanups.push(() => b.close());
      const db = new pg.Client({ connectionString: schema.url });
      await db.connect();
      cleanups.push(() => db.end());

      heldJob = await post(a, rows('held', 3));
      const queued = await post(a, rows('queued', 3));
      expect(await held(a)).toBeGreaterThanOrEqual(1);
      // B sees A's queued job but does not take it: it is reserved for A, which holds its records.
      const onB = await Promise.all([0, 1, 2].map(() => post(b, rows(`b-${Math.random()}`, 2))));
      await waitUntil(
        "B's jobs done",
        async () =>
          (
            await db.query("SELECT count(*)::int AS n FROM bulk_jobs WHERE id = ANY($1) AND state = 'Job Complete'", [
              onB,
            ])
          ).rows[0].n === 3,
      );
      expect((await db.query('SELECT state FROM bulk_jobs WHERE id = $1', [queued])).rows[0].state).toBe('Open');

      // Aborted through B while only reserved: it ends at once, and never runs on A.
      const abort = await fetch(`${b.url}/api/jobs/${queued}/abort/`, { method: 'POST' });
      expect(abort.status).toBe(202);
      expect(((await abort.json()) as { state: string }).state).toBe('Aborted');
      release();
      await waitUntil(
        'the held job done',
        async () =>
          (await db.query('SELECT state FROM bulk_jobs WHERE id = $1', [heldJob])).rows[0].state === 'Job Complete',
      );
      // A's lane found nothing more of that owner to run: the aborted job's records are not kept for good.
      let last = -1;
      await waitUntil(
        () => `A's held records let go (${last} held)`,
        async () => (last = await held(a)) === 0,
      );

      const nodes = await db.query<{ id: string; node: string }>('SELECT id, node FROM bulk_jobs WHERE id = ANY($1)', [
        [heldJob, ...onB],
      ]);
      const nodeOf = new Map(nodes.rows.map((r) => [r.id, r.node]));
      expect(nodeOf.get(heldJob)).toBe(a.nodeId);
      for (const id of onB) expect(nodeOf.get(id)).toBe(b.nodeId);
    },
  );
});
