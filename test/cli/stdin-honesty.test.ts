import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateTransactions } from '../../bench/transactions-generator.mjs';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { checkInvariant } from '../helpers/invariant.js';
import { assertValidResult } from '../helpers/result-schema.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp.js';
import { startUpload, untilAcknowledged } from '../helpers/upload-process.js';

/**
 * Issue 12, "stdin honesty": a run reading stdin, stopped by SIGTERM or killed with kill -9 by a
 * real signal, names the lines it read but could not confirm, keeps their rows so `--resume`
 * sends them, and says where stdin stopped being read. Then the rest of stdin is sent as a new
 * upload (blank lines in front keep its line numbers), and the invariant checker finds every row
 * stored once or failed once.
 */
const ROWS = 8000;
const SEED = 31;
const SHARE = 0.01;

let server: RunningServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function setup() {
  const dir = tempDir('bulk-stdin-');
  const input = path.join(dir, 'rows.ndjson');
  await generateTransactions({ rows: ROWS, seed: SEED, invalidShare: SHARE, format: 'ndjson', out: input });
  // Slow jobs: the client is still reading stdin when the signal comes.
  server = await startServer({
    port: 0,
    host: '127.0.0.1',
    database: path.join(dir, 'server.db'),
    chunkSize: 100,
    beforeChunk: () => new Promise((r) => setTimeout(r, 10)),
  });
  const env = { BULK_URL: server.url, BULK_STATE_DIR: path.join(dir, 'state') };
  const failedFiles = () =>
    readdirSync(dir)
      .filter((f) => f.includes('.failed'))
      .map((f) => path.join(dir, f));
  return { dir, input, env, db: server.database, failedFiles };
}

const UPLOAD = [
  'upload',
  '-',
  '--format',
  'ndjson',
  '--resource',
  'transactions',
  '--batch-size',
  '250',
  '--concurrency',
  '2',
];

function parse(stdout: string) {
  const doc = JSON.parse(stdout);
  assertValidResult(doc);
  return doc;
}

/** Sends stdin from line `from` on as a new upload, with blank lines in front so its lines keep their numbers. */
async function sendRest(dir: string, input: string, from: number, env: Record<string, string>) {
  const lines = readFileSync(input, 'utf8').split('\n');
  const rest = path.join(dir, 'rest.ndjson');
  writeFileSync(rest, '\n'.repeat(from - 1) + lines.slice(from - 1).join('\n'));
  const run = startUpload([...UPLOAD, '--json'], { env, cwd: dir, stdinFile: rest });
  const { code } = await run.exited;
  const doc = parse(run.stdout());
  expect(code, run.stderr()).toBe(doc.exit_code);
  return doc;
}

describe('stdin: every row read is stored, failed, or kept for the resume', () => {
  it('SIGTERM: names the lines read but not confirmed and where reading stopped; the resume sends them from the spool', async () => {
    const { dir, input, env, db, failedFiles } = await setup();
    const run = startUpload([...UPLOAD, '--json'], { env, cwd: dir, stdinFile: input });
    await untilAcknowledged(env.BULK_STATE_DIR, 3, run.child);
    run.child.kill('SIGTERM');
    const { code } = await run.exited;
    const first = parse(run.stdout());
    expect(code).toBe(143);
    expect(first.resume_command, run.stderr()).toMatch(/^bulk upload --resume /);
    // Every row read is stored, failed or unprocessed; the unprocessed ones are named by line.
    expect(first.counts.stored + first.counts.failed + first.counts.unprocessed).toBe(first.counts.read);
    expect(first.counts.unprocessed).toBeGreaterThan(0);
    const notRead = first.not_read.find((n: { file: string }) => n.file === 'stdin')?.from_line as number;
    expect(notRead).toBe(first.counts.read + 1);
    expect(first.message).toMatch(
      new RegExp(
        `stdin lines [0-9, -]+ hold rows read but not confirmed, kept in the run's directory; bulk upload --resume \\S+ sends them; stdin from line ${notRead} on was not read`,
      ),
    );

    const resumed = await runCli([...first.resume_command.split(' ').slice(1), '--json'], { env, cwd: dir });
    const second = parse(resumed.stdout);
    // The spool held stdin through line notRead - 1: the resume settles all of it, and says the rest was never read.
    expect(second.exit_code, resumed.stderr).toBe(3);
    expect(second.counts).toMatchObject({ read: notRead - 1, unprocessed: 0 });
    expect(second.not_read).toEqual([{ file: 'stdin', from_line: notRead }]);
    expect(second.message).toMatch(`stdin from line ${notRead} on was never read`);

    const third = await sendRest(dir, input, notRead, env);
    expect(third.counts.read).toBe(ROWS - (notRead - 1));
    const { stored, failed } = checkInvariant({
      rows: ROWS,
      seed: SEED,
      invalidShare: SHARE,
      dbPath: db,
      failedRowsFiles: failedFiles(),
      lineOf: (i) => i + 1,
    });
    expect(second.counts.stored + third.counts.stored).toBe(stored);
    expect(second.counts.failed + third.counts.failed).toBe(failed);
  }, 90_000);

  it('kill -9: the resume re-attaches to what was sent, sends the spooled rest, and names where stdin stopped', async () => {
    const { dir, input, env, db, failedFiles } = await setup();
    const run = startUpload(UPLOAD, { env, cwd: dir, stdinFile: input });
    await untilAcknowledged(env.BULK_STATE_DIR, 3, run.child);
    run.child.kill('SIGKILL');
    expect((await run.exited).signal).toBe('SIGKILL');

    const resumed = await runCli(['upload', '--resume', '--json'], { env, cwd: dir });
    const second = parse(resumed.stdout);
    expect(second.counts.unprocessed, resumed.stderr).toBe(0);
    const notRead = second.not_read.find((n: { file: string }) => n.file === 'stdin')?.from_line as number | undefined;
    let stored = second.counts.stored;
    let failed = second.counts.failed;
    if (notRead !== undefined) {
      expect(second.exit_code).toBe(3);
      expect(second.counts.read).toBe(notRead - 1);
      const third = await sendRest(dir, input, notRead, env);
      stored += third.counts.stored;
      failed += third.counts.failed;
    } else {
      expect(second.counts.read).toBe(ROWS);
    }
    const found = checkInvariant({
      rows: ROWS,
      seed: SEED,
      invalidShare: SHARE,
      dbPath: db,
      failedRowsFiles: failedFiles(),
      lineOf: (i) => i + 1,
    });
    expect({ stored, failed }).toEqual(found);
  }, 90_000);
});
