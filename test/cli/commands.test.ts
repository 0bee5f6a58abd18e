import { writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { call, waitForFinal } from '../helpers/http.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures');
let server: RunningServer;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  dir = tempDir('bulk-cmds-');
  server = await startServer({ port: 0, host: '127.0.0.1', database: path.join(dir, 'cmds.db') });
  env = { BULK_URL: server.url, BULK_STATE_DIR: path.join(dir, 'state') };
});
afterAll(async () => server?.close());

describe('job commands', () => {
  it('status, aggregates, errors, jobs and watch, each with --json', async () => {
    const file = path.join(dir, 'cmd.csv');
    writeFileSync(
      file,
      'account_id,amount,transaction_date,description\n1,1.10,2024-01-01,cmd-1\n2,bad,2024-01-01,cmd-2\n3,2.20,2024-01-01,cmd-3\n',
    );
    const up = JSON.parse((await runCli(['upload', file, '--resource', 'transactions', '--json'], { env })).stdout);
    const id = up.jobs[0].id as string;
    const status = JSON.parse((await runCli(['status', id, '--json'], { env })).stdout);
    expect(status).toMatchObject({ job_id: id, state: 'Job Complete', success_count: 2, error_count: 1 });
    const human = await runCli(['status', id], { env });
    expect(human.stdout).toContain('Job Complete (completed)');
    const aggs = JSON.parse((await runCli(['aggregates', id, '--json'], { env })).stdout);
    expect(aggs.aggregate_results).toMatchObject({ total_amount: 3.3, successful_transactions: 2 });
    const errs = JSON.parse((await runCli(['errors', id, '--json', '--page-size', '1'], { env })).stdout);
    expect(errs).toEqual({
      job_id: id,
      total: 1,
      // Located in the input (a server that keeps runs): file, line and the value.
      errors: [
        {
          job_id: id,
          index: 1,
          file: 'cmd.csv',
          line: 3,
          first_line: 2,
          last_line: 4,
          field: 'amount',
          error: 'must be a decimal number',
          value: 'bad',
        },
      ],
    });
    expect((await runCli(['errors', id], { env })).stdout).toBe('cmd.csv:3\tamount\tmust be a decimal number\tbad\n');
    const jobs = JSON.parse((await runCli(['jobs', '--json', '--limit', '1'], { env })).stdout);
    expect(jobs.jobs[0].job_id).toBe(id);
    const watch = await runCli(['watch', id, '--json'], { env });
    expect(watch.code).toBe(1); // finished, with a rejected row
    expect(JSON.parse(watch.stdout).jobs[0].state).toBe('Job Complete');
  });

  it('abort stops a queued job; an unknown job exits 3 naming the id as typed', async () => {
    const big = Array.from({ length: 30_000 }, (_, i) => ({
      account_id: i,
      amount: '1.00',
      transaction_date: '2024-01-01',
      description: `abort-${i}`,
    }));
    const first = await call(server.url, 'POST', '/api/transactions/bulk/', { body: big });
    const second = await call(server.url, 'POST', '/api/transactions/bulk/', {
      body: big.map((r) => ({ ...r, description: `${r.description}-b` })),
    });
    const res = await runCli(['abort', String(second.body.job_id), '--json'], { env });
    const st = JSON.parse(res.stdout);
    expect(['Aborted', 'Job Complete']).toContain(st.state);
    void first;
    const missing = await runCli(['status', '550e8400-e29b-41d4-a716-446655440000'], { env });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('no job starting with 550e8400-e29b-41d4-a716-446655440000');
  });

  it('abort of a job that already finished prints its final status at once (the 409 is an answer, not a retry)', async () => {
    const job = await call(server.url, 'POST', '/api/transactions/bulk/', {
      body: [{ account_id: 5, amount: '5.00', transaction_date: '2024-04-01', description: 'done-before-abort' }],
    });
    await waitForFinal(server.url, String(job.body.job_id));
    const res = await runCli(['abort', String(job.body.job_id), '--json'], { env });
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ state: 'Job Complete', success_count: 1 });
    expect(res.stderr).not.toMatch(/retry/i);
  }, 15_000);

  it('--no-wait prints job ids and exits 0; --dry-run sends nothing', async () => {
    const input = path.join(dir, 'nowait.csv');
    writeFileSync(
      input,
      'account_id,amount,transaction_date,description\n1,1.00,2024-02-01,nw-1\n2,2.00,2024-02-01,nw-2\n',
    );
    const res = await runCli(['upload', input, '--resource', 'transactions', '--no-wait'], { env });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^[0-9a-f-]{36}\tbatch 1\t.*nowait\.csv:2-3\n$/);
    const before = (await call<{ jobs: unknown[] }>(server.url, 'GET', '/api/jobs/?limit=500')).body.jobs.length;
    const dry = await runCli(
      [
        'upload',
        path.join(FIXTURES, 'ragged.csv'),
        '--resource',
        'transactions',
        '--dry-run',
        '--json',
        '--failed-rows-dir',
        dir,
      ],
      { env },
    );
    const doc = JSON.parse(dry.stdout);
    expect(dry.code).toBe(1);
    expect(doc).toMatchObject({ status: 'dry_run', counts: { read: 4, failed: 2, stored: 0 } });
    expect(existsSync(path.join(dir, 'ragged.failed.csv'))).toBe(true);
    expect((await call<{ jobs: unknown[] }>(server.url, 'GET', '/api/jobs/?limit=500')).body.jobs.length).toBe(before);
  });

  it('reads stdin with --format', async () => {
    const input =
      '{"account_id":7,"amount":"7.00","transaction_date":"2024-03-01","description":"stdin-1"}\n{"account_id":"x"}\n';
    const res = await runCli(
      ['upload', '-', '--format', 'ndjson', '--resource', 'transactions', '--json', '--failed-rows-dir', dir],
      { env, input },
    );
    const doc = JSON.parse(res.stdout);
    expect(doc.counts).toEqual({ read: 2, stored: 1, failed: 1, unprocessed: 0, unconfirmed: 0 });
    expect(doc.errors[0]).toMatchObject({ file: 'stdin', line: 2 });
    expect(doc.resume_command).toBeNull();
  });

  it('uses a config profile, and flags beat it', async () => {
    const cwd = tempDir();
    writeFileSync(
      path.join(cwd, 'bulk.config.json'),
      JSON.stringify({ default_profile: 'local', profiles: { local: { url: server.url, batch_size: 2 } } }),
    );
    const input = path.join(cwd, 'transactions.csv');
    writeFileSync(
      input,
      'account_id,amount,transaction_date,description\n1,1.00,2024-04-01,cfg-1\n2,2.00,2024-04-01,cfg-2\n3,3.00,2024-04-01,cfg-3\n',
    );
    const viaProfile = JSON.parse(
      (await runCli(['upload', input, '--json'], { cwd, env: { BULK_STATE_DIR: env.BULK_STATE_DIR } })).stdout,
    );
    expect(viaProfile.url).toBe(server.url);
    expect(viaProfile.jobs).toHaveLength(2);
    const bad = await runCli(['upload', input, '--profile', 'nope'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no profile named "nope" \(profiles: local\)/);
  });
});

describe('the command line itself', () => {
  it("every command's help leads with examples", async () => {
    for (const cmd of [
      'upload',
      'serve',
      'resume',
      'status',
      'watch',
      'aggregates',
      'errors',
      'jobs',
      'abort',
      'completion',
    ]) {
      const res = await runCli([cmd, '--help']);
      expect(res.code, cmd).toBe(0);
      expect(res.stdout.trimStart().startsWith('Examples:'), `${cmd}: ${res.stdout.slice(0, 80)}`).toBe(true);
    }
  });

  it('prints completion scripts that name every command and flag', async () => {
    for (const shell of ['bash', 'zsh', 'fish']) {
      const res = await runCli(['completion', shell]);
      expect(res.code).toBe(0);
      expect(res.stdout).toContain('upload');
      expect(res.stdout).toContain('max-errors');
    }
  });

  it('--version is plain and usage errors exit 2', async () => {
    const v = await runCli(['--version']);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect((await runCli(['upload'])).code).toBe(2);
    expect((await runCli(['nonsense'])).code).toBe(2);
    expect((await runCli(['upload', 'a.csv', '--concurrency', '0'])).code).toBe(2);
  });
});
