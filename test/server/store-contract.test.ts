import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { AggregateAccumulator } from '../../src/server/resources/aggregates.js';
import { loadResources } from '../../src/server/resources/load-resources.js';
import type { ResourceDef, SqlValue } from '../../src/resources/resource-types.js';
import { PostgresStore } from '../../src/server/store/postgres-store.js';
import { SqliteStore } from '../../src/server/store/sqlite-store.js';
import { MIGRATIONS } from '../../src/server/store/migrations/index.js';
import { LeaseLostError, type JobRecord, type JobStore, type NewJob } from '../../src/server/store/store.js';
import { lineOf } from '../../src/server/store/run-queries.js';
import { createTestSchema, pgReachable, reportPgSkip } from '../helpers/pg.js';
import { tempDir } from '../helpers/temp.js';

const pgUp = await pgReachable();
if (!pgUp) reportPgSkip('store-contract (PostgresStore)');

interface Backend {
  store: JobStore;
  /** Rows of a query on the store's database (SQLite `?` placeholders are rewritten for PostgreSQL). */
  query: (sql: string, args?: unknown[]) => Promise<Record<string, unknown>[]>;
  dispose: () => Promise<void>;
}

const resources = loadResources(undefined);
const tx = resources.get('transactions') as ResourceDef;

