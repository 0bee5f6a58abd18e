// A job the node can take at once runs in the request that brings it, on both stores: it is Job
// Complete at its first status, with the records, errors and aggregates a queued run gives, no body
// kept, its key replayed; a job of an owner with one waiting, or on a node that holds jobs at chunk
// boundaries, is queued with its body as before.
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer, type ServeOptions } from '../../src/server/start-server.js';
import { createTestSchema, pgReachable, reportPgSkip } from '../helpers/pg.js';
import { call, tx, waitForFinal } from '../helpers/http.js';
import { tempDir } from '../helpers/temp.js';

const pgUp = await pgReachable();
if (!pgUp) reportPgSkip('run-at-once');

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

interface Store {
  name: string;
  skip: boolean;
  start(opts?: Partial<ServeOptions>): Promise<{ server: RunningServer; payloads: () => Promise<number> }>;
}

const STORES: Store[] = [
  {
    name: 'SQLite',
    skip: false,
    async start(opts = {}) {
      const dbPath = path.join(tempDir('bulk-at-once-'), 'at-once.db');
      const server = await startServer({ port: 0, host: '127.0.0.1', database: dbPath, ...opts });
      cleanups.push(() => server.close());
      const payloads = async () => {
        const db = new Database(dbPath, { readonly: true });
        try {
          return (db.prepare('SELECT count(*) AS n FROM bulk_job_payloads').get() as { n: number }).n;
        } finally {
          db.close();
        }
      };
      return { server, payloads };
    },
  },
  {
    name: 'PostgreSQL',
    skip: !pgUp,
    async start(opts = {}) {
      const schema = await createTestSchema();
      cleanups.push(schema.drop);
      const server = await startServer({ port: 0, host: '127.0.0.1', database: schema.url, ...opts });
      cleanups.push(() => server.close());
      const payloads = async () => {
        const c = new pg.Client({ connectionString: schema.url });
        await c.connect();
        try {
          return (await c.query('SELECT count(*)::int AS n FROM bulk_job_payloads')).rows[0].n as number;
        } finally {
          await c.end();
        }
      };
      return { server, payloads };
    },
  },
];

describe.each(STORES)('jobs taken at once ($name)', (store) => {
  it.skipIf(store.skip)(
    'Job Complete at the first status, with its errors and aggregates, no body kept; the key replays it',
    async () => {
      const { server, payloads } = await store.start();
      const body = [tx(1, { description: 'once-1' }), tx(2, { description: 'once-2', amount: 'x' })];
      const headers = { 'idempotency-key': 'at-once-key' };
      const start = await call(server.url, 'POST', '/api/transactions/bulk/', { body, headers });
      expect(start.status).toBe(202);
      expect(start.body).toMatchObject({ total_items: 2, message: 'Enhanced bulk create job started for 2 items' });
      const first = await call(server.url, 'GET', `/api/jobs/${String(start.body.job_id)}/status/`);
      expect(first.body).toMatchObject({
        state: 'Job Complete',
        processed_items: 2,
        success_count: 1,
        error_count: 1,
        errors: [{ index: 1, field: 'amount', error: 'must be a decimal number' }],
      });
      expect(await payloads()).toBe(0);
      const aggregates = await call(server.url, 'GET', `/api/jobs/${String(start.body.job_id)}/aggregates/`);
      expect(aggregates.body.aggregate_results).toMatchObject({
        total_amount: 1.25,
        transaction_count: 2,
        successful_transactions: 1,
        failed_transactions: 1,
      });
      const again = await call(server.url, 'POST', '/api/transactions/bulk/', { body, headers });
      expect(again.text).toBe(start.text);
      expect(again.headers['idempotency-replayed']).toBe('true');
      const other = await call(server.url, 'POST', '/api/transactions/bulk/', { body: body.slice(1), headers });
      expect(other.status).toBe(422);
      // A duplicate of a stored row fails alone, as in a queued run.
      const dup = await call(server.url, 'POST', '/api/transactions/bulk/', { body: [body[0], tx(3)] });
      expect(await waitForFinal(server.url, String(dup.body.job_id))).toMatchObject({
        state: 'Job Complete',
        success_count: 1,
        errors: [{ index: 0, error: expect.stringMatching(/duplicate/) }],
      });
    },
  );

  it.skipIf(store.skip)('a node that holds jobs at chunk boundaries queues them with their bodies', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let held = false;
    const { server, payloads } = await store.start({
      beforeChunk: async () => {
        if (held) return;
        held = true;
        await gate;
      },
    });
    const start = await call(server.url, 'POST', '/api/transactions/bulk/', { body: [tx(10, { description: 'q' })] });
    const first = await call(server.url, 'GET', `/api/jobs/${String(start.body.job_id)}/status/`);
    expect(first.body.state).toBe('Open');
    expect(await payloads()).toBe(1);
    release();
    expect(await waitForFinal(server.url, String(start.body.job_id))).toMatchObject({ success_count: 1 });
  });

  it.skipIf(store.skip)('a job bigger than one chunk is queued and runs chunk by chunk', async () => {
    const { server } = await store.start({ chunkSize: 2 });
    const rows = Array.from({ length: 5 }, (_, i) => tx(20 + i, { description: `big-${i}` }));
    const start = await call(server.url, 'POST', '/api/transactions/bulk/', { body: rows });
    const small = await call(server.url, 'POST', '/api/transactions/bulk/', { body: [tx(30, { description: 's' })] });
    expect(await waitForFinal(server.url, String(start.body.job_id))).toMatchObject({ success_count: 5 });
    expect(await waitForFinal(server.url, String(small.body.job_id))).toMatchObject({ success_count: 1 });
  });
});
