import { writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { expect } from 'vitest';
import { createTestSchema } from '../helpers/pg.js';
import { roundRobin } from '../helpers/round-robin.js';
import { runCli } from '../helpers/run-cli.js';
import { spawnServer, type ServerProcess } from '../helpers/server-process.js';
import { tempDir } from '../helpers/temp.js';
import { waitUntil } from '../helpers/wait-until.js';

export interface DeadNodeRun {
  rows: number;
  batch: number;
  /** The nodes' event-stream heartbeat (BULK_HEARTBEAT_MS); absent: the default. */
  heartbeatMs?: number;
  leaseMs: number;
  /** The upload is killed past this (a client that waits out a silent stream never finishes in it). */
  boundMs: number;
}

/**
 * Three nodes on one PostgreSQL schema behind a round-robin balancer that keeps the client's side
 * of a connection open when a node dies (as a plain TCP balancer does), an upload that follows its
 * jobs by server events, and kill -9 of a node while it runs a job. The client must notice its
 * streams on the dead node fell silent and settle those jobs another way: exit 0, every row once.
 */
export async function uploadThroughDeadNode(run: DeadNodeRun): Promise<{ seconds: number; held: number }> {
  const schema = await createTestSchema();
  const env: Record<string, string> = { BULK_LEASE_MS: String(run.leaseMs) };
  if (run.heartbeatMs !== undefined) env.BULK_HEARTBEAT_MS = String(run.heartbeatMs);
  const nodes: ServerProcess[] = [];
  const db = new pg.Client({ connectionString: schema.url });
  let proxy: Awaited<ReturnType<typeof roundRobin>> | undefined;
  try {
    nodes.push(
      ...(await Promise.all([0, 1, 2].map(() => spawnServer({ args: ['--db', schema.url, '--quiet'], env })))),
    );
    const alive = new Set(nodes);
    proxy = await roundRobin(() => [...alive].map((n) => n.url), { holdClientOpen: true });
    await db.connect();
    const dir = tempDir();
    const file = path.join(dir, 'transactions.csv');
    const lines = ['account_id,amount,transaction_date,description'];
    for (let i = 0; i < run.rows; i++)
      lines.push(`${1000 + (i % 50)},${(i % 1000) + 1}.25,2024-04-${String(1 + (i % 28)).padStart(2, '0')},dead-${i}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const started = performance.now();
    const upload = runCli(
      ['upload', file, '--url', proxy.url, '--batch-size', String(run.batch), '--concurrency', '6', '--json'],
      { env: { XDG_STATE_HOME: dir, XDG_DATA_HOME: dir }, timeoutMs: run.boundMs },
    );
    const open = proxy;
    const victim = await waitUntil(
      'a node seen mid-job with event streams open through the balancer',
      async () => {
        const { rows } = await db.query<{ lease_owner: string }>(
          `SELECT lease_owner FROM bulk_jobs WHERE state = 'In Progress' AND processed_items > 0
           AND processed_items < total_items AND lease_owner IS NOT NULL LIMIT 1`,
        );
        const pid = rows[0] ? Number(rows[0].lease_owner.split(':')[1]) : NaN;
        return nodes.find((n) => n.proc.pid === pid && open.streaming(n.url) > 0);
      },
      { timeoutMs: 60_000, intervalMs: 50 },
    );
    alive.delete(victim);
    await victim.kill9();
    const result = await upload;
    const seconds = (performance.now() - started) / 1000;
    expect(result.signal, `the upload was still running after ${run.boundMs} ms: ${result.stderr}`).toBeNull();
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { counts: { stored: number; failed: number } };
    expect(summary.counts).toMatchObject({ stored: run.rows, failed: 0 });
    const counts = await db.query<{ n: string; distinct_rows: string }>(
      'SELECT COUNT(*) AS n, COUNT(DISTINCT description) AS distinct_rows FROM transactions',
    );
    expect(counts.rows[0]).toEqual({ n: String(run.rows), distinct_rows: String(run.rows) });
    const jobs = await db.query<{ state: string }>(
      "SELECT DISTINCT state FROM bulk_jobs WHERE state <> 'Job Complete'",
    );
    expect(jobs.rows).toEqual([]);
    return { seconds, held: proxy.held() };
  } finally {
    await proxy?.close();
    await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
    await db.end().catch(() => undefined);
    await schema.drop();
  }
}