async function sqliteBackend(): Promise<Backend> {
  const file = path.join(tempDir(), 'contract.db');
  const store = new SqliteStore(file);
  await store.init(resources);
  return {
    store,
    query: async (sql, args = []) => {
      const db = new Database(file, { readonly: true });
      try {
        return db.prepare(sql).all(...args) as Record<string, unknown>[];
      } finally {
        db.close();
      }
    },
    dispose: () => store.close(),
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

async function postgresBackend(): Promise<Backend> {
  const schema = await createTestSchema();
  cleanups.push(schema.drop);
  const store = new PostgresStore(schema.url, { leaseMs: 60_000 });
  await store.init(resources);
  return {
    store,
    query: async (sql, args = []) => {
      const c = new pg.Client({ connectionString: schema.url });
      await c.connect();
      try {
        let n = 0;
        return (
          await c.query(
            sql.replace(/\?/g, () => `$${++n}`),
            args,
          )
        ).rows as Record<string, unknown>[];
      } finally {
        await c.end();
      }
    },
    dispose: () => store.close(),
  };
}

let counter = 0;
function newJob(over: Partial<NewJob> = {}): NewJob {
  counter++;
  return {
    id: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    resource: 'transactions',
    jobType: 'insert',
    owner: '',
    totalItems: 1,
    uniqueFields: null,
    updateFields: null,
    createdAt: '2026-01-01T00:00:00Z',
    ...over,
  };
}

const row = (
  account: number,
  amount: string | null,
  description: string,
  category: string | null = null,
): SqlValue[] => [account, amount, '2024-01-02', description, category];

/** Runs the job's rows as one chunk that starts and finishes it, as the worker does. */
async function runChunk(
  store: JobStore,
  job: JobRecord,
  values: SqlValue[][],
  invalid: { index: number; error: string }[] = [],
  opts: { finish?: boolean; from?: number; workerId?: string } = {},
) {
  const agg = new AggregateAccumulator(tx, job.aggState ?? undefined);
  const from = opts.from ?? 0;
  const size = values.length + invalid.length;
  const before = agg.state.stored;
  return store.commitChunk({
    job,
    resource: tx,
    rows: values.map((v, i) => ({ index: from + i, values: v })),
    invalid,
    size,
    onStored: (v) => agg.addStored(v),
    aggState: () => {
      agg.addProcessed(size, size - (agg.state.stored - before));
      return agg.snapshot();
    },
    now: '2026-01-01T00:00:01Z',
    start: job.state === 'Open',
    finish: opts.finish === false ? undefined : () => agg.resultsJson(),
    workerId: opts.workerId,
  });
}

async function createAndClaim(store: JobStore, over: Partial<NewJob> = {}, payload = '[]'): Promise<JobRecord> {
  const job = newJob(over);
  await store.createJob(job, payload);
  const claimed = await store.claimNext('local');
  expect(claimed?.id).toBe(job.id);
  return claimed as JobRecord;
}

const backends: [string, () => Promise<Backend>, boolean][] = [
  ['SqliteStore', sqliteBackend, false],
  ['PostgresStore', postgresBackend, !pgUp],
];

describe.each(backends)('JobStore contract: %s', (_name, make, skip) => {
  it.skipIf(skip)(
    'create, claim, commit and finish: records, counters, exact aggregates, payload dropped',
    async () => {
      const b = await make();
      try {
        const { store } = b;
        const job = newJob({ totalItems: 3 });
        await store.createJob(job, '[{"x":1}]');
        expect((await store.getJob(job.id))?.state).toBe('Open');
        expect(await store.loadPayload(job.id)).toBe('[{"x":1}]');
        expect(await store.queueDepth()).toBe(1);
        const claimed = (await store.claimNext('local')) as JobRecord;
        expect(claimed.id).toBe(job.id);
        const out = await runChunk(
          store,
          claimed,
          [row(1, '0.10', 'a'), row(2, '0.20', 'b')],
          [{ index: 2, error: 'bad' }],
        );
        expect(out.stored).toBe(2);
        const done = (await store.getJob(job.id)) as JobRecord;
        expect(done).toMatchObject({ state: 'Job Complete', processedItems: 3, successCount: 2, errorCount: 1 });
        expect(done.aggregates).toMatch(/"total_amount":0\.30[,}]/);
        expect(await store.queueDepth()).toBe(0);
        await expect(store.loadPayload(job.id)).rejects.toThrow(/missing/);
        expect(await b.query('SELECT description FROM transactions ORDER BY description')).toEqual([
          { description: 'a' },
          { description: 'b' },
        ]);
        expect(await store.claimNext('local')).toBeNull();
        const listed = await store.listJobs({ owner: '', limit: 10 });
        expect(listed.map((j) => j.id)).toEqual([job.id]);
        expect(await store.listJobs({ owner: 'someone', limit: 10 })).toEqual([]);
        expect((await store.listJobs({ owner: null, state: 'Open', limit: 10 })).length).toBe(0);
      } finally {
        await b.dispose();
      }
    },
  );

  it.skipIf(skip)('resumes from the committed chunk: counters add up across chunks', async () => {
    const b = await make();
    try {
      const { store } = b;
      const job = await createAndClaim(store, { totalItems: 4 });
      await runChunk(store, job, [row(1, '1.00', 'r1'), row(1, '2.00', 'r2')], [], { finish: false });
      const mid = (await store.getJob(job.id)) as JobRecord;
      expect(mid).toMatchObject({ state: 'In Progress', processedItems: 2, successCount: 2 });
      await runChunk(store, mid, [row(1, '3.00', 'r3'), row(1, '4.00', 'r4')], [], { from: 2 });
      const done = (await store.getJob(job.id)) as JobRecord;
      expect(done).toMatchObject({ state: 'Job Complete', processedItems: 4, successCount: 4 });
      expect(done.aggregates).toMatch(/"total_amount":10\.00[,}]/);
    } finally {
      await b.dispose();
    }
  });

  it.skipIf(skip)(
    'idempotency: the key keeps its hash, job and first body; a second job with it is refused whole',
    async () => {
      const b = await make();
      try {
        const { store } = b;
        const first = newJob();
        await store.createJob(first, '[]', { key: 'k1', hash: 'h1', response: '{"job_id":"first"}' });
        expect(await store.findIdempotency('', 'k1')).toEqual({
          hash: 'h1',
          jobId: first.id,
          response: '{"job_id":"first"}',
        });
        expect(await store.findIdempotency('other-owner', 'k1')).toBeNull();
        const second = newJob();
        await expect(store.createJob(second, '[]', { key: 'k1', hash: 'h2', response: '{}' })).rejects.toThrow();
        expect(await store.getJob(second.id)).toBeNull();
        expect((await store.findIdempotency('', 'k1'))?.jobId).toBe(first.id);
        // Keys are per owner.
        await store.createJob(newJob({ owner: 'bob' }), '[]', { key: 'k1', hash: 'h3', response: '{}' });
        expect((await store.findIdempotency('bob', 'k1'))?.hash).toBe('h3');
      } finally {
        await b.dispose();
      }
    },
  );

  it.skipIf(skip)('abort: flagged, an unstarted job ends once, a final job never changes', async () => {
    const b = await make();
    try {
      const { store } = b;
      const job = newJob();
      await store.createJob(job, '[]');
      expect(await store.isAbortRequested(job.id)).toBe(false);
      await store.requestAbort(job.id, '2026-01-01T00:00:05Z');
      expect(await store.isAbortRequested(job.id)).toBe(true);
      expect(
        await store.finishJob(job.id, {
          state: 'Aborted',
          now: '2026-01-01T00:00:06Z',
          aggregates: null,
          jobErrors: ['stop'],
          unstartedOnly: true,
        }),
      ).toBe(true);
      expect(
        await store.finishJob(job.id, {
          state: 'Failed',
          now: '2026-01-01T00:00:07Z',
          aggregates: null,
          jobErrors: ['x'],
        }),
      ).toBe(false);
      expect(await store.getJob(job.id)).toMatchObject({
        state: 'Aborted',
        jobErrors: ['stop'],
        completedAt: '2026-01-01T00:00:06Z',
      });
      // A started job is not ended by an unstarted-only finish.
      const started = await createAndClaim(store, { totalItems: 2 });
      await runChunk(store, started, [row(5, '1.00', 's1')], [], { finish: false });
      expect(
        await store.finishJob(started.id, {
          state: 'Aborted',
          now: '2026-01-01T00:00:08Z',
          aggregates: null,
          jobErrors: null,
          unstartedOnly: true,
        }),
      ).toBe(false);
      expect((await store.getJob(started.id))?.state).toBe('In Progress');
    } finally {
      await b.dispose();
    }
  });

  it.skipIf(skip)('record errors page in index order with a total', async () => {
    const b = await make();
    try {
      const { store } = b;
      const job = await createAndClaim(store, { totalItems: 25 });
      const invalid = Array.from({ length: 25 }, (_, i) => ({ index: 24 - i, error: `bad ${24 - i}` }));
      await runChunk(store, job, [], invalid);
      const page = await store.recordErrors(job.id, 10, 5);
      expect(page.total).toBe(25);
      expect(page.errors).toEqual([10, 11, 12, 13, 14].map((i) => ({ index: i, error: `bad ${i}` })));
      expect((await store.recordErrors(job.id, 30, 5)).errors).toEqual([]);
    } finally {
      await b.dispose();
    }
  });

  it.skipIf(skip)(
    'expiry forgets finished jobs before the cutoff, their errors and keys; records and open jobs stay',
    async () => {
      const b = await make();
      try {
        const { store } = b;
        const old = newJob();
        await store.createJob(old, '[]', { key: 'old', hash: 'h', response: '{}' });
        await store.claimNext('local');
        await runChunk(
          store,
          (await store.getJob(old.id)) as JobRecord,
          [row(9, '1.00', 'kept')],
          [{ index: 1, error: 'e' }],
        );
        const open = newJob();
        await store.createJob(open, '[]');
        expect(await store.expireJobs('2026-01-01T00:00:00Z')).toBe(0);
        expect(await store.expireJobs('2030-01-01T00:00:00Z')).toBe(1);
        expect(await store.getJob(old.id)).toBeNull();
        expect(await store.findIdempotency('', 'old')).toBeNull();
        expect((await store.recordErrors(old.id, 0, 10)).total).toBe(0);
        expect((await store.getJob(open.id))?.state).toBe('Open');
        expect(await b.query("SELECT description FROM transactions WHERE description = 'kept'")).toHaveLength(1);
      } finally {
        await b.dispose();
      }
    },
  );

  it.skipIf(skip)(
    'insert: a duplicate key is a record error naming the key; upsert updates only supplied fields; delete by key',
    async () => {
      const b = await make();
      try {
        const { store } = b;
        const ins = await createAndClaim(store, { totalItems: 3 });
        const out = await runChunk(store, ins, [
          row(1, '1.00', 'dup', 'food'),
          row(1, '2.00', 'dup'),
          row(2, '3.00', 'other', 'rent'),
        ]);
        expect(out.stored).toBe(2);
        expect(out.errors).toEqual([
          { index: 1, field: 'account_id,transaction_date,description', error: 'duplicate of an existing record' },
        ]);
        expect((await store.getJob(ins.id))?.aggregates).toMatch(/"total_amount":4\.00[,}]/);

        const keys = ['account_id', 'transaction_date', 'description'];
        const up = await createAndClaim(store, { jobType: 'upsert', uniqueFields: keys, totalItems: 2 });
        const upOut = await runChunk(store, up, [row(1, '9.99', 'dup', null), row(3, '5.00', 'new', 'misc')]);
        expect(upOut.stored).toBe(2);
        const rows = await b.query(
          'SELECT account_id, amount, description, category FROM transactions ORDER BY description',
        );
        expect(rows.map((r) => [Number(r.account_id), r.amount, r.description, r.category])).toEqual([
          [1, '9.99', 'dup', 'food'],
          [3, '5.00', 'new', 'misc'],
          [2, '3.00', 'other', 'rent'],
        ]);

        const del = await createAndClaim(store, { jobType: 'delete', uniqueFields: keys, totalItems: 2 });
        const delOut = await runChunk(store, del, [row(3, '0', 'new'), row(4, '0', 'absent')]);
        expect(delOut.stored).toBe(1);
        expect(delOut.errors[0]).toMatchObject({ index: 1, error: 'no record with this key' });
        expect(await b.query("SELECT 1 FROM transactions WHERE description = 'new'")).toHaveLength(0);
      } finally {
        await b.dispose();
      }
    },
  );

  it.skipIf(skip)(
    'upsert of a partial record (a required field left out): it updates the record its key names, and is refused where it would have to create one',
    async () => {
      const b = await make();
      try {
        const { store } = b;
        const ins = await createAndClaim(store, { totalItems: 2 });
        await runChunk(store, ins, [row(1, '1.00', 'a', 'food'), row(2, '2.00', 'b', 'rent')]);
        const keys = ['account_id', 'transaction_date', 'description'];
        const up = await createAndClaim(store, { jobType: 'upsert', uniqueFields: keys, totalItems: 3 });
        const out = await runChunk(store, up, [
          row(1, null, 'a', 'travel'),
          row(9, null, 'nope', 'x'),
          row(2, null, 'b', 'misc'),
        ]);
        expect(out.stored).toBe(2);
        expect(out.errors).toEqual([
          {
            index: 1,
            field: 'account_id,transaction_date,description',
            error: 'no record with this key; creating one needs amount',
          },
        ]);
        const rows = await b.query(
          'SELECT account_id, amount, description, category FROM transactions ORDER BY account_id',
        );
        expect(rows.map((r) => [Number(r.account_id), r.amount, r.description, r.category])).toEqual([
          [1, '1.00', 'a', 'travel'],
          [2, '2.00', 'b', 'misc'],
        ]);
      } finally {
        await b.dispose();
      }
    },
  );

  it.skipIf(skip)(
    'upsert: a key repeated inside one chunk is applied in file order; every row is stored, the last writer named',
    async () => {
      const b = await make();
      try {
        const { store } = b;
        const keys = ['account_id', 'transaction_date', 'description'];
        const seed = await createAndClaim(store, { totalItems: 1 });
        await runChunk(store, seed, [row(7, '1.00', 'old', 'rent')]);
        const up = await createAndClaim(store, { jobType: 'upsert', uniqueFields: keys, totalItems: 6 });
        const out = await runChunk(store, up, [
          row(1, '1.00', 'new', 'food'),
          row(7, '2.00', 'old', null),
          row(1, '2.00', 'new', null),
          row(2, '5.00', 'other', null),
          row(7, '3.00', 'old', 'misc'),
          row(1, '3.00', 'new', null),
        ]);
        expect(out).toEqual({ stored: 6, errors: [] });
        const rows = await b.query(
          'SELECT account_id, amount, description, category, job_index FROM transactions ORDER BY account_id',
        );
        expect(
          rows.map((r) => [Number(r.account_id), r.amount, r.description, r.category, Number(r.job_index)]),
        ).toEqual([
          [1, '3.00', 'new', 'food', 5],
          [2, '5.00', 'other', null, 3],
          [7, '3.00', 'old', 'misc', 4],
        ]);
        expect((await store.getJob(up.id))?.aggregates).toMatch(/"total_amount":16\.00[,}]/);
      } finally {
        await b.dispose();
      }
    },
  );

  it.skipIf(skip)(
    'delete: the first row of a key deletes it, a repeat and an absent key find no record; others stay',
    async () => {
      const b = await make();
      try {
        const { store } = b;
        const keys = ['account_id', 'transaction_date', 'description'];
        const ins = await createAndClaim(store, { totalItems: 3 });
        await runChunk(store, ins, [row(1, '1.00', 'a'), row(2, '2.00', 'b'), row(3, '3.00', 'c')]);
        const del = await createAndClaim(store, { jobType: 'delete', uniqueFields: keys, totalItems: 4 });
        const out = await runChunk(store, del, [
          row(2, '0', 'b'),
          row(9, '0', 'zz'),
          row(2, '0', 'b'),
          row(1, '0', 'a'),
        ]);
        expect(out.stored).toBe(2);
        expect(out.errors).toEqual([
          { index: 1, field: keys.join(','), error: 'no record with this key' },
          { index: 2, field: keys.join(','), error: 'no record with this key' },
        ]);
        expect(await b.query('SELECT description FROM transactions')).toEqual([{ description: 'c' }]);
        expect(await store.getJob(del.id)).toMatchObject({ state: 'Job Complete', successCount: 2, errorCount: 2 });
      } finally {
        await b.dispose();
      }
    },
  );
});

