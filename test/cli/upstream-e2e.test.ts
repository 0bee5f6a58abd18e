// `bulk upload` against a fake of the upstream server (../shared/upstream-wire.md, row by row): the
// run tells the truth about what that server did, and says what it cannot know. Each case is one
// the issue found against the real upstream; each failed on the code before it.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { assertValidResult } from '../helpers/result-schema.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp.js';
import { startUpstreamFake, type UpstreamFake, type UpstreamOptions } from '../helpers/upstream-fake.js';

let fake: UpstreamFake | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

/** `rows` transactions; the rows at `invalid` have no amount, the row at `duplicateOf[1]` repeats `duplicateOf[0]`'s key. */
function csv(dir: string, rows: number, opts: { invalid?: number[]; duplicateOf?: [number, number] } = {}): string {
  const lines = ['account_id,amount,transaction_date,description,category'];
  for (let i = 0; i < rows; i++) {
    const k = opts.duplicateOf && i === opts.duplicateOf[1] ? opts.duplicateOf[0] : i;
    const amount = opts.invalid?.includes(i) ? '' : `${i}.50`;
    lines.push(`${1000 + k},${amount},2026-12-01,Invoice ${k},test`);
  }
  const file = path.join(dir, 'transactions.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

async function upload(args: string[], opts: UpstreamOptions = {}, dir = tempDir('bulk-upstream-')) {
  fake ??= await startUpstreamFake(opts);
  const res = await runCli(['upload', ...args, '--url', fake.url, '--json', '--concurrency', '2'], {
    env: { BULK_STATE_DIR: path.join(dir, 'state') },
    cwd: dir,
  });
  const doc = JSON.parse(res.stdout);
  assertValidResult(doc);
  expect(res.code, res.stderr).toBe(doc.exit_code);
  const c = doc.counts;
  expect(c.read).toBe(c.stored + c.failed + c.unprocessed + c.unconfirmed);
  return { res, doc, dir };
}

describe('the upstream server, answered honestly', () => {
  it('errors null at Job Complete and aggregates never ready: counts as the server gave them, aggregates asked at most twice for the first job and once after, said to be unavailable', async () => {
    const dir = tempDir('bulk-upstream-');
    const file = csv(dir, 300, { invalid: [5, 150, 299] });
    const { doc, res } = await upload([file, '--batch-size', '100'], {}, dir);
    expect(doc.counts).toEqual({ read: 300, stored: 297, failed: 3, unprocessed: 0, unconfirmed: 0 });
    expect(fake!.stored).toHaveLength(297);
    expect(doc.exit_code).toBe(1);
    // main: 5 tries of the aggregates per job (2-3 s each job).
    expect(fake!.hits.get('GET aggregates')).toBeLessThanOrEqual(2 + 2);
    expect(res.stderr).toMatch(/aggregates: not available from this server \(.*Aggregates not completed yet/);
    expect(doc.jobs.every((j: { server_state: string; verdict: string }) => j.verdict === 'settled')).toBe(true);
  }, 60_000);

  it("one duplicate key fails the whole job: the server's own words are shown, its rows unconfirmed, and a resume does not resend them to a server that ignores Idempotency-Key", async () => {
    const dir = tempDir('bulk-upstream-');
    const file = csv(dir, 200, { duplicateOf: [120, 130] });
    const { doc } = await upload([file, '--batch-size', '100'], {}, dir);
    expect(doc.exit_code).toBe(3);
    // main: "cannot be reconciled … check that --url points at a bulk job API".
    expect(doc.message).toMatch(/ended Failed: the server says "Task failed: UNIQUE constraint failed/);
    expect(doc.counts).toMatchObject({ stored: 100, failed: 0, unconfirmed: 100 });
    const failedJob = doc.jobs.find((j: { verdict: string }) => j.verdict === 'unconfirmed');
    // The server's state and bulk's verdict, each as it is (main: "state": "Failed" for a refused Job Complete too).
    expect(failedJob).toMatchObject({ server_state: 'Failed', verdict: 'unconfirmed', unconfirmed: 100 });
    expect(doc.resume_command).toMatch(/--resume/);
    const again = await runCli([...doc.resume_command.split(' ').slice(1), '--json'], {
      env: { BULK_STATE_DIR: path.join(dir, 'state') },
      cwd: dir,
    });
    expect(again.stderr).toMatch(/not sent again, as this server has not shown it honours Idempotency-Key/);
    expect(JSON.parse(again.stdout).counts).toMatchObject({ stored: 100, unconfirmed: 100 });
    // Asked again, never resent: the server got two jobs, not three.
    expect(fake!.jobs).toHaveLength(2);
    // Only when the user says so, and the run says which.
    const forced = await runCli([...doc.resume_command.split(' ').slice(1), '--json', '--resend-unconfirmed'], {
      env: { BULK_STATE_DIR: path.join(dir, 'state') },
      cwd: dir,
    });
    expect(forced.stderr).toMatch(/sent again: --resend-unconfirmed was given \(rows the server did store may be/);
    expect(fake!.jobs).toHaveLength(3);
  }, 60_000);

  it('a start whose answer is lost is not sent again (the server ignores Idempotency-Key): its rows unconfirmed, and a resume leaves them so', async () => {
    const dir = tempDir('bulk-upstream-');
    const file = csv(dir, 200);
    const { doc } = await upload([file, '--batch-size', '100'], { resetFirstStart: true }, dir);
    // main: the start was sent again, and the server made a second job of the same 100 rows.
    expect(fake!.hits.get('POST bulk')).toBe(2);
    expect(fake!.jobs).toHaveLength(2);
    expect(doc.exit_code).toBe(3);
    expect(doc.counts).toEqual({ read: 200, stored: 100, failed: 0, unprocessed: 0, unconfirmed: 100 });
    expect(doc.message).toMatch(
      /^lines 2-101 of \S+: start job \(transactions\): .*; not sent again: the server may have made a job of it, and it has not said it replays Idempotency-Key, .*; its 100 rows are unconfirmed$/,
    );
    expect(doc.jobs.find((j: { id: string }) => j.id === '')).toMatchObject({
      verdict: 'unconfirmed',
      unconfirmed: 100,
    });
    const again = await runCli([...doc.resume_command.split(' ').slice(1), '--json'], {
      env: { BULK_STATE_DIR: path.join(dir, 'state') },
      cwd: dir,
    });
    expect(again.stderr).toMatch(
      /lines 2-101 of \S+ are still unconfirmed \(no answer to its start could be read\): not sent again/,
    );
    const resumed = JSON.parse(again.stdout);
    expect(resumed.exit_code, again.stderr).toBe(3);
    expect(resumed.counts).toEqual({ read: 200, stored: 100, failed: 0, unprocessed: 0, unconfirmed: 100 });
    // Never sent twice: the server still has the two jobs, each row once.
    expect(fake!.jobs).toHaveLength(2);
    expect(new Set(fake!.stored).size).toBe(200);
  }, 60_000);

  it('an unknown resource (404 HTML to the start) is exit 2, names the resource and the URL, and offers no resume', async () => {
    const dir = tempDir('bulk-upstream-');
    const file = csv(dir, 10);
    const { doc } = await upload([file, '--resource', 'nope'], {}, dir);
    // main: exit 3 with a --resume command that cannot work.
    expect(doc.exit_code).toBe(2);
    expect(doc.error_kind).toBe('unknown-resource');
    expect(doc.message).toMatch(/^the server has no resource nope at http:\/\/127\.0\.0\.1:\d+\/api\/nope\/bulk\/$/);
    expect(doc.resume_command).toBeNull();
  }, 60_000);

  it('an upsert of 50 items or fewer answered 200 with per-item results and no job: stored, not unprocessed', async () => {
    const dir = tempDir('bulk-upstream-');
    const file = csv(dir, 80);
    const { doc } = await upload(
      [file, '--batch-size', '40', '--upsert', '--unique-fields', 'account_id,transaction_date,description'],
      {},
      dir,
    );
    // main: "answer has no job_id", 80 rows unprocessed although all were in the database.
    expect(doc.counts).toEqual({ read: 80, stored: 80, failed: 0, unprocessed: 0, unconfirmed: 0 });
    expect(fake!.stored).toHaveLength(80);
    expect(doc.exit_code).toBe(0);
  }, 60_000);

  it('a status_url the server does not route (404 HTML after the 202): unconfirmed, never failed', async () => {
    const dir = tempDir('bulk-upstream-');
    const file = csv(dir, 100);
    const { doc } = await upload([file, '--batch-size', '100'], { unroutedStatusUrl: true }, dir);
    expect(doc.exit_code).toBe(3);
    expect(doc.counts).toMatchObject({ failed: 0, unconfirmed: 100 });
    expect(doc.failed_rows_file).toBeNull();
  }, 60_000);

  it('bulk errors on a server without an errors endpoint says so and exits non-zero', async () => {
    const dir = tempDir('bulk-upstream-');
    const file = csv(dir, 20, { invalid: [3, 4] });
    const { doc } = await upload([file, '--batch-size', '20'], {}, dir);
    expect(doc.counts).toMatchObject({ stored: 18, failed: 2 });
    const res = await runCli(['errors', doc.jobs[0].id, '--url', fake!.url], { cwd: dir });
    // main: printed nothing and exited 0.
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/has 2 record errors; this server names 0 of them and has no errors endpoint/);
  }, 60_000);
});
