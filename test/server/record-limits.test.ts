import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, tx, waitForFinal } from '../helpers/http.js';
import { spawnServer, type ServerProcess } from '../helpers/server-process.js';

/**
 * The server side of issue 12's reader limits: a record nested a million deep or holding a field of
 * megabytes, sent by a client that has no limits of its own, gets a clear 4xx or a per-record error;
 * the server process stays up and serves the next job.
 */
let server: ServerProcess;
beforeAll(async () => {
  server = await spawnServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('bulk serve and records over the limits', () => {
  it('a value nested 1,000,000 deep: 400 naming the item and the limit, no recursion', async () => {
    const deep = `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`;
    const res = await call(server.url, 'POST', '/api/transactions/bulk/', {
      rawBody: `[${JSON.stringify(tx(1)).slice(0, -1)},"x":${deep}}]`,
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      error: 'Item 0: field x is nested more than 32 levels deep',
      index: 0,
      limit_depth: 32,
    });
  });

  it('a 5 MB field: that record fails alone with its field and reason; the others are stored', async () => {
    const start = await call(server.url, 'POST', '/api/transactions/bulk/', {
      body: [tx(2), tx(3, { description: 'z'.repeat(5 * 1024 * 1024) }), tx(4)],
    });
    expect(start.status).toBe(202);
    const status = await waitForFinal(server.url, start.body.job_id as string);
    expect(status).toMatchObject({
      state: 'Job Complete',
      success_count: 2,
      error_count: 1,
      errors: [{ index: 1, field: 'description', error: 'is longer than 500 characters' }],
    });
  });

  it('is still up and storing afterwards', async () => {
    const start = await call(server.url, 'POST', '/api/transactions/bulk/', { body: [tx(5)] });
    expect(start.status).toBe(202);
    expect(await waitForFinal(server.url, start.body.job_id as string)).toMatchObject({
      state: 'Job Complete',
      success_count: 1,
    });
    expect(server.proc.exitCode).toBeNull();
  });
});
