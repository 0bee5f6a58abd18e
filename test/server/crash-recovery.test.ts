import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { call, waitForFinal } from '../helpers/http.js';
import { spawnServer, type ServerProcess } from '../helpers/server-process.js';
import { tempDir } from '../helpers/temp.js';
import { waitUntil } from '../helpers/wait-until.js';

const JOBS = 4;
const PER_JOB = 50_000;

const amountCents = (n: number) => (n % 100_000) * 100 + (n % 100);
const amount = (n: number) => `${Math.floor(amountCents(n) / 100)}.${String(amountCents(n) % 100).padStart(2, '0')}`;

function body(job: number): string {
  const rows = [];
  for (let i = 0; i < PER_JOB; i++) {
    const n = job * PER_JOB + i;
    rows.push(
      `{"account_id":${1000 + (n % 97)},"amount":"${amount(n)}","transaction_date":"2024-01-${String(1 + (n % 28)).padStart(2, '0')}","description":"crash-${n}"}`,
    );
  }
  return `[${rows.join(',')}]`;
}

/** The exact total of a job's amounts, in BigInt cents, as the server must report it. */
function expectedTotal(job: number): string {
  let cents = 0n;
  for (let i = 0; i < PER_JOB; i++) cents += BigInt(amountCents(job * PER_JOB + i));
  return `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;
}

async function snapshot(server: ServerProcess, id: string): Promise<{ status: string; aggregates: string }> {
  const status = await call(server.url, 'GET', `/api/jobs/${id}/status/`);
  const aggs = await call(server.url, 'GET', `/api/jobs/${id}/aggregates/`);
  return { status: status.text, aggregates: aggs.text };
}

describe('kill -9 of the server mid-job, restart on the same database', () => {
  it('finishes every acknowledged job with each record stored exactly once; finished jobs stay as they were', async () => {
    const db = path.join(tempDir(), 'crash.db');
    // Fixed 1000-row chunks: sized by speed, a chunk can hold a whole 50k-row job and leave nothing to kill mid-way.
    let server = await spawnServer({ dbPath: db, args: ['--quiet', '--chunk-rows', '1000'] });
    const ids: string[] = [];
    for (let j = 0; j < JOBS; j++) {
      const res = await call(server.url, 'POST', '/api/transactions/bulk/', { rawBody: body(j) });
      expect(res.status).toBe(202);
      ids.push(String(res.body.job_id));
    }
    const finishedBefore = new Map<string, { status: string; aggregates: string }>();
    const killedMidJob: number[] = [];
    // Kill while job `round` runs, three times over; jobs finished by then must not change after.
    for (let round = 0; round < 3; round++) {
      const processed = await waitUntil(
        `job ${ids[round]} to start`,
        async () => {
          const st = await call(server.url, 'GET', `/api/jobs/${ids[round]}/status/`);
          const n = st.body.processed_items as number;
          return n > 0 || st.body.state === 'Job Complete' ? { n } : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 5 },
      );
      if (processed.n < PER_JOB) killedMidJob.push(processed.n);
      for (const id of ids) {
        const st = await call(server.url, 'GET', `/api/jobs/${id}/status/`);
        if (st.body.state === 'Job Complete' && !finishedBefore.has(id))
          finishedBefore.set(id, await snapshot(server, id));
      }
      await server.kill9();
      server = await spawnServer({ dbPath: db, args: ['--quiet', '--chunk-rows', '1000'] });
      for (const [id, before] of finishedBefore) expect(await snapshot(server, id)).toEqual(before);
    }
    expect(killedMidJob.length).toBeGreaterThan(0);
    expect(finishedBefore.size).toBeGreaterThan(0);
    const finals = [];
    for (const id of ids) finals.push(await waitForFinal(server.url, id, 90_000));
    const totals = [];
    for (const id of ids) totals.push((await call(server.url, 'GET', `/api/jobs/${id}/aggregates/`)).text);
    expect(await server.stop()).toBe(0);

    for (const f of finals)
      expect(f).toMatchObject({
        state: 'Job Complete',
        processed_items: PER_JOB,
        success_count: PER_JOB,
        error_count: 0,
      });
    totals.forEach((text, j) => {
      expect(text).toContain(`"total_amount":${expectedTotal(j)},`);
      expect(text).toContain(
        `"transaction_count":${PER_JOB},"successful_transactions":${PER_JOB},"failed_transactions":0`,
      );
    });
    const conn = new Database(db, { readonly: true });
    const counts = conn
      .prepare(
        `SELECT COUNT(*) AS n,
                (SELECT COUNT(*) FROM (SELECT DISTINCT account_id, transaction_date, description FROM transactions)) AS keys,
                COUNT(DISTINCT job_id || ':' || job_index) AS positions
           FROM transactions`,
      )
      .get();
    conn.close();
    expect(counts).toEqual({ n: JOBS * PER_JOB, keys: JOBS * PER_JOB, positions: JOBS * PER_JOB });
  }, 120_000);
});
