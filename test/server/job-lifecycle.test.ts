import path from 'node:path';
import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer, type ServeOptions } from '../../src/server/start-server.js';
import { call, waitForFinal } from '../helpers/http.js';
import { tempDir } from '../helpers/temp.js';
import { waitUntil } from '../helpers/wait-until.js';

/**
 * Jobs held at a chunk boundary through the worker's beforeChunk seam, so the states in between
 * (In Progress, a full queue, an abort mid-way) are reached on purpose, never by timing luck.
 */
class WorkerGate {
  private rule: ((job: { id: string; processedItems: number }) => boolean) | null = null;
  private arrived: ((job: { id: string; processedItems: number }) => void) | null = null;
  private open: (() => void) | null = null;

  readonly beforeChunk: NonNullable<ServeOptions['beforeChunk']> = async (job) => {
    if (!this.rule?.(job)) return;
    this.rule = null;
    this.arrived?.(job);
    await new Promise<void>((resolve) => (this.open = resolve));
  };

  /** Holds the worker at the first boundary that matches; resolves when it is held there. */
  hold(
    rule: (job: { id: string; processedItems: number }) => boolean,
  ): Promise<{ id: string; processedItems: number }> {
    this.rule = rule;
    return new Promise((resolve) => (this.arrived = resolve));
  }

  release(): void {
    this.open?.();
    this.open = null;
  }
}

const RESOURCES = {
  resources: {
    orders: {
      fields: { order_id: { type: 'integer', required: true }, price: { type: 'decimal' } },
      unique: [['order_id']],
      aggregates: { orders: { fn: 'count' }, revenue: { fn: 'sum', field: 'price' } },
    },
    failing: { fields: { n: { type: 'integer' } } },
  },
};

const orders = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({ order_id: from + i, price: '1.10' }));

let dir: string;
let resourcesFile: string;
let server: RunningServer;
const gate = new WorkerGate();

beforeAll(async () => {
  dir = tempDir();
  resourcesFile = path.join(dir, 'resources.json');
  writeFileSync(resourcesFile, JSON.stringify(RESOURCES));
  server = await startServer({
    port: 0,
    host: '127.0.0.1',
    database: path.join(dir, 'life.db'),
    resourcesFile,
    chunkSize: 100,
    maxQueuedJobs: 3,
    beforeChunk: gate.beforeChunk,
  });
});
afterAll(async () => {
  gate.release();
  await server?.close();
});

async function start(body: unknown[]): Promise<string> {
  const res = await call(server.url, 'POST', '/api/orders/bulk/', { body });
  expect(res.status).toBe(202);
  return String(res.body.job_id);
}

