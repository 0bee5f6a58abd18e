import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateTransactions } from '../../bench/transactions-generator.mjs';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { checkInvariant } from '../helpers/invariant.js';
import { BIN, runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp.js';
import { untilAcknowledged } from '../helpers/upload-process.js';
import { waitUntil } from '../helpers/wait-until.js';

let server: RunningServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

const ROWS = 12_000;
const SEED = 11;
const SHARE = 0.01;

/** The signal tests need the run still going when they signal: there the server takes its time per chunk. */
async function setup(opts: { chunkDelayMs?: number } = {}) {
  const dir = tempDir('bulk-resume-');
  const input = path.join(dir, 'transactions.csv');
  await generateTransactions({ rows: ROWS, seed: SEED, invalidShare: SHARE, format: 'csv', out: input });
  const delay = opts.chunkDelayMs;
  server = await startServer({
    port: 0,
    host: '127.0.0.1',
    database: path.join(dir, 'server.db'),
    chunkSize: 100,
    beforeChunk: delay ? () => new Promise((r) => setTimeout(r, delay)) : undefined,
  });
  const env = { BULK_URL: server.url, BULK_STATE_DIR: path.join(dir, 'state') };
  return { dir, input, env, db: server.database };
}

/** Starts an upload and kills it with SIGKILL once the checkpoint holds `after` acknowledged batches. */
async function killMidRun(args: string[], env: Record<string, string>, after: number): Promise<void> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: 'ignore',
  });
  const exited = new Promise((r) => child.on('exit', r));
  await untilAcknowledged(env.BULK_STATE_DIR as string, after, child);
  child.kill('SIGKILL');
  await exited;
}

/**
 * Starts an upload and, once the checkpoint holds `after` acknowledged jobs, sends `signals`, each
 * after the one before it was heard (its warning on stderr); resolves with how the process ended
 * and what it printed.
 */
async function signalMidRun(
  args: string[],
  env: Record<string, string>,
  after: number,
  signals: NodeJS.Signals[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  await untilAcknowledged(env.BULK_STATE_DIR as string, after, child);
  for (const [i, signal] of signals.entries()) {
    const before = signals[i - 1];
    if (before)
      await waitUntil(
        () => `the client to say it heard ${before}; its stderr: ${stderr}`,
        () => stderr.includes(before),
      );
    child.kill(signal);
  }
  return { code: await exited, stdout, stderr };
}

describe('kill -9 of the client, then resume', () => {
  it.each([1, 4, 9])(
    'after %i acknowledged batches: converges with every row once, failed rows once, the same result as a clean run',
    async (after) => {
      const { dir, input, env, db } = await setup();
      await killMidRun(['upload', input, '--batch-size', '500', '--concurrency', '3', '--no-events'], env, after);
      const resumed = await runCli(['upload', '--resume', '--json'], { env });
      const result = JSON.parse(resumed.stdout);
      expect(resumed.code, resumed.stderr).toBe(result.exit_code);
      const failedFiles = readdirSync(dir)
        .filter((f) => f.includes('.failed'))
        .map((f) => path.join(dir, f));
      expect(failedFiles).toEqual([path.join(dir, 'transactions.failed.csv')]);
      const { stored, failed } = checkInvariant({
        rows: ROWS,
        seed: SEED,
        invalidShare: SHARE,
        dbPath: db,
        failedRowsFiles: failedFiles,
        result,
      });
      expect(stored + failed).toBe(ROWS);
      expect(result.jobs.length).toBe(ROWS / 500);
      expect(result.resume_command).toBeNull();
    },
    60_000,
  );

  it('a second Ctrl-C exits at once; the checkpoint is still consistent and resume converges', async () => {
    // Jobs slow enough that the first Ctrl-C leaves the run waiting on them when the second lands.
    const { dir, input, env, db } = await setup({ chunkDelayMs: 50 });
    const { code } = await signalMidRun(['upload', input, '--batch-size', '500', '--concurrency', '3'], env, 3, [
      'SIGINT',
      'SIGINT',
    ]);
    expect(code).toBe(130);
    const resumed = await runCli(['resume', '--json'], { env });
    const result = JSON.parse(resumed.stdout);
    checkInvariant({
      rows: ROWS,
      seed: SEED,
      invalidShare: SHARE,
      dbPath: db,
      failedRowsFiles: [path.join(dir, 'transactions.failed.csv')].filter(existsSync),
      result,
    });
  }, 60_000);

  it('one Ctrl-C stops reading but hears the jobs in flight to their end (server events keep flowing)', async () => {
    const { input, env } = await setup({ chunkDelayMs: 20 });
    const { code, stdout } = await signalMidRun(
      ['upload', input, '--batch-size', '500', '--concurrency', '3', '--json'],
      env,
      3,
      ['SIGINT'],
    );
    expect(code).toBe(130);
    const doc = JSON.parse(stdout) as { status: string; jobs: { state: string; stored: number }[] };
    expect(doc.status).toBe('interrupted');
    // Each job acknowledged before the signal (25 chunks of 20 ms each) ran to its end, and was heard.
    expect(doc.jobs.length).toBeGreaterThanOrEqual(3);
    for (const job of doc.jobs) expect(job.state).toBe('Job Complete');
  }, 60_000);

  it('refuses to resume when the input file changed', async () => {
    const { input, env } = await setup();
    await killMidRun(['upload', input, '--batch-size', '500', '--concurrency', '1'], env, 1);
    await generateTransactions({ rows: ROWS + 1, seed: SEED, invalidShare: SHARE, format: 'csv', out: input });
    const res = await runCli(['resume'], { env });
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/cannot resume run .*changed size/);
  }, 60_000);

  it('SIGTERM mid-run saves, prints the resume command, exits 143; the resume finishes the job', async () => {
    const { dir, input, env, db } = await setup({ chunkDelayMs: 5 });
    const { code, stderr } = await signalMidRun(
      ['upload', input, '--batch-size', '500', '--concurrency', '2'],
      env,
      2,
      ['SIGTERM'],
    );
    expect(code).toBe(143);
    const command = /resume with: (bulk upload --resume \S+)/.exec(stderr)?.[1];
    expect(command, stderr).toBeDefined();
    const resumed = await runCli([...(command as string).split(' ').slice(1), '--json'], { env });
    const result = JSON.parse(resumed.stdout);
    checkInvariant({
      rows: ROWS,
      seed: SEED,
      invalidShare: SHARE,
      dbPath: db,
      failedRowsFiles: [path.join(dir, 'transactions.failed.csv')].filter(existsSync),
      result,
    });
  }, 60_000);
});
