import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateTransactions } from '../../bench/transactions-generator.mjs';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { checkInvariant } from '../helpers/invariant.js';
import { assertValidResult } from '../helpers/result-schema.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp.js';
import { waitUntil } from '../helpers/wait-until.js';

const ROWS = 3000;
const SEED = 5;
const SHARE = 0.01;

let server: RunningServer | null = null;
let proxy: FaultProxy | null = null;
afterEach(async () => {
  await proxy?.close();
  await server?.close();
  proxy = null;
  server = null;
});

async function setup(share = SHARE) {
  const dir = tempDir('bulk-faults-');
  const input = path.join(dir, 'transactions.csv');
  await generateTransactions({ rows: ROWS, seed: SEED, invalidShare: share, format: 'csv', out: input });
  server = await startServer({ port: 0, host: '127.0.0.1', database: path.join(dir, 'server.db') });
  proxy = await startFaultProxy(server.url);
  const env = { BULK_URL: proxy.url, BULK_STATE_DIR: path.join(dir, 'state') };
  const failedFiles = () =>
    readdirSync(dir)
      .filter((f) => f.includes('.failed'))
      .map((f) => path.join(dir, f));
  return { dir, input, env, db: server.database, failedFiles };
}

const isStart = (req: { method?: string; url?: string }) => req.method === 'POST' && /\/bulk\/$/.test(req.url ?? '');
const isStatus = (req: { method?: string; url?: string }) => req.method === 'GET' && /\/status\/$/.test(req.url ?? '');

async function upload(input: string, env: Record<string, string>, extra: string[] = []) {
  const res = await runCli(['upload', input, '--batch-size', '250', '--concurrency', '3', '--json', ...extra], { env });
  const result = JSON.parse(res.stdout);
  assertValidResult(result);
  expect(res.code, res.stderr).toBe(result.exit_code);
  return { res, result };
}

describe('network faults: the run converges, nothing lost, nothing doubled', () => {
  it('connection reset after the server took the start request: the retry replays, no duplicates', async () => {
    const { input, env, db, failedFiles } = await setup();
    proxy!.arm({ kind: 'reset-after' }, { count: 3, match: isStart });
    const { result } = await upload(input, env);
    checkInvariant({ rows: ROWS, seed: SEED, invalidShare: SHARE, dbPath: db, failedRowsFiles: failedFiles(), result });
    // Three starts reached the server twice; the server made one job of each.
    expect(proxy!.seen.filter((s) => s.startsWith('POST')).length).toBe(ROWS / 250 + 3);
    expect(result.jobs).toHaveLength(ROWS / 250);
  });

  it('connection reset before forwarding, and a response cut mid-body', async () => {
    const { input, env, db, failedFiles } = await setup();
    proxy!.arm({ kind: 'reset-before' }, { count: 2, match: isStart });
    proxy!.arm({ kind: 'cut-body' }, { count: 2, match: isStatus });
    const { result } = await upload(input, env, ['--no-events']);
    checkInvariant({ rows: ROWS, seed: SEED, invalidShare: SHARE, dbPath: db, failedRowsFiles: failedFiles(), result });
  });

  it('a storm of 502/503 with HTML bodies, then 429 with Retry-After (seconds, date, garbage)', async () => {
    const { input, env, db, failedFiles } = await setup();
    proxy!.arm({ kind: 'html-status', status: 502 }, { count: 4 });
    proxy!.arm({ kind: 'html-status', status: 503 }, { count: 4 });
    proxy!.arm({ kind: 'retry-after', status: 429, retryAfter: '1' }, { count: 1, match: isStart });
    proxy!.arm(
      { kind: 'retry-after', status: 429, retryAfter: new Date(Date.now() + 500).toUTCString() },
      { count: 1, match: isStart },
    );
    proxy!.arm({ kind: 'retry-after', status: 429, retryAfter: 'soon-ish' }, { count: 1, match: isStart });
    const { result, res } = await upload(input, env, ['-v']);
    checkInvariant({ rows: ROWS, seed: SEED, invalidShare: SHARE, dbPath: db, failedRowsFiles: failedFiles(), result });
    expect(res.stderr).toMatch(/retry \d+ of start job/);
    expect(res.stderr).toMatch(/HTTP 502/);
  });

  it("a server with only the guide's fields (no events, errors or abort URLs): the client polls", async () => {
    const { input, env, db, failedFiles } = await setup();
    proxy!.guideOnly(true);
    const { result } = await upload(input, env);
    checkInvariant({ rows: ROWS, seed: SEED, invalidShare: SHARE, dbPath: db, failedRowsFiles: failedFiles(), result });
    expect(proxy!.seen.some((s) => s.includes('/events/'))).toBe(false);
  });

  it('answers trickling back at 4 kB/s: slow, but the run finishes with nothing lost', async () => {
    const { input, env, db, failedFiles } = await setup();
    proxy!.arm({ kind: 'slow', bytesPerSecond: 4000 }, { count: 4, match: isStart });
    proxy!.arm({ kind: 'slow', bytesPerSecond: 4000 }, { count: 4, match: isStatus });
    const { result } = await upload(input, env, ['--no-events']);
    checkInvariant({ rows: ROWS, seed: SEED, invalidShare: SHARE, dbPath: db, failedRowsFiles: failedFiles(), result });
  });

  it('the server goes away for a while and comes back: the run waits and finishes', async () => {
    const { input, env, db, failedFiles } = await setup();
    proxy!.arm({ kind: 'stall' }, { count: 1, match: isStatus });
    await proxy!.downFor(1500);
    const { result } = await upload(input, env, ['--no-events', '--timeout', '2']);
    checkInvariant({ rows: ROWS, seed: SEED, invalidShare: SHARE, dbPath: db, failedRowsFiles: failedFiles(), result });
  });
});

