import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { checkInvariant } from '../helpers/invariant.js';
import { assertValidResult } from '../helpers/result-schema.js';
import { runCli } from '../helpers/run-cli.js';
import { splicedTransactions } from '../helpers/spliced-input.js';
import { tempDir } from '../helpers/temp.js';

/**
 * Issue 12, "readers that cannot crash": a value nested 100,000 deep and a 50 MB line, in valid
 * JSON and NDJSON, through the spawned CLI into a real server. Each row over a limit fails alone
 * with its line, the limit and the flag; every other row is stored; --json and the exit code
 * agree with the store; a resume reads the same file the same way.
 */
const ROWS = 1500;
const SEED = 21;
const SHARE = 0.02;
const DEEP = `{"account_id":1,"amount":"1.00","transaction_date":"2024-01-01","description":"deep","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
const HUGE = `{"account_id":1,"amount":"1.00","transaction_date":"2024-01-01","description":"${'y'.repeat(50 * 1024 * 1024)}"}`;

let server: RunningServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function setup(format: 'ndjson' | 'json') {
  const dir = tempDir('bulk-limits-');
  const input = path.join(dir, `transactions.${format}`);
  const spliced = await splicedTransactions(input, {
    rows: ROWS,
    seed: SEED,
    invalidShare: SHARE,
    format,
    insert: [
      { before: 600, text: DEEP },
      { before: 1100, text: HUGE },
    ],
  });
  server = await startServer({ port: 0, host: '127.0.0.1', database: path.join(dir, 'server.db') });
  const env = { BULK_URL: server.url, BULK_STATE_DIR: path.join(dir, 'state') };
  const failedFiles = () =>
    readdirSync(dir)
      .filter((f) => f.includes('.failed'))
      .map((f) => path.join(dir, f));
  return { dir, input, env, spliced, failedFiles, db: server.database };
}

async function upload(args: string[], env: Record<string, string>) {
  const res = await runCli([...args, '--json'], { env });
  const doc = JSON.parse(res.stdout);
  assertValidResult(doc);
  expect(res.code, res.stderr).toBe(doc.exit_code);
  return doc;
}

describe('record limits, end to end', () => {
  it.each(['ndjson', 'json'] as const)(
    '%s: a value 100,000 deep and a 50 MB line each fail alone with their line and limit; every other row is stored',
    async (format) => {
      const { input, env, spliced, failedFiles, db } = await setup(format);
      const doc = await upload(['upload', input, '--batch-size', '250'], env);
      expect(doc.exit_code).toBe(1);
      const [deepLine, hugeLine] = spliced.addedLines as [number, number];
      const limitErrors = doc.errors.filter((e: { line: number }) => e.line === deepLine || e.line === hugeLine);
      expect(limitErrors).toEqual([
        {
          file: input,
          line: deepLine,
          reason: 'nested more than 32 levels deep, the limit (raise it with --max-depth)',
        },
        {
          file: input,
          line: hugeLine,
          reason: 'the record is longer than 16 MiB, the limit (raise it with --max-record-size)',
        },
      ]);
      expect(doc.not_read).toEqual([]);
      checkInvariant({
        rows: ROWS,
        seed: SEED,
        invalidShare: SHARE,
        dbPath: db,
        failedRowsFiles: failedFiles(),
        lineOf: spliced.lineOf,
        addedFailedLines: spliced.addedLines,
        result: doc,
      });
    },
    60_000,
  );

  it('the flags move the limits, and the human message names the file, the line, the limit and the flag', async () => {
    const { input, env, spliced, failedFiles, db } = await setup('ndjson');
    const res = await runCli(
      ['upload', input, '--batch-size', '500', '--max-depth', '8', '--max-record-size', '1MiB'],
      { env },
    );
    expect(res.code, res.stderr).toBe(1);
    const [deepLine, hugeLine] = spliced.addedLines as [number, number];
    // Rejected rows are grouped by reason, each reason followed by the file:line of its rows.
    expect(res.stderr).toMatch(
      /1 x nested more than 8 levels deep, the limit \(raise it with --max-depth\)\n.*\S+:\d+/,
    );
    expect(res.stderr).toMatch(
      /1 x the record is longer than 1 MiB, the limit \(raise it with --max-record-size\)\n.*\S+:\d+/,
    );
    expect(res.stderr).toContain(`${input}:${deepLine}`);
    expect(res.stderr).toContain(`${input}:${hugeLine}`);
    checkInvariant({
      rows: ROWS,
      seed: SEED,
      invalidShare: SHARE,
      dbPath: db,
      failedRowsFiles: failedFiles(),
      lineOf: spliced.lineOf,
      addedFailedLines: spliced.addedLines,
    });
  }, 60_000);

  it('a run stopped mid-way resumes past the deep row: the resume reads the file under the same limits', async () => {
    const { input, env, spliced, failedFiles, db } = await setup('json');
    // --max-errors 0 stops the run at its first failed row; the resume finishes it.
    const first = await upload(['upload', input, '--batch-size', '250', '--max-errors', '0'], env);
    expect(first.exit_code).toBe(3);
    expect(first.resume_command).toMatch(/^bulk upload --resume /);
    const doc = await upload(first.resume_command.split(' ').slice(1), env);
    checkInvariant({
      rows: ROWS,
      seed: SEED,
      invalidShare: SHARE,
      dbPath: db,
      failedRowsFiles: failedFiles(),
      lineOf: spliced.lineOf,
      addedFailedLines: spliced.addedLines,
      result: doc,
    });
  }, 60_000);
});