describe('PostgresStore leases', () => {
  it.skipIf(!pgUp)(
    'a claimed job is skipped by other workers; a commit by a worker that lost the lease rolls back',
    async () => {
      const schema = await createTestSchema();
      cleanups.push(schema.drop);
      const a = new PostgresStore(schema.url, { leaseMs: 60_000 });
      const bStore = new PostgresStore(schema.url, { leaseMs: 60_000 });
      // Two nodes starting at once: the migration lock lets both through, once each.
      await Promise.all([a.init(resources), bStore.init(resources)]);
      try {
        const job = newJob({ totalItems: 2 });
        await a.createJob(job, '[]');
        const claimed = (await a.claimNext('w1')) as JobRecord;
        expect(claimed.id).toBe(job.id);
        expect(await bStore.claimNext('w1')).toBeNull();
        // An abort of a claimed, unstarted job waits for its worker: the shortcut must not end it under the lease.
        expect(
          await bStore.finishJob(job.id, {
            state: 'Aborted',
            now: '2026-01-01T00:00:02Z',
            aggregates: null,
            jobErrors: null,
            unstartedOnly: true,
          }),
        ).toBe(false);
        // The lease runs out (made so here); the other node takes the job over.
        const c = new pg.Client({ connectionString: schema.url });
        await c.connect();
        await c.query("UPDATE bulk_jobs SET lease_until = now() - interval '1 second'");
        const taken = (await bStore.claimNext('w1')) as JobRecord;
        expect(taken.id).toBe(job.id);
        await expect(
          runChunk(a, claimed, [row(1, '1.00', 'lost')], [], { finish: false, workerId: 'w1' }),
        ).rejects.toBeInstanceOf(LeaseLostError);
        expect((await c.query("SELECT 1 FROM transactions WHERE description = 'lost'")).rowCount).toBe(0);
        await runChunk(bStore, taken, [row(1, '1.00', 'won'), row(1, '2.00', 'won2')], [], { workerId: 'w1' });
        expect((await bStore.getJob(job.id))?.state).toBe('Job Complete');
        expect((await c.query('SELECT version FROM bulk_schema_migrations ORDER BY version')).rows).toEqual(
          MIGRATIONS.map((m) => ({ version: m.version })),
        );
        await c.end();
      } finally {
        await a.close();
        await bStore.close();
      }
    },
  );

  it.skipIf(!pgUp)(
    'a job runs on the node that received it (it holds the parsed records) unless that node lets its reservation lapse',
    async () => {
      const schema = await createTestSchema();
      cleanups.push(schema.drop);
      const a = new PostgresStore(schema.url, { leaseMs: 60_000 });
      const bStore = new PostgresStore(schema.url, { leaseMs: 60_000 });
      await Promise.all([a.init(resources), bStore.init(resources)]);
      const c = new pg.Client({ connectionString: schema.url });
      await c.connect();
      try {
        const kept = newJob({ totalItems: 1, runner: 'lane-1' });
        const lapsed = newJob({ totalItems: 1, runner: 'lane-1' });
        await a.createJob(kept, '[]');
        await a.createJob(lapsed, '[]');
        // Other nodes see neither job, and do not start a lane for its owner.
        expect(await bStore.claimNext('lane-1', kept.owner)).toBeNull();
        expect(await bStore.claimableOwners()).toEqual([]);
        expect(await a.claimableOwners()).toEqual([kept.owner]);
        // The receiving node's lane takes its jobs in order; the first one by right of its reservation.
        expect((await a.claimNext('lane-1', kept.owner))?.id).toBe(kept.id);
        // Its reservation lapses (the node died, or is behind): any node takes the job, as a lost lease.
        await c.query("UPDATE bulk_jobs SET lease_until = now() - interval '1 second' WHERE id = $1", [lapsed.id]);
        const taken = (await bStore.claimNext('lane-1', lapsed.owner)) as JobRecord & { takenOverFrom: string | null };
        expect(taken.id).toBe(lapsed.id);
        expect(taken.takenOverFrom).toBeNull();
        // An abort of a job only reserved (not yet claimed) ends it at once, from any node.
        const queued = newJob({ totalItems: 1, runner: 'lane-1' });
        await a.createJob(queued, '[]');
        expect(
          await bStore.finishJob(queued.id, {
            state: 'Aborted',
            now: '2026-01-01T00:00:02Z',
            aggregates: null,
            jobErrors: null,
            unstartedOnly: true,
          }),
        ).toBe(true);
        expect((await a.getJob(queued.id))?.state).toBe('Aborted');
        expect((await a.claimNext('lane-1', queued.owner))?.id).not.toBe(queued.id);
      } finally {
        await c.end();
        await a.close();
        await bStore.close();
      }
    },
  );
});

