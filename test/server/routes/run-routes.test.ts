import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTokens } from '../../../src/server/auth/tokens.js';
import { startServer, type RunningServer } from '../../../src/server/start-server.js';
import { call, tx, waitForFinal } from '../../helpers/http.js';
import { tempDir } from '../../helpers/temp.js';
import { waitUntil } from '../../helpers/wait-until.js';

const ALICE = { authorization: 'Bearer alice-token-0123456789abcdef' };
const BOB = { authorization: 'Bearer bob-token-0123456789abcdef0' };
let server: RunningServer;
let slow = false;

beforeAll(async () => {
  server = await startServer({
    port: 0,
    host: '127.0.0.1',
    database: path.join(tempDir(), 'runs.db'),
    tokens: parseTokens('alice alice-token-0123456789abcdef\nbob bob-token-0123456789abcdef0', 'test'),
    chunkSize: 10,
    beforeChunk: () => (slow ? new Promise((r) => setTimeout(r, 200)) : Promise.resolve()),
  });
});
afterAll(() => server.close());

async function start(run: string | null, source: string, rows: Record<string, unknown>[], who = ALICE) {
  const headers: Record<string, string> = { ...who, 'bulk-source': source };
  if (run) headers['bulk-run'] = run;
  const res = await call(server.url, 'POST', '/api/transactions/bulk/', { body: rows, headers });
  expect(res.status, res.text).toBe(202);
  return String(res.body.job_id);
}

