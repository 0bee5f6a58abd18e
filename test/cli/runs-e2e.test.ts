import { mkdirSync, utimesSync, writeFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { call } from '../helpers/http.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp.js';
import { waitUntil } from '../helpers/wait-until.js';

let server: RunningServer | null = null;
/** While closed, the worker waits at each chunk boundary: jobs stay unfinished until the test says. */
let closed = false;
const waiting: (() => void)[] = [];
const open = () => {
  closed = false;
  waiting.splice(0).forEach((r) => r());
};
afterEach(async () => {
  open();
  await server?.close();
  server = null;
});

const HEADER = 'account_id,amount,transaction_date,description\n';

async function setup() {
  const dir = tempDir('bulk-runs-');
  server = await startServer({
    port: 0,
    host: '127.0.0.1',
    database: path.join(dir, 'server.db'),
    chunkSize: 50,
    beforeChunk: () => (closed ? new Promise<void>((r) => waiting.push(r)) : Promise.resolve()),
  });
  const env = { BULK_URL: server.url, BULK_STATE_DIR: path.join(dir, 'state') };
  const input = path.join(dir, 'tx.csv');
  const rows = Array.from({ length: 600 }, (_, i) => `${i},${i}.10,2024-04-0${1 + (i % 9)},runs-${i}\n`);
  rows[99] = '99,twelve,2024-04-01,runs-99\n'; // line 101
  rows[450] = '450,,2024-04-01,runs-450\n'; // line 452
  writeFileSync(input, HEADER + rows.join(''));
  return { dir, env, input };
}

describe('runs on the command line', () => {
  it('after an upload, bulk runs lists the run with its file; errors, status and watch take the run id', async () => {
    const { env, input } = await setup();
    const up = await runCli(['upload', input, '--resource', 'transactions', '--batch-size', '200', '--json'], {
      env,
    });
    const doc = JSON.parse(up.stdout);
    expect(doc.exit_code).toBe(1);
    const runId = doc.run_id as string;
    // The run's own log, named in the document (and the summary): plain timestamped lines at -v detail.
    expect(doc.log_file).toBe(path.join(env.BULK_STATE_DIR, runId, 'run.log'));
    const log = readFileSync(doc.log_file, 'utf8');
    expect(log).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ run /);
    expect(log).toMatch(/ batch 1 lines 2-201 \(200 rows\) -> job /);
    expect(log).toMatch(/ rejected: .*tx\.csv:101/);
    expect(log).toContain(`log: ${doc.log_file}`);
    expect(log).not.toContain('\u001b');

    const runs = await runCli(['runs'], { env });
    expect(runs.code, runs.stderr).toBe(0);
    expect(runs.stdout.trim().split('\n')[0]?.split('\t')).toEqual([
      runId,
      expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/),
      'tx.csv',
      '600',
      '598',
      '2',
      '0',
      'completed',
    ]);
    const json = JSON.parse((await runCli(['runs', '--json'], { env })).stdout);
    expect(json.runs[0]).toMatchObject({ run_id: runId, files: ['tx.csv'], jobs: 3, unconfirmed: 0 });

    const errors = await runCli(['errors', runId], { env });
    expect(errors.code, errors.stderr).toBe(0);
    expect(errors.stdout.replace(/\n$/, '').split('\n')).toEqual([
      expect.stringMatching(/^tx\.csv:101\tamount\t.+\ttwelve$/),
      expect.stringMatching(/^tx\.csv:452\tamount\t.+\t$/),
    ]);
    // A job's errors are located the same way; a unique start of the run id works too.
    const jobId = (doc.jobs as { id: string; first_line: number }[]).find((j) => j.first_line === 2)?.id as string;
    expect((await runCli(['errors', jobId.slice(0, 8)], { env })).stdout).toMatch(
      /^tx\.csv:101\tamount\t.+\ttwelve\n$/,
    );
    const status = await runCli(['status', runId.slice(0, 18)], { env });
    expect(status.stdout).toContain(`${runId}  completed  tx.csv`);
    expect(status.stdout).toMatch(/1 × amount: .* \(first tx\.csv:101, value twelve\)/);
    const watch = await runCli(['watch', runId, '--json'], { env });
    expect(JSON.parse(watch.stdout).jobs).toHaveLength(3);
    expect(watch.code).toBe(1);
  });

  it('bulk abort RUN stops every unfinished job of a --no-wait run in one call; resume then follows and writes the failed rows', async () => {
    const { env, input, dir } = await setup();
    closed = true;
    const up = await runCli(
      ['upload', input, '--resource', 'transactions', '--batch-size', '100', '--concurrency', '6', '--no-wait'],
      { env },
    );
    expect(up.code, up.stderr).toBe(0);
    const runId = /run (\S+):/.exec(up.stderr)?.[1] as string;
    expect(up.stderr).toContain(`bulk upload --resume ${runId} follows these jobs and writes the failed-rows file`);
    const aborting = runCli(['abort', runId, '--json'], { env });
    // The queued jobs end Aborted at once; then the one held at its chunk boundary may go on, and stops there.
    await waitUntil('the abort to reach the server', async () => {
      const run = await call(server!.url, 'GET', `/api/runs/${runId}/`);
      return Number(run.body.aborted_jobs) >= 1 || undefined;
    });
    open();
    const abort = await aborting;
    expect(abort.code, abort.stderr).toBe(0);
    const after = JSON.parse(abort.stdout);
    expect(after).toMatchObject({ run_id: runId, state: 'aborted', unfinished_jobs: 0, jobs: 6 });
    expect(after.aborted.length).toBeGreaterThanOrEqual(1);
    const jobs = await call(server!.url, 'GET', `/api/runs/${runId}/jobs/`);
    expect(
      (jobs.body.jobs as { state: string }[]).every((j) => j.state === 'Job Complete' || j.state === 'Aborted'),
    ).toBe(true);
    // The run was stopped by hand: a resume follows the jobs (the aborted ones' rows unprocessed),
    // the next sends those rows; the failed-rows file is written as a waited run's is.
    const followed = JSON.parse((await runCli(['upload', '--resume', runId, '--json'], { env })).stdout);
    expect(followed.counts.read).toBe(600);
    expect(followed.counts.unprocessed).toBeGreaterThan(0);
    expect(followed.resume_command).toBe(`bulk upload --resume ${runId}`);
    const resumed = await runCli(['upload', '--resume', runId, '--json'], { env });
    const doc = JSON.parse(resumed.stdout);
    expect(doc.counts).toMatchObject({ read: 600, stored: 598, failed: 2, unprocessed: 0 });
    expect(readdirSync(dir)).toContain('tx.failed.csv');
    // Now there is nothing left.
    expect((await runCli(['upload', '--resume', runId], { env })).stderr).toContain(`nothing to resume: run ${runId}`);
  });

  it('bulk runs prune --older-than removes old run folders and keeps young ones and live ones', async () => {
    const dir = tempDir('bulk-prune-');
    const env = { BULK_STATE_DIR: dir };
    const old = new Date(Date.now() - 40 * 86_400_000);
    for (const name of ['20260101T000000Z-aaaaaa', '20260102T000000Z-bbbbbb', '20260103T000000Z-cccccc']) {
      mkdirSync(path.join(dir, name));
      writeFileSync(path.join(dir, name, 'checkpoint.json'), '{}');
    }
    for (const name of ['20260101T000000Z-aaaaaa', '20260102T000000Z-bbbbbb'])
      utimesSync(path.join(dir, name, 'checkpoint.json'), old, old);
    // A live process (this test's) holds the second one.
    writeFileSync(
      path.join(dir, '20260102T000000Z-bbbbbb', 'lock'),
      JSON.stringify({ pid: process.pid, host: hostname(), started_at: new Date().toISOString() }),
    );
    const dry = await runCli(['runs', 'prune', '--older-than', '30d', '--dry-run'], { env });
    expect(dry.stdout).toContain('20260101T000000Z-aaaaaa');
    expect(existsSync(path.join(dir, '20260101T000000Z-aaaaaa'))).toBe(true);
    const res = await runCli(['runs', 'prune', '--older-than', '30d', '--json'], { env });
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ pruned: [{ run_id: '20260101T000000Z-aaaaaa' }], kept: 2 });
    expect(readdirSync(dir).sort()).toEqual(['20260102T000000Z-bbbbbb', '20260103T000000Z-cccccc']);
    expect((await runCli(['runs', 'prune', '--older-than', 'soon'], { env })).code).toBe(2);
  });
});
