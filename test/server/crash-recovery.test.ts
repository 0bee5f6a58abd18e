import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { call, waitForFinal } from '../helpers/http.js';
import { spawnServer } from '../helpers/server-process.js';
import { tempDir } from '../helpers/temp.js';

const JOBS = 4;
const PER_JOB = 25_000;

function body(job: number): string {
  const rows = [];
  for (let i = 0; i < PER_JOB; i++) {
    const n = job * PER_JOB + i;
    rows.push(`{"account_id":${1000 + (n % 97)},"amount":"${n % 1000}.${String(n % 100).padStart(2, '0')}","transaction_date":"2024-01-01","description":"crash-${n}"}`);
  }
  return `[${rows.join(',')}]`;
}

describe('kill -9 of the server mid-job, restart on the same database', () => {
  it('finishes every acknowledged job with each record stored exactly once', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'crash.db');
    let server = await spawnServer(['--db', db, '--quiet']);
    const ids: string[] = [];
    for (let j = 0; j < JOBS; j++) {
      const res = await call(server.url, 'POST', '/api/transactions/bulk/', { rawBody: body(j) });
      expect(res.status).toBe(202);
      ids.push(String(res.body.job_id));
    }
    // Kill at several points: while the first job runs, then again in a later one.
    const killedMidJob: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (;;) {
        const st = await call(server.url, 'GET', `/api/jobs/${ids[round]}/status/`);
        const processed = st.body.processed_items as number;
        if (processed > 0 || st.body.state === 'Job Complete') {
          if (processed < PER_JOB) killedMidJob.push(processed);
          break;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      await server.kill9();
      server = await spawnServer(['--db', db, '--quiet']);
    }
    expect(killedMidJob.length).toBeGreaterThan(0);
    const finals = [];
    for (const id of ids) finals.push(await waitForFinal(server.url, id, 60_000));
    await server.stop();
    for (const f of finals) expect(f).toMatchObject({ state: 'Job Complete', processed_items: PER_JOB, success_count: PER_JOB, error_count: 0 });
    const conn = new Database(db, { readonly: true });
    const { n, uniq } = conn.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT description) AS uniq FROM transactions').get() as { n: number; uniq: number };
    conn.close();
    expect(uniq).toBe(JOBS * PER_JOB);
    expect(n).toBe(JOBS * PER_JOB);
  }, 120_000);
});