describe('PostgresStore COPY', () => {
  it.skipIf(!pgUp)('job bodies are kept without pglz (lz4 where the server has it, else uncompressed)', async () => {
    const schema = await createTestSchema();
    cleanups.push(schema.drop);
    const store = new PostgresStore(schema.url, { leaseMs: 60_000 });
    await store.init(resources);
    await store.close();
    const c = new pg.Client({ connectionString: schema.url });
    await c.connect();
    const { rows } = await c.query<{ attcompression: string; attstorage: string }>(
      "SELECT attcompression, attstorage FROM pg_attribute WHERE attrelid = 'bulk_job_payloads'::regclass AND attname = 'body'",
    );
    await c.end();
    expect(rows[0]?.attcompression === 'l' || rows[0]?.attstorage === 'e').toBe(true);
  });

  it.skipIf(!pgUp)(
    'a COPY the database refuses fails its chunk only: the connection is fine for the next chunk',
    async () => {
      const schema = await createTestSchema();
      cleanups.push(schema.drop);
      // One connection, so the chunk after the failure runs on the client that saw it.
      const store = new PostgresStore(schema.url, { leaseMs: 60_000, poolSize: 1 });
      await store.init(resources);
      try {
        const job = await createAndClaim(store, { totalItems: 3 });
        // PostgreSQL text cannot hold U+0000: the COPY stream errors while more of the chunk is still being written.
        const many = Array.from({ length: 20_000 }, (_, i) => row(10 + i, '1.00', `row ${i}`));
        await expect(
          runChunk(store, job, [row(1, '1.00', 'ok'), row(2, '1.00', 'bad\u0000byte'), ...many], [], {
            finish: false,
            workerId: 'local',
          }),
        ).rejects.toThrow(/0x00/);
        expect(await store.getJob(job.id)).toMatchObject({ processedItems: 0, successCount: 0 });
        const out = await runChunk(
          store,
          job,
          [row(1, '1.00', 'ok'), row(2, '2.00', 'fine'), row(3, '3.00', 'x')],
          [],
          { workerId: 'local' },
        );
        expect(out).toEqual({ stored: 3, errors: [] });
        expect((await store.getJob(job.id))?.state).toBe('Job Complete');
      } finally {
        await store.close();
      }
    },
  );
});

