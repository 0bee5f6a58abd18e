import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import pg from 'pg';
import { expect } from 'vitest';
import { createTestSchema, PG_BASE_URL } from '../helpers/pg.js';
import { roundRobin } from '../helpers/round-robin.js';
import { runCli } from '../helpers/run-cli.js';
import { spawnServer, type ServerProcess } from '../helpers/server-process.js';
import { tempDir } from '../helpers/temp.js';
import { waitUntil } from '../helpers/wait-until.js';

const ROWS = 40_000;
const BATCH = 4000;

/** Pauses between terminations (ms), each a moment when every backend of the three nodes is cut. */
export const killSchedule = fc.array(fc.integer({ min: 30, max: 600 }), { minLength: 4, maxLength: 9 });

/**
 * Three nodes on one PostgreSQL schema, an upload through a round-robin balancer, and every
 * backend of the three nodes terminated at the scheduled moments (only theirs: their
 * application_name is unique to this run). Then: no node exited, the upload stored every row
 * exactly once, every job is final, every node answers health again.
 */
export async function uploadThroughConnectionLoss(pauses: number[]): Promise<{ kills: number; terminated: number }> {
  const schema = await createTestSchema();
  const app = `bulk_conn_loss_${randomBytes(5).toString('hex')}`;
  const url = `${schema.url}&application_name=${app}`;
  const nodes: ServerProcess[] = [];
  const admin = new pg.Client({ connectionString: PG_BASE_URL, application_name: `${app}_admin` });
  let proxy: Awaited<ReturnType<typeof roundRobin>> | undefined;
  try {
    nodes.push(
      ...(await Promise.all(
        [0, 1, 2].map(() =>
          spawnServer({ args: ['--db', url, '--quiet', '--chunk-rows', '500', '--lease-seconds', '2'] }),
        ),
      )),
    );
    proxy = await roundRobin(() => nodes.map((n) => n.url));
    await admin.connect();
    const dir = tempDir();
    const file = path.join(dir, 'transactions.csv');
    const lines = ['account_id,amount,transaction_date,description'];
    for (let i = 0; i < ROWS; i++)
      lines.push(
        `${1000 + (i % 50)},${(i % 1000) + 1}.25,2024-03-${String(1 + (i % 28)).padStart(2, '0')},loss-row-${i}`,
      );
    writeFileSync(file, `${lines.join('\n')}\n`);
    const upload = runCli(
      [
        'upload',
        file,
        '--url',
        proxy.url,
        '--batch-size',
        String(BATCH),
        '--concurrency',
        '4',
        '--no-events',
        '--json',
      ],
      { env: { XDG_STATE_HOME: dir, XDG_DATA_HOME: dir }, timeoutMs: 110_000 },
    );
    let done = false;
    void upload.then(() => (done = true));
    let kills = 0;
    let terminated = 0;
    for (const pause of pauses) {
      await new Promise((r) => setTimeout(r, pause));
      if (done) break;
      const res = await admin.query<{ ok: boolean }>(
        'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1',
        [app],
      );
      kills++;
      terminated += res.rows.filter((r) => r.ok).length;
    }
    const result = await upload;
    for (const n of nodes) expect(n.proc.exitCode, `a node exited: ${n.stderr()}`).toBeNull();
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect((JSON.parse(result.stdout) as { counts: { stored: number; failed: number } }).counts).toMatchObject({
      stored: ROWS,
      failed: 0,
    });
    const db = new pg.Client({ connectionString: schema.url });
    await db.connect();
    try {
      const counts = await db.query<{ n: string; distinct_rows: string }>(
        'SELECT COUNT(*) AS n, COUNT(DISTINCT description) AS distinct_rows FROM transactions',
      );
      expect(counts.rows[0]).toEqual({ n: String(ROWS), distinct_rows: String(ROWS) });
      const jobs = await db.query<{ state: string; success: string }>(
        'SELECT state, SUM(success_count) AS success FROM bulk_jobs GROUP BY state',
      );
      expect(jobs.rows).toEqual([{ state: 'Job Complete', success: String(ROWS) }]);
    } finally {
      await db.end();
    }
    // Every node serves again: health is 200 with the store back.
    for (const n of nodes)
      await waitUntil(`${n.url} healthy`, async () => (await fetch(`${n.url}/api/health/`)).status === 200, {
        timeoutMs: 15_000,
        intervalMs: 100,
      });
    return { kills, terminated };
  } finally {
    await admin.end().catch(() => undefined);
    await proxy?.close();
    await Promise.all(nodes.map((n) => n.stop()));
    await schema.drop();
  }
}