describe('a job the server no longer knows', () => {
  it('404 after it was accepted: never counted as done; exit 3; resume converges', async () => {
    const { input, env, db, failedFiles } = await setup();
    proxy!.arm(
      { kind: 'json-status', status: 404, body: { error: 'Job not found' } },
      { count: 1, match: (req) => req.method === 'GET' && /\/(status|events)\/$/.test(req.url ?? '') },
    );
    const { result } = await upload(input, env, ['--concurrency', '1']);
    expect(result.exit_code).toBe(3);
    expect(result.message).toMatch(/no longer known to the server/);
    // The server accepted the job: forgotten is not known not to be stored.
    expect(result.counts.unconfirmed).toBeGreaterThan(0);
    const resumed = await runCli([...result.resume_command.split(' ').slice(1), '--json'], { env });
    const final = JSON.parse(resumed.stdout);
    checkInvariant({
      rows: ROWS,
      seed: SEED,
      invalidShare: SHARE,
      dbPath: db,
      failedRowsFiles: failedFiles(),
      result: final,
    });
  });
});

describe('auth refused mid-run', () => {
  it('401 on a later batch: stop, save, a clear message, exit 3; resume finishes; no token in any output', async () => {
    const { input, env, db, failedFiles } = await setup();
    let starts = 0;
    proxy!.arm(
      {
        kind: 'json-status',
        status: 401,
        body: { error: 'Authentication credentials were not provided or are not valid' },
      },
      { count: 1, match: (req) => isStart(req) && ++starts === 4 },
    );
    const secret = 'sekret-token-value-0123456789';
    const { result, res } = await upload(input, { ...env, BULK_TOKEN: secret }, ['--concurrency', '1', '-vv']);
    expect(result.exit_code).toBe(3);
    expect(result.message).toMatch(/Authentication/);
    expect(res.stdout + res.stderr).not.toContain(secret);
    const resumed = await runCli([...result.resume_command.split(' ').slice(1), '--json'], {
      env: { ...env, BULK_TOKEN: secret },
    });
    const final = JSON.parse(resumed.stdout);
    checkInvariant({
      rows: ROWS,
      seed: SEED,
      invalidShare: SHARE,
      dbPath: db,
      failedRowsFiles: failedFiles(),
      result: final,
    });
  });
});