describe.each(backends)('JobStore runs (ext): %s', (_name, make, skip) => {
  it.skipIf(skip)(
    'groups jobs by run per owner: totals, files, state, keyset pages, errors located with their values',
    async () => {
      const b = await make();
      try {
        const { store } = b;
        const runs = store.runs;
        if (!runs) throw new Error('the store keeps no runs');
        const source = (file: string, first: number, last: number) => ({ file, first_line: first, last_line: last });
        // Run A: two jobs of a.csv (3 rows each, one row a line), one refused row with its value, one duplicate.
        const a1 = await createAndClaim(store, {
          runId: 'run-a',
          totalItems: 3,
          source: source('a.csv', 2, 4),
          createdAt: '2026-01-01T00:00:00Z',
        });
        await runChunk(
          store,
          a1,
          [row(1, '1.00', 'a1'), row(1, '2.00', 'a2')],
          [{ index: 2, field: 'amount', error: 'must be a decimal number', value: 'x'.repeat(5) } as never],
        );
        const a2 = await createAndClaim(store, {
          runId: 'run-a',
          totalItems: 3,
          source: source('b.csv', 2, 5),
          createdAt: '2026-01-01T00:00:01Z',
        });
        await runChunk(store, a2, [row(1, '1.00', 'a1'), row(2, '5.00', 'a5'), row(3, '6.00', 'a6')]);
        // Run B (newer) of another file; a job of another owner in a run of the same id stays apart.
        const b1 = await createAndClaim(store, {
          runId: 'run-b',
          totalItems: 1,
          source: source('c.csv', 2, 2),
          createdAt: '2026-01-02T00:00:00Z',
        });
        await runChunk(store, b1, [row(9, '9.00', 'b1')]);
        await store.createJob(newJob({ runId: 'run-b', owner: 'other', createdAt: '2026-01-03T00:00:00Z' }), '[]');
        await store.createJob(newJob({ runId: 'run-c', createdAt: '2026-01-04T00:00:00Z' }), '[]');

        expect((await store.getJob(a1.id))?.runId).toBe('run-a');
        const all = await runs.listRuns('', 10);
        expect(all.map((r) => r.runId)).toEqual(['run-c', 'run-b', 'run-a']);
        const a = all[2];
        expect(a).toMatchObject({
          jobs: 2,
          files: ['a.csv', 'b.csv'],
          resources: ['transactions'],
          totalItems: 6,
          processedItems: 6,
          successCount: 4,
          errorCount: 2,
          created: 4,
          unfinishedJobs: 0,
          firstAt: '2026-01-01T00:00:00Z',
        });
        expect(all[0]?.unfinishedJobs).toBe(1);
        expect((await runs.getRun('', 'run-b'))?.jobs).toBe(1);
        expect((await runs.getRun('other', 'run-b'))?.jobs).toBe(1);
        expect(await runs.getRun('other', 'run-a')).toBeNull();
        // Keyset pages: two, then the rest after the last one's key.
        const first = await runs.listRuns('', 2);
        const last = first.at(-1) as (typeof first)[number];
        const rest = await runs.listRuns('', 2, { firstAt: last.firstAt, runId: last.runId });
        expect([...first, ...rest].map((r) => r.runId)).toEqual(['run-c', 'run-b', 'run-a']);
        expect((await runs.listRuns('', 10, undefined, 'run-b')).map((r) => r.runId)).toEqual(['run-b']);

        const jobs = await runs.runJobs('', 'run-a', { limit: 1 });
        expect(jobs.map((j) => j.id)).toEqual([a1.id]);
        const next = await runs.runJobs('', 'run-a', { limit: 5, afterSeq: jobs[0]?.seq });
        expect(next.map((j) => j.id)).toEqual([a2.id]);
        expect(await runs.runJobs('', 'run-c', { limit: 5, unfinishedOnly: true })).toHaveLength(1);
        const newest = await runs.jobsBefore('', { limit: 2 });
        expect((await runs.jobsBefore('', { limit: 10, beforeSeq: newest[0]?.seq })).map((j) => j.id)).toEqual([
          b1.id,
          a2.id,
          a1.id,
        ]);

        const errors = await runs.errors('', { runId: 'run-a' }, { limit: 10 });
        expect(errors.map((e) => [e.jobId, e.index, e.field, e.value])).toEqual([
          [a1.id, 2, 'amount', 'xxxxx'],
          [a2.id, 0, 'account_id,transaction_date,description', '1,2024-01-02,a1'],
        ]);
        expect(lineOf(errors[0]?.source ?? null, 3, 2)).toBe(4);
        // b.csv's job spans 4 lines for 3 rows (a quoted line break): no exact line.
        expect(lineOf(errors[1]?.source ?? null, 3, 0)).toBeNull();
        const after = await runs.errors('', { runId: 'run-a' }, { limit: 10, after: { seq: a1.seq, index: 2 } });
        expect(after.map((e) => e.jobId)).toEqual([a2.id]);
        expect(await runs.errors('other', { runId: 'run-a' }, { limit: 10 })).toEqual([]);
        expect((await runs.errors('', { jobId: a2.id }, { limit: 10 })).length).toBe(1);
        const reasons = await runs.reasons('', 'run-a', 10);
        expect(reasons.map((r) => [r.field, r.count, r.first?.jobId])).toEqual([
          ['account_id,transaction_date,description', 1, a2.id],
          ['amount', 1, a1.id],
        ]);
      } finally {
        await b.dispose();
      }
    },
  );
});

