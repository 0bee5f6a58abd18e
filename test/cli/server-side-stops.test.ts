import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateTransactions } from '../../bench/transactions-generator.mjs';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { call } from '../helpers/http.js';
import { checkInvariant } from '../helpers/invariant.js';
import { assertValidResult } from '../helpers/result-schema.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp.js';

const ROWS = 4000;
const SEED = 21;
const SHARE = 0.01;
let server: RunningServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('a job that ends early on the server', () => {
  it('aborted mid-job: its processed rows keep their results, the rest is unprocessed, and resume sends exactly those', async () => {
    const dir = tempDir('bulk-abort-');
    const input = path.join(dir, 'transactions.csv');
    await generateTransactions({ rows: ROWS, seed: SEED, invalidShare: SHARE, format: 'csv', out: input });
    let aborted = false;
    const url = { value: '' };
    server = await startServer({
      port: 0,
      host: '127.0.0.1',
      database: path.join(dir, 'server.db'),
      chunkSize: 100,
      // Abort the third job once it has stored some chunks: a real abort, through the API, mid-job.
      beforeChunk: async (job) => {
        if (aborted || job.processedItems !== 300) return;
        const list = await call<{ jobs: { job_id: string }[] }>(url.value, 'GET', '/api/jobs/?limit=100');
        if (list.body.jobs.length < 3) return;
        aborted = true;
        const res = await call(url.value, 'POST', `/api/jobs/${job.id}/abort/`);
        expect(res.status).toBe(202);
      },
    });
    url.value = server.url;
    const env = { BULK_URL: server.url, BULK_STATE_DIR: path.join(dir, 'state') };
    const first = await runCli(['upload', input, '--batch-size', '1000', '--concurrency', '1', '--json'], { env });
    const doc = JSON.parse(first.stdout);
    assertValidResult(doc);
    expect(aborted).toBe(true);
    expect(doc.exit_code).toBe(3);
    const abortedJob = doc.jobs.find((j: { state: string }) => j.state === 'Aborted');
    expect(abortedJob).toMatchObject({ unprocessed: 700 });
    expect(doc.counts.unprocessed).toBeGreaterThanOrEqual(700);
    expect(doc.resume_command).toMatch(/^bulk upload --resume/);
    const resumed = await runCli([...doc.resume_command.split(' ').slice(1), '--json'], { env });
    const final = JSON.parse(resumed.stdout);
    const failed = readdirSync(dir)
      .filter((f) => f.includes('.failed'))
      .map((f) => path.join(dir, f));
    checkInvariant({
      rows: ROWS,
      seed: SEED,
      invalidShare: SHARE,
      dbPath: server.database,
      failedRowsFiles: failed,
      result: { ...final, exit_code: final.exit_code },
    });
  });

  it("a batch the server refuses whole (400): its rows fail with the server's reason, the others go on", async () => {
    const dir = tempDir('bulk-400-');
    server = await startServer({ port: 0, host: '127.0.0.1', database: path.join(dir, 'server.db') });
    const lines = ['{"account_id":1,"amount":"1.00","transaction_date":"2024-01-01","description":"ok-1"}'];
    const wide = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`k${i}`, i]));
    lines.push(JSON.stringify(wide));
    lines.push('{"account_id":3,"amount":"3.00","transaction_date":"2024-01-01","description":"ok-3"}');
    const file = path.join(dir, 'rows.ndjson');
    (await import('node:fs')).writeFileSync(file, `${lines.join('\n')}\n`);
    const res = await runCli(['upload', file, '--resource', 'transactions', '--batch-size', '1', '--json'], {
      env: { BULK_URL: server.url, BULK_STATE_DIR: path.join(dir, 'state') },
    });
    const doc = JSON.parse(res.stdout);
    expect(doc.counts).toEqual({ read: 3, stored: 2, failed: 1, unprocessed: 0, unconfirmed: 0 });
    expect(doc.errors).toEqual([
      expect.objectContaining({ line: 2, reason: expect.stringMatching(/more than 1000 keys/) }),
    ]);
    expect(res.code).toBe(1);
  });
});