describe('the server refuses a batch as too large', () => {
  it('413: the batch is halved and resent until it fits; nothing lost', async () => {
    const dir = tempDir('bulk-413-');
    const input = path.join(dir, 'transactions.csv');
    await generateTransactions({ rows: ROWS, seed: SEED, invalidShare: SHARE, format: 'csv', out: input });
    server = await startServer({ port: 0, host: '127.0.0.1', database: path.join(dir, 'server.db'), maxItems: 100 });
    const { result, res } = await upload(input, { BULK_URL: server.url, BULK_STATE_DIR: path.join(dir, 'state') });
    expect(res.stderr).toMatch(/too large for the server \(413\)/);
    const failed = readdirSync(dir)
      .filter((f) => f.includes('.failed'))
      .map((f) => path.join(dir, f));
    checkInvariant({
      rows: ROWS,
      seed: SEED,
      invalidShare: SHARE,
      dbPath: server.database,
      failedRowsFiles: failed,
      result,
    });
    expect(result.jobs.every((j: { total: number }) => j.total <= 100)).toBe(true);
  });
});

describe('stopping early, with a result a script can trust', () => {
  it('SIGINT under --json: exit 130 and one schema-valid document with the resume command', async () => {
    const { input, env } = await setup();
    proxy!.arm({ kind: 'stall' }, { count: 50, match: isStatus });
    const { spawn } = await import('node:child_process');
    const { BIN } = await import('../helpers/run-cli.js');
    const child = spawn(process.execPath, [BIN, 'upload', input, '--batch-size', '250', '--json', '--no-events'], {
      env: { PATH: process.env.PATH ?? '', HOME: '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await waitUntil('the client to ask for a job status', () => proxy!.seen.some((s) => s.includes('/status/')));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const doc = JSON.parse(stdout);
    assertValidResult(doc);
    expect(doc).toMatchObject({ status: 'interrupted', exit_code: 130 });
    expect(doc.resume_command).toMatch(/^bulk upload --resume /);
  });

  it('--max-errors: exit 3, the rest unprocessed, then resume finishes the run', async () => {
    const { input, env, db, failedFiles } = await setup(0.05);
    const { result } = await upload(input, env, ['--max-errors', '5', '--concurrency', '4']);
    expect(result.exit_code).toBe(3);
    expect(result.status).toBe('stopped');
    expect(result.message).toMatch(/--max-errors 5 allows/);
    // The message's counts are the summary's: jobs in flight when it tripped settled after it.
    expect(result.message).toContain(`(${result.counts.failed} failed of ${result.counts.read} read)`);
    expect(result.resume_command).toMatch(/^bulk upload --resume /);
    expect(result.counts.stored + result.counts.failed).toBeLessThan(ROWS);
    const resumed = await runCli([...result.resume_command.split(' ').slice(1), '--json', '--max-errors', '100%'], {
      env,
    });
    const final = JSON.parse(resumed.stdout);
    assertValidResult(final);
    checkInvariant({
      rows: ROWS,
      seed: SEED,
      invalidShare: 0.05,
      dbPath: db,
      failedRowsFiles: failedFiles(),
      result: final,
    });
  });

  it('unreachable at the start: exit 4, a schema-valid document, a resume command', async () => {
    const { input } = await setup();
    const res = await runCli(['upload', input, '--json', '--deadline', '1'], {
      env: { BULK_URL: 'http://127.0.0.1:9', BULK_STATE_DIR: tempDir() },
    });
    const doc = JSON.parse(res.stdout);
    assertValidResult(doc);
    expect(res.code).toBe(4);
    expect(doc.counts.unprocessed).toBe(ROWS);
  });

  it('usage errors under --json still print one valid document', async () => {
    const res = await runCli(['upload', '/nope/missing.csv', '--json']);
    expect(res.code).toBe(3);
    assertValidResult(JSON.parse(res.stdout));
  });
});