/**
 * Nodes on one database, by name: for SQLite one after the other (each run closes the one before,
 * as a restart would), for PostgreSQL side by side. `lapse` lets every lease run out (a dead node).
 */
const nodeStores: [
  string,
  () => Promise<{ node: (id: string) => Promise<JobStore>; lapse: () => Promise<void> }>,
  boolean,
][] = [
  [
    'SqliteStore',
    async () => {
      const file = path.join(tempDir(), 'handover.db');
      let open: JobStore | null = null;
      cleanups.push(async () => open?.close());
      return {
        node: async (id) => {
          await open?.close();
          open = new SqliteStore(file, id);
          await open.init(resources);
          return open;
        },
        lapse: async () => undefined,
      };
    },
    false,
  ],
  [
    'PostgresStore',
    async () => {
      const schema = await createTestSchema();
      cleanups.push(schema.drop);
      return {
        node: async (id) => {
          const store = new PostgresStore(schema.url, { leaseMs: 60_000, nodeId: id });
          await store.init(resources);
          // Not closed before the test ends: closing releases, and these nodes die.
          cleanups.push(() => store.close());
          return store;
        },
        lapse: async () => {
          const c = new pg.Client({ connectionString: schema.url });
          await c.connect();
          await c.query("UPDATE bulk_jobs SET lease_until = now() - interval '1 second' WHERE lease_until IS NOT NULL");
          await c.end();
        },
      };
    },
    !pgUp,
  ],
];

