import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateTransactions } from '../../bench/transactions-generator.mjs';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { checkInvariant } from '../helpers/invariant.js';
import { assertValidResult } from '../helpers/result-schema.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp.js';
import { canMount, mountTinyDisk, type TinyDisk } from '../helpers/tiny-disk.js';

const ROWS = 3000;
const SEED = 5;
const SHARE = 0.3;
const MOUNTABLE = canMount(path.join(tempDir('bulk-mount-probe-'), 'm'));

let server: RunningServer | null = null;
let disks: TinyDisk[] = [];
afterEach(async () => {
  for (const d of disks) d.unmount();
  disks = [];
  await server?.close();
  server = null;
});

async function setup() {
  const dir = tempDir('bulk-outputs-');
  const input = path.join(dir, 'transactions.csv');
  await generateTransactions({ rows: ROWS, seed: SEED, invalidShare: SHARE, format: 'csv', out: input });
  server = await startServer({ port: 0, host: '127.0.0.1', database: path.join(dir, 'server.db') });
  const env = { BULK_URL: server.url, BULK_STATE_DIR: path.join(dir, 'state') };
  return { dir, input, env, db: server.database };
}

function disk(dir: string, size: string): TinyDisk {
  const d = mountTinyDisk(dir, size);
  if (!d) throw new Error(`cannot mount a tmpfs on ${dir}`);
  disks.push(d);
  return d;
}

async function upload(args: string[], env: Record<string, string>) {
  const res = await runCli([...args, '--json'], { env });
  const doc = JSON.parse(res.stdout);
  assertValidResult(doc);
  expect(res.code, res.stderr).toBe(doc.exit_code);
  return { res, doc };
}

const failedFilesIn = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.includes('.failed'))
        .map((f) => path.join(dir, f))
    : [];

describe.skipIf(!MOUNTABLE)('a full disk, for real (a small tmpfs)', () => {
  it('the failed-rows file fills its disk: exit 3 with one line naming the file, nothing counted that is not recorded; after space is freed the resume converges', async () => {
    const { dir, input, env, db } = await setup();
    const fr = disk(path.join(dir, 'failed'), '24k');
    const { res, doc } = await upload(['upload', input, '--batch-size', '250', '--failed-rows-dir', fr.path], env);
    expect(doc).toMatchObject({ exit_code: 3, status: 'stopped', error_kind: 'output' });
    expect(doc.message).toMatch(
      /cannot write the failed-rows file .*transactions\.failed\.csv: no space left on device \(ENOSPC\)/,
    );
    expect(doc.resume_command).toMatch(/^bulk upload --resume /);
    const c = doc.counts;
    expect(c.stored + c.failed + c.unprocessed + c.unconfirmed).toBe(c.read);
    expect(c.unprocessed).toBeGreaterThan(0);
    // One line, with the prefix and what to do next; no stack trace.
    expect(res.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^bulk: cannot write the failed-rows file .*; free space or fix permissions, then resume with: bulk upload --resume /,
      ),
    ]);
    fr.grow('10m');
    const resumed = await upload(doc.resume_command.split(' ').slice(1), env);
    expect(resumed.doc.exit_code).toBe(1);
    checkInvariant({
      rows: ROWS,
      seed: SEED,
      invalidShare: SHARE,
      dbPath: db,
      failedRowsFiles: failedFilesIn(fr.path),
      result: resumed.doc,
    });
  });

  it('the checkpoint cannot be saved: exit 3, the last good checkpoint still parses, and the resume converges', async () => {
    const { dir, input, env, db } = await setup();
    const state = disk(env.BULK_STATE_DIR, '8k');
    const { doc } = await upload(['upload', input, '--batch-size', '50'], env);
    expect(doc).toMatchObject({ exit_code: 3, status: 'stopped', error_kind: 'output' });
    expect(doc.message).toMatch(/no space left on device \(ENOSPC\)/);
    const c = doc.counts;
    expect(c.stored + c.failed + c.unprocessed + c.unconfirmed).toBe(c.read);
    const run = readdirSync(state.path)[0] as string;
    expect(() => JSON.parse(readFileSync(path.join(state.path, run, 'checkpoint.json'), 'utf8'))).not.toThrow();
    state.grow('10m');
    const resumed = await upload(doc.resume_command.split(' ').slice(1), env);
    expect(resumed.doc.exit_code).toBe(1);
    checkInvariant({
      rows: ROWS,
      seed: SEED,
      invalidShare: SHARE,
      dbPath: db,
      failedRowsFiles: failedFilesIn(dir),
      result: resumed.doc,
    });
  });
});

describe('folders are made ready before any job', () => {
  it('a --failed-rows-dir whose parents do not exist is created; one under a file is refused with one line (exit 2) and no job is sent', async () => {
    const { dir, input, env, db } = await setup();
    const deep = path.join(dir, 'a', 'b', 'failed');
    const ok = await upload(['upload', input, '--batch-size', '500', '--failed-rows-dir', deep], env);
    expect(ok.doc.exit_code).toBe(1);
    checkInvariant({
      rows: ROWS,
      seed: SEED,
      invalidShare: SHARE,
      dbPath: db,
      failedRowsFiles: failedFilesIn(deep),
      result: ok.doc,
    });

    const file = path.join(dir, 'plain-file');
    writeFileSync(file, 'x');
    const jobCount = async () =>
      ((await (await fetch(`${server?.url}/api/jobs/?limit=1000`)).json()) as { jobs: unknown[] }).jobs.length;
    const jobsBefore = await jobCount();
    const bad = await upload(['upload', input, '--failed-rows-dir', path.join(file, 'failed')], env);
    expect(bad.doc).toMatchObject({
      exit_code: 2,
      status: 'failed',
      error_kind: 'output-folder',
      resume_command: null,
    });
    expect(bad.res.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^bulk: cannot create the failed-rows folder .*plain-file\/failed: .*; choose another with --failed-rows-dir$/,
      ),
    ]);
    expect(await jobCount()).toBe(jobsBefore);
  });

  it('a state folder that cannot be created is refused before any job (exit 2), naming BULK_STATE_DIR', async () => {
    const { dir, input, env } = await setup();
    const file = path.join(dir, 'not-a-folder');
    writeFileSync(file, 'x');
    const bad = await upload(['upload', input], { ...env, BULK_STATE_DIR: path.join(file, 'runs') });
    expect(bad.doc).toMatchObject({ exit_code: 2, error_kind: 'output-folder' });
    expect(bad.res.stderr).toMatch(/^bulk: cannot create the run state folder .*not-a-folder\/runs: .*BULK_STATE_DIR/);
  });
});