describe('runs (ext): the jobs of one upload, by their Bulk-Run header', () => {
  it('lists a run with its files and totals, its failures by reason, and its errors as file:line with the value', async () => {
    const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => tx(from + i));
    const j1 = await start('R1-files', 'tx.csv:2-6', [...rows(0, 4), tx(4, { amount: 'twelve' })]);
    const j2 = await start('R1-files', 'tx.csv:7-11', [...rows(5, 3), tx(8, { amount: '' }), tx(0)]);
    for (const id of [j1, j2]) await waitForFinal(server.url, id, 20_000, ALICE);
    const status = await call(server.url, 'GET', `/api/jobs/${j1}/status/`, { headers: ALICE });
    expect(status.body.run_id).toBe('R1-files');

    const run = await call(server.url, 'GET', '/api/runs/R1-files/', { headers: ALICE });
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({
      run_id: 'R1-files',
      state: 'completed',
      files: ['tx.csv'],
      jobs: 2,
      total_items: 10,
      processed_items: 10,
      success_count: 7,
      error_count: 3,
      created: 7,
      abort_url: '/api/runs/R1-files/abort/',
    });
    const reasons = run.body.reasons as { field: string; count: number; first: { line: number } }[];
    // Three reasons: a duplicate key, and two different ones for amount (not a number; empty).
    expect(reasons.map((r) => r.field).sort()).toEqual(['account_id,transaction_date,description', 'amount', 'amount']);
    expect(reasons.every((r) => r.count === 1)).toBe(true);

    const errors = await call(server.url, 'GET', '/api/runs/R1-files/errors/?limit=2', { headers: ALICE });
    expect(errors.body.total).toBe(3);
    expect(errors.body.errors).toEqual([
      expect.objectContaining({ job_id: j1, index: 4, file: 'tx.csv', line: 6, field: 'amount', value: 'twelve' }),
      expect.objectContaining({ job_id: j2, index: 3, file: 'tx.csv', line: 10, field: 'amount' }),
    ]);
    const next = String(errors.body.next);
    const rest = await call(server.url, 'GET', `/api/runs/R1-files/errors/?after=${next}`, { headers: ALICE });
    expect(rest.body.next).toBeNull();
    expect(rest.body.errors).toEqual([
      expect.objectContaining({ job_id: j2, index: 4, line: 11, value: '1000,2024-03-01,t-0' }),
    ]);
    // The job's own errors, keyset form, located the same way; the offset form is the guide's, unchanged.
    const jobErrors = await call(server.url, 'GET', `/api/jobs/${j2}/errors/?after=`, { headers: ALICE });
    expect((jobErrors.body.errors as unknown[]).length).toBe(2);
    const offset = await call(server.url, 'GET', `/api/jobs/${j2}/errors/?offset=0`, { headers: ALICE });
    expect(offset.body).toMatchObject({ total: 2, offset: 0, errors: [{ index: 3, field: 'amount' }, { index: 4 }] });
    expect((offset.body.errors as Record<string, unknown>[])[0]).not.toHaveProperty('value');

    const bad = await call(server.url, 'GET', '/api/runs/R1-files/errors/?after=nonsense', { headers: ALICE });
    expect(bad.status).toBe(400);
  });

  it("keeps each token's runs to itself, pages the list by key, and ignores a malformed Bulk-Run", async () => {
    await start('R2-bob', 'b.csv:2-2', [tx(100)], BOB);
    expect((await call(server.url, 'GET', '/api/runs/R2-bob/', { headers: ALICE })).status).toBe(404);
    expect((await call(server.url, 'GET', '/api/runs/R2-bob/', { headers: BOB })).status).toBe(200);
    const noRun = await start('not a run id!', 'c.csv:2-2', [tx(101)]);
    expect((await call(server.url, 'GET', `/api/jobs/${noRun}/status/`, { headers: ALICE })).body.run_id).toBeNull();

    for (const id of ['R3-a', 'R3-b', 'R3-c']) await start(id, `${id}.csv:2-2`, [tx(200 + id.length)]);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const res = await call(server.url, 'GET', `/api/runs/?limit=2${cursor ? `&before=${cursor}` : ''}`, {
        headers: ALICE,
      });
      seen.push(...(res.body.runs as { run_id: string }[]).map((r) => r.run_id));
      cursor = res.body.next as string | null;
      if (!cursor) break;
    }
    expect(seen.filter((id) => id.startsWith('R3-')).sort()).toEqual(['R3-a', 'R3-b', 'R3-c']);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).not.toContain('R2-bob');

    const jobs = await call(server.url, 'GET', '/api/jobs/?limit=1', { headers: ALICE });
    expect(jobs.body.next).toEqual(expect.any(String));
    const older = await call(server.url, 'GET', `/api/jobs/?limit=1&before=${jobs.body.next}`, { headers: ALICE });
    expect((older.body.jobs as { job_id: string }[])[0]?.job_id).not.toBe(
      (jobs.body.jobs as { job_id: string }[])[0]?.job_id,
    );
  });

  it('aborts every unfinished job of a run in one call; a finished run is 409', async () => {
    slow = true;
    try {
      const ids: string[] = [];
      for (let i = 0; i < 4; i++)
        ids.push(
          await start(
            'R4-abort',
            `big.csv:${2 + i * 40}-${41 + i * 40}`,
            Array.from({ length: 40 }, (_, k) => tx(1000 + i * 40 + k)),
          ),
        );
      await waitUntil('the first job to start', async () => {
        const s = await call(server.url, 'GET', `/api/jobs/${ids[0]}/status/`, { headers: ALICE });
        return s.body.state === 'In Progress' || undefined;
      });
      const res = await call(server.url, 'POST', '/api/runs/R4-abort/abort/', { headers: ALICE });
      expect(res.status, res.text).toBe(202);
      expect((res.body.aborted as string[]).sort()).toEqual([...ids].sort());
      for (const id of ids) expect((await waitForFinal(server.url, id, 20_000, ALICE)).state).toBe('Aborted');
      const after = await call(server.url, 'GET', '/api/runs/R4-abort/', { headers: ALICE });
      expect(after.body).toMatchObject({ state: 'aborted', unfinished_jobs: 0, aborted_jobs: 4 });
      expect((await call(server.url, 'POST', '/api/runs/R4-abort/abort/', { headers: ALICE })).status).toBe(409);
      expect((await call(server.url, 'POST', '/api/runs/R4-abort/abort/', { headers: BOB })).status).toBe(404);
    } finally {
      slow = false;
    }
  });
});
