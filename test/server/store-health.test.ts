import { rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createServerLogger } from '../../src/server/observe/server-log.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { classifyPgError, classifySqliteError, isStoreTransient } from '../../src/server/store/store-errors.js';
import { call, tx, waitForFinal, type JsonResponse } from '../helpers/http.js';
import { generateTransactions } from '../../bench/transactions-generator.mjs';
import type { StatusResponse } from '../../src/protocol/index.js';
import { StoreStall } from '../../src/upload/settle/store-stall.js';
import { runCli } from '../helpers/run-cli.js';
import { spawnServer } from '../helpers/server-process.js';
import { tempDir } from '../helpers/temp.js';
import { canMount, mountTinyDisk, type TinyDisk } from '../helpers/tiny-disk.js';
import { waitUntil } from '../helpers/wait-until.js';

const MOUNTABLE = canMount(path.join(tempDir('bulk-mount-probe-'), 'm'));
if (!MOUNTABLE) console.warn('store-health: cannot mount a tmpfs here (not root?); the full-disk cases skip');

let server: RunningServer | null = null;
let disk: TinyDisk | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
  disk?.unmount();
  disk = null;
});

/** A server whose log lines the test reads. */
async function serverWithLog(dbPath: string): Promise<{ lines: () => Record<string, unknown>[] }> {
  const out: string[] = [];
  const logger = createServerLogger('test-node', { write: (s: string) => void out.push(s) });
  server = await startServer({
    port: 0,
    host: '127.0.0.1',
    database: dbPath,
    logger,
    nodeId: 'test-node',
    quiet: true,
  });
  return { lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const batch = (from: number, n: number) => Array.from({ length: n }, (_, i) => tx(from + i));

describe('store health: a store that cannot write says so, and recovers by itself', () => {
  it.skipIf(!MOUNTABLE)(
    'a full disk: starts get 507 with Retry-After, health 503 naming it, one warning; after space is made, health is 200 again and every accepted row is stored once',
    { timeout: 60_000 },
    async () => {
      const dir = path.join(tempDir('bulk-full-'), 'disk');
      const tiny = mountTinyDisk(dir, '3m') as TinyDisk;
      disk = tiny;
      writeFileSync(path.join(dir, 'filler'), Buffer.alloc(1024 * 1024));
      const dbPath = path.join(dir, 'bulk.db');
      const { lines } = await serverWithLog(dbPath);
      const url = server!.url;
      let accepted = 0;
      let refused: JsonResponse | null = null;
      for (let i = 0; i < 200 && !refused; i++) {
        const res = await call(url, 'POST', '/api/transactions/bulk/', { body: batch(i * 2000, 2000) });
        if (res.status === 202) accepted++;
        else refused = res;
      }
      expect(refused?.status, refused?.text).toBe(507);
      expect(refused?.headers['retry-after']).toBe('5');
      expect(refused?.body).toMatchObject({ reason: 'disk-full' });
      expect(String(refused?.body.error)).toContain("the server's disk is full");
      const health = await call(url, 'GET', '/api/health/');
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({ status: 'unavailable', reason: 'disk-full' });
      expect(health.headers['retry-after']).toBeDefined();

      rmSync(path.join(dir, 'filler'));
      tiny.grow('64m');
      await waitUntil('health 200 again', async () => (await call(url, 'GET', '/api/health/')).status === 200, {
        timeoutMs: 30_000,
        intervalMs: 200,
      });
      const jobs = (await call(url, 'GET', '/api/jobs/?limit=500')).body.jobs as { job_id: string }[];
      expect(jobs).toHaveLength(accepted);
      for (const j of jobs) expect(await waitForFinal(url, j.job_id, 30_000)).toMatchObject({ state: 'Job Complete' });
      const db = new Database(dbPath, { readonly: true });
      const n = db.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT description) AS d FROM transactions').get();
      db.close();
      expect(n).toEqual({ n: accepted * 2000, d: accepted * 2000 });

      const log = lines();
      // Once per outage at warn, once at recovery (with the count in between); never an error, never a stack.
      expect(log.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
        "store trouble: the server's disk is full; requests that write get 503/507 and jobs wait until it clears",
      ]);
      expect(log.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
      const back = log.filter((l) => l.msg === 'store writes again');
      expect(back).toHaveLength(1);
      expect(back[0]).toMatchObject({ level: 'info', trouble: 'disk-full' });
      expect(back[0]?.failures).toBeGreaterThanOrEqual(1);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/bulk_store_errors_total\{kind="disk_full"\} [1-9]/);
      expect(metrics).toMatch(/^bulk_store_writable 1$/m);
    },
  );

  it.skipIf(!MOUNTABLE)(
    'bulk upload against a full disk: names it and ends within --deadline; after space is made a resume stores every row once',
    { timeout: 90_000 },
    async () => {
      const work = tempDir('bulk-full-cli-');
      const dir = path.join(work, 'disk');
      const tiny = mountTinyDisk(dir, '3m') as TinyDisk;
      disk = tiny;
      writeFileSync(path.join(dir, 'filler'), Buffer.alloc(1024 * 1024));
      const input = path.join(work, 'transactions.csv');
      await generateTransactions({ rows: 40_000, seed: 7, invalidShare: 0, format: 'csv', out: input });
      const dbPath = path.join(dir, 'bulk.db');
      const proc = await spawnServer({ dbPath, args: ['--quiet'] });
      try {
        const env = { XDG_STATE_HOME: work, XDG_DATA_HOME: work };
        // Before, a job the server had accepted but could not write kept the client waiting with no bound.
        const first = await runCli(['upload', input, '--url', proc.url, '--deadline', '3', '--batch-size', '2000'], {
          env,
          timeoutMs: 60_000,
        });
        expect(first.signal, `still running after 60 s: ${first.stderr}`).toBeNull();
        expect(first.code, first.stderr).toBe(4);
        expect(first.stderr).toContain("the server's disk is full");
        rmSync(path.join(dir, 'filler'));
        tiny.grow('64m');
        const resume = await runCli(['resume', '--deadline', '60'], { env, timeoutMs: 60_000 });
        expect(resume.code, resume.stderr).toBe(0);
        const db = new Database(dbPath, { readonly: true });
        const n = db.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT description) AS d FROM transactions').get();
        db.close();
        expect(n).toEqual({ n: 40_000, d: 40_000 });
      } finally {
        await proc.stop();
      }
    },
  );

  it('a job the server cannot write for is given up after --deadline of saying so, with the reason', () => {
    let now = 0;
    const stall = new StoreStall('j1', 30_000, () => now);
    const status = (trouble?: string) => ({ store_trouble: trouble }) as StatusResponse;
    stall.see(status('disk-full'));
    now = 29_000;
    stall.see(status('disk-full'));
    // Writing again in between starts the count over.
    stall.see(status());
    now = 40_000;
    stall.see(status('disk-full'));
    now = 69_999;
    expect(() => stall.see(status('disk-full'))).not.toThrow();
    now = 70_000;
    expect(() => stall.see(status('disk-full'))).toThrow(/job j1: the server's disk is full; .* no progress for 30 s/);
  });

  it('a full disk, a read-only database, a lock and a lost connection are told apart, on both stores', () => {
    const sqlite = (code: string, message = 'x') => classifySqliteError(Object.assign(new Error(message), { code }));
    const pgErr = (code: string) => classifyPgError(Object.assign(new Error('x'), { code }));
    expect(sqlite('SQLITE_FULL')).toMatchObject({ trouble: 'disk-full', retryAfterSeconds: 5 });
    expect(sqlite('SQLITE_IOERR_WRITE', 'disk I/O error: no space left on device')).toMatchObject({
      trouble: 'disk-full',
    });
    expect(sqlite('SQLITE_READONLY')).toMatchObject({ trouble: 'read-only' });
    expect(sqlite('SQLITE_READONLY_DBMOVED')).toMatchObject({ trouble: 'read-only' });
    expect(sqlite('SQLITE_BUSY')).toMatchObject({ trouble: 'locked', retryAfterSeconds: 1 });
    expect(sqlite('SQLITE_IOERR_FSYNC')).toMatchObject({ trouble: 'unavailable' });
    expect(pgErr('53100')).toMatchObject({ trouble: 'disk-full' });
    expect(pgErr('25006')).toMatchObject({ trouble: 'read-only' });
    expect(pgErr('57P01')).toMatchObject({ trouble: 'unavailable' });
    expect(pgErr('40P01')).toMatchObject({ trouble: 'locked' });
    expect(isStoreTransient(sqlite('SQLITE_CONSTRAINT'))).toBe(false);
  });

  it('the WAL is checkpointed into the database when a job ends: the database holds the rows, not the log', async () => {
    const dbPath = path.join(tempDir('bulk-wal-'), 'bulk.db');
    await serverWithLog(dbPath);
    const start = await call(server!.url, 'POST', '/api/transactions/bulk/', { body: batch(0, 60_000) });
    expect(start.status).toBe(202);
    await waitForFinal(server!.url, String(start.body.job_id), 60_000);
    const wal = statSync(`${dbPath}-wal`).size;
    const db = statSync(dbPath).size;
    // 60k rows are about 10 MB of pages: before, all of it sat in the WAL (checkpointed only past ~40 MB).
    expect(db, `db ${db} bytes, WAL ${wal} bytes`).toBeGreaterThan(4 * 1024 * 1024);
    expect(wal, `db ${db} bytes, WAL ${wal} bytes`).toBeLessThan(1024 * 1024);
  });
});