/** A run stopped by --max-errors: resumable, with rows left to send. */
async function stoppedRun() {
  const ctx = await setup();
  const { doc } = await upload(
    ['upload', ctx.input, '--batch-size', '250', '--concurrency', '1', '--max-errors', '5'],
    ctx.env,
  );
  expect(doc.exit_code).toBe(3);
  return { ...ctx, runId: doc.run_id as string, runDir: path.join(ctx.env.BULK_STATE_DIR, doc.run_id as string) };
}

describe('one live process per run', () => {
  it('a second resume of a run another live process holds exits 75 (try again later) naming its pid; once that process is gone, its lock is taken over', async () => {
    const { env, runId, runDir, db, dir } = await stoppedRun();
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      writeFileSync(
        path.join(runDir, 'lock'),
        JSON.stringify({
          pid: holder.pid,
          host: (await import('node:os')).hostname(),
          started_at: new Date().toISOString(),
        }),
      );
      const locked = await upload(['resume', runId], env);
      expect(locked.doc).toMatchObject({ exit_code: 75, error_kind: 'locked' });
      expect(locked.res.stderr).toContain(`run ${runId} is in use by process ${holder.pid}`);
    } finally {
      const gone = new Promise((r) => holder.on('exit', r));
      holder.kill('SIGKILL');
      await gone;
    }
    const resumed = await upload(['resume', runId, '--max-errors', '100%'], env);
    expect(resumed.doc.exit_code).toBe(1);
    expect(existsSync(path.join(runDir, 'lock'))).toBe(false);
    checkInvariant({
      rows: ROWS,
      seed: SEED,
      invalidShare: SHARE,
      dbPath: db,
      failedRowsFiles: failedFilesIn(dir),
      result: resumed.doc,
    });
  });

  it('two resumes of one run at once (cron overlap): one runs, the other exits 75 naming it, and the failed-rows file has every row once', async () => {
    const dir = tempDir('bulk-overlap-');
    const input = path.join(dir, 'transactions.csv');
    await generateTransactions({ rows: ROWS, seed: SEED, invalidShare: SHARE, format: 'csv', out: input });
    // Slow chunks keep the first resume live while the second starts.
    server = await startServer({
      port: 0,
      host: '127.0.0.1',
      database: path.join(dir, 'server.db'),
      chunkSize: 50,
      beforeChunk: () => new Promise((r) => setTimeout(r, 20)),
    });
    const env = { BULK_URL: server.url, BULK_STATE_DIR: path.join(dir, 'state') };
    const first = await upload(
      ['upload', input, '--batch-size', '250', '--concurrency', '1', '--max-errors', '5'],
      env,
    );
    const runId = first.doc.run_id as string;
    const [a, b] = await Promise.all([
      upload(['resume', runId, '--max-errors', '100%'], env),
      upload(['resume', runId, '--max-errors', '100%'], env),
    ]);
    const codes = [a.doc.exit_code, b.doc.exit_code].sort();
    expect(codes).toEqual([1, 75]);
    const loser = a.doc.exit_code === 75 ? a : b;
    expect(loser.doc.error_kind).toBe('locked');
    expect(loser.res.stderr).toMatch(new RegExp(`run ${runId} is in use by process \\d+`));
    const winner = a.doc.exit_code === 1 ? a : b;
    checkInvariant({
      rows: ROWS,
      seed: SEED,
      invalidShare: SHARE,
      dbPath: server.database,
      failedRowsFiles: failedFilesIn(dir),
      result: winner.doc,
    });
  });
});

describe('a checkpoint that does not parse', () => {
  it('truncated or hand-edited: refused with its path and what to do (exit 3), never an internal error', async () => {
    const { env, runId, runDir } = await stoppedRun();
    const file = path.join(runDir, 'checkpoint.json');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.slice(0, Math.floor(text.length / 2)));
    const truncated = await upload(['resume', runId], env);
    expect(truncated.doc).toMatchObject({
      exit_code: 3,
      error_kind: 'checkpoint',
      status: 'stopped',
      resume_command: null,
    });
    expect(truncated.res.stderr).toContain(file);
    expect(truncated.res.stderr).not.toMatch(/internal error|report it|at .*\.js:\d+/);
    expect(truncated.res.stderr.trim().split('\n')).toHaveLength(1);
    writeFileSync(file, JSON.stringify({ ...JSON.parse(text), entries: 'none' }));
    const edited = await upload(['resume', runId], env);
    expect(edited.doc).toMatchObject({ exit_code: 3, error_kind: 'checkpoint' });
    expect(edited.doc.message).toContain('entries is missing');
  });
});