describe('a job held mid-way', () => {
  it('aggregates are 400 with the state while it runs; abort stops it at the next chunk, keeping what it stored', async () => {
    const held = gate.hold((j) => j.processedItems === 200);
    const id = await start(orders(1, 500));
    expect(await held).toEqual({ id, processedItems: 200 });
    const running = await call(server.url, 'GET', `/api/jobs/${id}/status/`);
    expect(running.body).toMatchObject({
      state: 'In Progress',
      status: 'processing',
      processed_items: 200,
      percentage: 40,
      message: 'Processing 200 of 500 items (40.0% complete)',
      errors: null,
    });
    expect(running.body.estimated_remaining).toEqual(expect.any(String));
    const early = await call(server.url, 'GET', `/api/jobs/${id}/aggregates/`);
    expect(early.status).toBe(400);
    expect(early.body).toEqual({ error: 'Job not ready for aggregates', state: 'In Progress' });

    const abort = await call(server.url, 'POST', `/api/jobs/${id}/abort/`);
    expect(abort.status).toBe(202);
    expect(abort.body.job_id).toBe(id);
    gate.release();
    const final = await waitForFinal(server.url, id);
    expect(final).toMatchObject({
      state: 'Aborted',
      status: 'aborted',
      processed_items: 200,
      success_count: 200,
      message: 'Job aborted after processing 200 of 500 items',
      errors: [{ index: null, error: 'Job aborted on request' }],
    });
    const aggs = await call(server.url, 'GET', `/api/jobs/${id}/aggregates/`);
    expect(aggs.text).toContain('"revenue":220.00');
    const again = await call(server.url, 'POST', `/api/jobs/${id}/abort/`);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatch(/already finished/);
    const db = new Database(server.database, { readonly: true });
    expect(
      db
        .prepare('SELECT COUNT(*) AS n, MIN(job_index) AS lo, MAX(job_index) AS hi FROM orders WHERE job_id = ?')
        .get(id),
    ).toEqual({ n: 200, lo: 0, hi: 199 });
    db.close();
  });

  it('a queued job is aborted at once; a full queue answers 429 with Retry-After', async () => {
    const held = gate.hold(() => true);
    const first = await start(orders(1000, 300));
    await held;
    const second = await start(orders(2000, 300));
    const third = await start(orders(3000, 300));
    const full = await call(server.url, 'POST', '/api/orders/bulk/', { body: orders(4000, 10) });
    expect(full.status).toBe(429);
    expect(full.headers['retry-after']).toMatch(/^\d+$/);
    expect(full.body.error).toEqual(expect.any(String));

    const abort = await call(server.url, 'POST', `/api/jobs/${second}/abort/`);
    expect(abort.body).toMatchObject({
      job_id: second,
      state: 'Aborted',
      processed_items: 0,
      message: 'Job aborted after processing 0 of 300 items',
    });
    const health = await call(server.url, 'GET', '/api/health/');
    expect(health.body.queue_depth).toBe(2);
    gate.release();
    expect((await waitForFinal(server.url, first)).success_count).toBe(300);
    expect((await waitForFinal(server.url, third)).success_count).toBe(300);
    expect((await waitForFinal(server.url, second)).state).toBe('Aborted');
    const jobs = await call<{ jobs: { job_id: string; state: string }[] }>(
      server.url,
      'GET',
      '/api/jobs/?state=Aborted&limit=1',
    );
    expect(jobs.body.jobs.map((j) => j.job_id)).toEqual([second]);
  });

  it('the events stream sends the status now, at each change, and ends at Job Complete', async () => {
    const atStart = gate.hold(() => true);
    const id = await start(orders(5000, 1000));
    await atStart;
    const res = await request(`${server.url}/api/jobs/${id}/events/`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    const events: { state: string; processed_items: number }[] = [];
    let buffer = '';
    let heldMidway = false;
    for await (const chunk of res.body) {
      buffer += chunk.toString();
      let at: number;
      while ((at = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        if (frame.startsWith('data: ')) events.push(JSON.parse(frame.slice(6)));
      }
      if (events.length === 1 && !heldMidway) {
        // The first event came while the job was held before its first chunk: now let it run to 500.
        heldMidway = true;
        const midway = gate.hold((j) => j.processedItems === 500);
        gate.release();
        void midway
          .then(async () => {
            // Held at 500: release only once the stream has shown it.
            await waitUntil('the events stream to show 500 processed items', () =>
              events.some((e) => e.processed_items === 500),
            );
            gate.release();
          })
          // Ends the stream read below with the reason, rather than leaving it to the test's timeout.
          .catch((err: Error) => res.body.destroy(err));
      }
    }
    expect(events[0]).toMatchObject({ state: 'Open', processed_items: 0 });
    expect(events.some((e) => e.state === 'In Progress' && e.processed_items === 500)).toBe(true);
    expect(events.at(-1)).toMatchObject({ state: 'Job Complete', processed_items: 1000 });
    for (let i = 1; i < events.length; i++)
      expect(events[i]!.processed_items).toBeGreaterThanOrEqual(events[i - 1]!.processed_items);
    expect(new Set(events.map((e) => e.processed_items)).size).toBeGreaterThanOrEqual(3);
  });

  it('the events stream of a finished job is one event, then the end', async () => {
    const id = await start(orders(9000, 5));
    await waitForFinal(server.url, id);
    const res = await request(`${server.url}/api/jobs/${id}/events/`);
    const frames = (await res.body.text()).split('\n\n').filter((f) => f.startsWith('data: '));
    expect(frames).toHaveLength(1);
    expect(JSON.parse(frames[0]!.slice(6))).toMatchObject({ job_id: id, state: 'Job Complete' });
  });

  it('a store error mid-job ends it Failed, with a job-level error and can_retry', async () => {
    const held = gate.hold((j) => j.processedItems === 100);
    const res = await call(server.url, 'POST', '/api/failing/bulk/', {
      body: Array.from({ length: 300 }, (_, n) => ({ n })),
    });
    const id = String(res.body.job_id);
    await held;
    const other = new Database(server.database);
    other.exec('DROP TABLE failing');
    other.close();
    gate.release();
    const final = await waitForFinal(server.url, id);
    expect(final).toMatchObject({
      state: 'Failed',
      status: 'failed',
      processed_items: 100,
      can_retry: true,
      message: 'Job failed after processing 100 items',
      aggregates_ready: false,
    });
    expect(final.errors).toEqual([
      { index: null, error: expect.stringMatching(/^Job could not finish: .*no such table/) },
    ]);
    const aggs = await call(server.url, 'GET', `/api/jobs/${id}/aggregates/`);
    expect(aggs.status).toBe(400);
    expect(aggs.body.state).toBe('Failed');
  });
});

describe('close and restart', () => {
  it('close() ends open event streams and stops after the chunk in hand; a restart resumes the job', async () => {
    const dbPath = path.join(dir, 'restart.db');
    const local = new WorkerGate();
    const first = await startServer({
      port: 0,
      host: '127.0.0.1',
      database: dbPath,
      resourcesFile,
      chunkSize: 100,
      beforeChunk: local.beforeChunk,
    });
    const done = await call(first.url, 'POST', '/api/orders/bulk/', { body: orders(1, 50) });
    const before = await waitForFinal(first.url, String(done.body.job_id));
    const held = local.hold((j) => j.processedItems === 300);
    const running = await call(first.url, 'POST', '/api/orders/bulk/', { body: orders(100, 700) });
    const id = String(running.body.job_id);
    await held;
    const stream = await request(`${first.url}/api/jobs/${id}/events/`);
    const streamText = stream.body.text();
    const closing = first.close();
    local.release();
    await closing;
    const frames = (await streamText).split('\n\n').filter((f) => f.startsWith('data: '));
    expect(frames.length).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(frames.at(-1)!.slice(6))).toMatchObject({ state: 'In Progress', processed_items: 300 });

    const second = await startServer({ port: 0, host: '127.0.0.1', database: dbPath, resourcesFile, chunkSize: 100 });
    try {
      const final = await waitForFinal(second.url, id);
      expect(final).toMatchObject({ state: 'Job Complete', processed_items: 700, success_count: 700, error_count: 0 });
      expect(await waitForFinal(second.url, String(done.body.job_id))).toEqual(before);
      const aggs = await call(second.url, 'GET', `/api/jobs/${id}/aggregates/`);
      expect(aggs.text).toContain('"orders":700,"revenue":770.00');
    } finally {
      await second.close();
    }
    const db = new Database(dbPath, { readonly: true });
    expect(db.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT order_id) AS u FROM orders').get()).toEqual({
      n: 750,
      u: 750,
    });
    db.close();
  });
});
