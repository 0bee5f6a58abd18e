import { writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { spawnServer, type ServerProcess } from '../helpers/server-process.js';
import { createTestSchema, pgReachable, reportPgSkip } from '../helpers/pg.js';
import { tempDir } from '../helpers/temp.js';
import { roundRobin } from '../helpers/round-robin.js';
import { waitUntil } from '../helpers/wait-until.js';

const pgUp = await pgReachable();
if (!pgUp) reportPgSkip('postgres-nodes (three bulk serve nodes on one PostgreSQL)');

const ROWS = 90_000;
const BATCH = 15_000;
const LEASE_MS = 2000;

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

describe('bulk serve on PostgreSQL: three nodes share the work', () => {
  it.skipIf(!pgUp)(
    'an upload spread over three nodes survives kill -9 of the node running a job: every row stored once, every job final',
    { timeout: 60_000 },
    async () => {
      const schema = await createTestSchema();
      cleanups.push(schema.drop);
      // Started together: the migration lock makes them take turns on the schema.
      const nodes: ServerProcess[] = await Promise.all(
        [0, 1, 2].map(() =>
          spawnServer({ args: ['--db', schema.url, '--quiet'], env: { BULK_LEASE_MS: String(LEASE_MS) } }),
        ),
      );
      for (const n of nodes) cleanups.push(() => n.stop());
      for (const n of nodes) expect(n.dbPath).toMatch(/^postgres:\/\//);
      const alive = new Set(nodes);
      const proxy = await roundRobin(() => [...alive].map((n) => n.url));
      cleanups.push(proxy.close);

      const dir = tempDir();
      const file = path.join(dir, 'transactions.csv');
      const lines = ['account_id,amount,transaction_date,description'];
      for (let i = 0; i < ROWS; i++)
        lines.push(
          `${1000 + (i % 50)},${(i % 1000) + 1}.25,2024-02-${String(1 + (i % 28)).padStart(2, '0')},node-row-${i}`,
        );
      writeFileSync(file, `${lines.join('\n')}\n`);

      const db = new pg.Client({ connectionString: schema.url });
      await db.connect();
      cleanups.push(() => db.end());

      const upload = runCli(
        [
          'upload',
          file,
          '--url',
          proxy.url,
          '--batch-size',
          String(BATCH),
          '--concurrency',
          '6',
          '--no-events',
          '--json',
        ],
        { env: { XDG_STATE_HOME: dir, XDG_DATA_HOME: dir }, timeoutMs: 55_000 },
      );

      // Find a node mid-job (its lease names host:pid), and kill -9 it.
      let victim: ServerProcess | undefined;
      let victimJob = '';
      await waitUntil(
        'a node seen mid-job',
        async () => {
          const { rows } = await db.query<{ id: string; lease_owner: string }>(
            "SELECT id, lease_owner FROM bulk_jobs WHERE state = 'In Progress' AND processed_items > 0 AND processed_items < total_items AND lease_owner IS NOT NULL LIMIT 1",
          );
          const pid = rows[0] ? Number(rows[0].lease_owner.split(':')[1]) : NaN;
          victim = nodes.find((n) => n.proc.pid === pid);
          if (victim && rows[0]) victimJob = rows[0].id;
          return victim;
        },
        { timeoutMs: 30_000 },
      ).catch(() => undefined);
      expect(victim, 'no node was seen mid-job').toBeDefined();
      alive.delete(victim as ServerProcess);
      await (victim as ServerProcess).kill9();

      // Events for that job on both surviving nodes: whichever finishes it, both streams see the end
      // (at least one of them learns it by polling the shared store, not from its own worker).
      const survivors = [...alive];
      const streams = survivors.map((n) => followEvents(`${n.url}/api/jobs/${victimJob}/events/`));

      const result = await upload;
      expect(result.code, result.stderr).toBe(0);
      const summary = JSON.parse(result.stdout) as { counts: { stored: number; failed: number } };
      expect(summary.counts).toMatchObject({ stored: ROWS, failed: 0 });

      const states = await Promise.all(streams);
      for (const s of states) {
        expect(s[0]).toBe('In Progress');
        expect(s.at(-1)).toBe('Job Complete');
      }

      // The invariant, from the database: every row exactly once, every job final and counted.
      const counts = await db.query<{ n: string; distinct_rows: string }>(
        'SELECT COUNT(*) AS n, COUNT(DISTINCT description) AS distinct_rows FROM transactions',
      );
      expect(counts.rows[0]).toEqual({ n: String(ROWS), distinct_rows: String(ROWS) });
      const jobs = await db.query<{ state: string; n: string; success: string; processed: string }>(
        'SELECT state, COUNT(*) AS n, SUM(success_count) AS success, SUM(processed_items) AS processed FROM bulk_jobs GROUP BY state',
      );
      expect(jobs.rows).toEqual([
        { state: 'Job Complete', n: String(ROWS / BATCH), success: String(ROWS), processed: String(ROWS) },
      ]);
      // The killed node's job was finished by another node.
      const taken = await db.query<{ state: string }>('SELECT state FROM bulk_jobs WHERE id = $1', [victimJob]);
      expect(taken.rows[0]?.state).toBe('Job Complete');
      // Status and aggregates of any job answer the same on every surviving node.
      const answers = await Promise.all(
        survivors.map(async (n) => (await fetch(`${n.url}/api/jobs/${victimJob}/aggregates/`)).text()),
      );
      expect(answers[0]).toContain('"aggregate_results"');
      expect(answers[1]).toBe(answers[0]);

      // One Idempotency-Key sent at once to both surviving nodes: one job, every 202 names it, any other answer is 409.
      const body = JSON.stringify([
        { account_id: 7, amount: '1.00', transaction_date: '2024-03-01', description: 'idem-once' },
      ]);
      const sends = await Promise.all(
        [...survivors, ...survivors, ...survivors].map(async (n) => {
          const res = await fetch(`${n.url}/api/transactions/bulk/`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': 'shared-key-1' },
            body,
          });
          return { status: res.status, json: (await res.json()) as { job_id?: string } };
        }),
      );
      const accepted = sends.filter((s) => s.status === 202);
      expect(accepted.length).toBeGreaterThan(0);
      expect(sends.every((s) => s.status === 202 || s.status === 409)).toBe(true);
      expect(new Set(accepted.map((s) => s.json.job_id)).size).toBe(1);
      const keyed = await db.query<{ n: string }>(
        "SELECT COUNT(*) AS n FROM bulk_idempotency WHERE key = 'shared-key-1'",
      );
      expect(keyed.rows[0]?.n).toBe('1');
      const jobsNow = await db.query<{ n: string }>('SELECT COUNT(*) AS n FROM bulk_jobs');
      expect(jobsNow.rows[0]?.n).toBe(String(ROWS / BATCH + 1));
    },
  );
});

/** The states an events stream sends, until it ends. */
async function followEvents(url: string): Promise<string[]> {
  const res = await fetch(url);
  const states: string[] = [];
  const text = await res.text();
  for (const line of text.split('\n'))
    if (line.startsWith('data: ')) states.push((JSON.parse(line.slice(6)) as { state: string }).state);
  return states;
}