describe.each(nodeStores)('takeover and hand-over: %s', (_name, make, skip) => {
  it.skipIf(skip)(
    'a job claimed by a node that stopped without letting go is a takeover, started or not; one it released is a hand-over',
    async () => {
      const { node, lapse } = await make();
      const claimedOnly = newJob({ owner: 'one' });
      const started = newJob({ owner: 'two', totalItems: 2 });
      const later = newJob({ owner: 'three', totalItems: 2 });
      const a = await node('node-a');
      for (const j of [claimedOnly, started, later]) await a.createJob(j, '[]');
      expect(await a.claimNext('lane-1', 'one')).toMatchObject({ takenOverFrom: null, handedOverFrom: null });
      const running = (await a.claimNext('lane-1', 'two')) as JobRecord;
      await runChunk(a, running, [row(1, '1.00', 'started-1')], [], { finish: false, workerId: 'lane-1' });
      // Node A dies (kill -9): nothing let go; its leases run out.
      await lapse();
      const b = await node('node-b');
      expect(await b.claimNext('lane-2', 'one')).toMatchObject({
        id: claimedOnly.id,
        state: 'Open',
        takenOverFrom: 'node-a',
        handedOverFrom: null,
      });
      expect(await b.claimNext('lane-2', 'two')).toMatchObject({ id: started.id, takenOverFrom: 'node-a' });
      // Claimed again by the same node (after a store error): neither.
      expect(await b.claimNext('lane-2', 'one')).toMatchObject({ takenOverFrom: null, handedOverFrom: null });
      const mine = (await b.claimNext('lane-2', 'three')) as JobRecord;
      expect(mine).toMatchObject({ id: later.id, takenOverFrom: null, handedOverFrom: null });
      await runChunk(b, mine, [row(2, '1.00', 'later-1')], [], { finish: false, workerId: 'lane-2' });
      // Node B stops gracefully: it lets go of every unfinished job it holds, and says which.
      expect((await b.releaseJobs()).sort()).toEqual([claimedOnly.id, started.id, later.id].sort());
      expect(await b.releaseJobs()).toEqual([]);
      const c = await node('node-c');
      for (const owner of ['one', 'two', 'three'])
        expect(await c.claimNext('lane-3', owner)).toMatchObject({ takenOverFrom: null, handedOverFrom: 'node-b' });
    },
  );
});
