import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { descriptionOf, generateTransactions } from '../../bench/transactions-generator.mjs';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { checkInvariant } from '../helpers/invariant.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp.js';
import { startUpload, untilAcknowledged } from '../helpers/upload-process.js';

let server: RunningServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

const ROWS = 3000;
const SEED = 5;
/** Keys that name no record: appended to the delete file, each must come back as a failed row. */
const ABSENT = [
  '9001,1.00,2031-01-01,Nobody 1,travel',
  '9002,2.00,2031-01-02,Nobody 2,travel',
  '9003,3.00,2031-01-03,Nobody 3,travel',
];

/**
 * A real server holding the whole generated file (checked with the invariant), and a delete file:
 * the header, every third row of the upload, then the absent keys.
 */
async function setup(opts: { chunkDelayMs?: number } = {}) {
  const dir = tempDir('bulk-delete-');
  const input = path.join(dir, 'transactions.csv');
  await generateTransactions({ rows: ROWS, seed: SEED, invalidShare: 0, format: 'csv', out: input });
  const delay = opts.chunkDelayMs;
  server = await startServer({
    port: 0,
    host: '127.0.0.1',
    database: path.join(dir, 'server.db'),
    chunkSize: 100,
    beforeChunk: delay ? () => new Promise((r) => setTimeout(r, delay)) : undefined,
  });
  const upload = await runCli(['upload', input, '--json'], {
    env: { BULK_URL: server.url, BULK_STATE_DIR: path.join(dir, 'upload-state') },
  });
  expect(upload.code, upload.stderr).toBe(0);
  checkInvariant({
    rows: ROWS,
    seed: SEED,
    invalidShare: 0,
    dbPath: server.database,
    failedRowsFiles: [],
    result: JSON.parse(upload.stdout),
  });
  const lines = readFileSync(input, 'utf8').trimEnd().split('\n');
  const deleted = new Set<number>();
  for (let i = 0; i < ROWS; i += 3) deleted.add(i);
  const gone = path.join(dir, 'gone.csv');
  writeFileSync(gone, [lines[0], ...[...deleted].map((i) => lines[i + 1]), ...ABSENT].join('\n') + '\n');
  // Lines of the delete file: the header is line 1, the absent keys come last.
  const absentLines = ABSENT.map((_, k) => deleted.size + 2 + k);
  const env = { BULK_URL: server.url, BULK_STATE_DIR: path.join(dir, 'delete-state') };
  return { dir, gone, deleted, absentLines, env, db: server.database };
}

/** The generated rows still stored, by row number: each must be there exactly once. */
function storedRows(db: string): number[] {
  const conn = new Database(db, { readonly: true });
  const byDescription = new Map<string, number>();
  for (let i = 0; i < ROWS; i++) byDescription.set(descriptionOf(i), i);
  const rows = conn.prepare('SELECT description FROM transactions').all() as { description: string }[];
  conn.close();
  return rows.map((r) => byDescription.get(r.description) ?? -1).sort((a, b) => a - b);
}

/** The store holds exactly the rows not deleted, and the failed-rows file exactly the absent keys, by line. */
function expectConverged(
  setupOut: Awaited<ReturnType<typeof setup>>,
  result: { counts: { read: number; stored: number; failed: number; unprocessed: number } },
) {
  const { dir, deleted, absentLines, db } = setupOut;
  const rest = [...Array(ROWS).keys()].filter((i) => !deleted.has(i));
  expect(storedRows(db)).toEqual(rest);
  const failed = parse(readFileSync(path.join(dir, 'gone.failed.csv'), 'utf8'), { columns: true }) as Record<
    string,
    string
  >[];
  expect(failed.map((r) => Number(r._source_line))).toEqual(absentLines);
  for (const r of failed) expect(r._error).toMatch(/no record with this key/);
  expect(result.counts).toEqual({
    read: deleted.size + ABSENT.length,
    stored: deleted.size,
    failed: ABSENT.length,
    unprocessed: 0,
    unconfirmed: 0,
  });
}

describe('bulk delete against a real server', () => {
  it('deletes by key exactly the rows named; keys with no record are failed rows by line, exit 1', async () => {
    const s = await setup();
    const run = await runCli(
      [
        'delete',
        s.gone,
        '--resource',
        'transactions',
        '--unique-fields',
        'account_id,transaction_date,description',
        '--batch-size',
        '250',
        '--json',
      ],
      { env: s.env },
    );
    expect(run.code, run.stderr).toBe(1);
    const result = JSON.parse(run.stdout);
    expect(result.exit_code).toBe(1);
    expectConverged(s, result);
    // Through the API: deleting the whole file again finds no record for exactly the rows gone.
    const again = await runCli(
      [
        'delete',
        path.join(s.dir, 'transactions.csv'),
        '--unique-fields',
        'account_id,transaction_date,description',
        '--failed-rows-dir',
        path.join(s.dir, 'again'),
        '--json',
      ],
      { env: s.env },
    );
    expect(again.code, again.stderr).toBe(1);
    expect(JSON.parse(again.stdout).counts).toMatchObject({ stored: ROWS - s.deleted.size, failed: s.deleted.size });
    expect(storedRows(s.db)).toEqual([]);
  }, 60_000);

  it('--dry-run checks keys client-side and asks the server which name a record: what the real delete then does, deleting nothing', async () => {
    const s = await setup();
    // A key repeated in its batch: the second finds no record in a real delete (the first deleted it).
    // (The server matches each batch on its own: a key repeated across batches is counted in both.)
    const lastKept = readFileSync(s.gone, 'utf8').split('\n')[s.deleted.size];
    writeFileSync(s.gone, readFileSync(s.gone, 'utf8') + `,1.00,2031-01-04,No account,travel\n${lastKept}\n`);
    const keys = ['--resource', 'transactions', '--unique-fields', 'account_id,transaction_date,description'];
    const dirs = (name: string) => ['--failed-rows-dir', path.join(s.dir, name), '--batch-size', '300'];
    const run = await runCli(['delete', s.gone, ...keys, ...dirs('dry'), '--dry-run', '--json'], { env: s.env });
    const result = JSON.parse(run.stdout);
    expect(run.code, run.stderr).toBe(1);
    const read = s.deleted.size + ABSENT.length + 2;
    expect(result.counts).toEqual({
      read,
      stored: 0,
      failed: ABSENT.length + 2,
      unprocessed: 0,
      unconfirmed: 0,
      would_delete: s.deleted.size,
    });
    expect(storedRows(s.db)).toHaveLength(ROWS);
    const failedLines = (dir: string) =>
      (
        parse(readFileSync(path.join(s.dir, dir, 'gone.failed.csv'), 'utf8'), { columns: true }) as Record<
          string,
          string
        >[]
      )
        .map((r) => `${r._source_line} ${r._error}`)
        .sort();
    // The real delete: the rows the dry run counted are deleted, the rows it listed fail, by line and reason.
    const real = await runCli(['delete', s.gone, ...keys, ...dirs('real'), '--json'], { env: s.env });
    expect(real.code, real.stderr).toBe(1);
    expect(JSON.parse(real.stdout).counts).toEqual({
      read,
      stored: result.counts.would_delete,
      failed: result.counts.failed,
      unprocessed: 0,
      unconfirmed: 0,
    });
    expect(failedLines('real')).toEqual(failedLines('dry'));
    // Now that they are gone, a dry run says so: nothing would be deleted.
    const plain = await runCli(['delete', s.gone, ...keys, ...dirs('plain'), '--dry-run'], { env: s.env });
    expect(plain.stdout + plain.stderr).toMatch(/would delete: 0 records/);
    const usage = await runCli(
      ['delete', s.gone, '--resource', 'transactions', '--unique-fields', 'account_id', '--dry-run'],
      { env: s.env },
    );
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/not a unique key of transactions/);
  }, 60_000);

  it('SIGTERM mid-delete, then resume: converges to the same store and failed rows', async () => {
    const s = await setup({ chunkDelayMs: 50 });
    const args = [
      'delete',
      s.gone,
      '--resource',
      'transactions',
      '--unique-fields',
      'account_id,transaction_date,description',
      '--batch-size',
      '100',
      '--concurrency',
      '2',
      '--no-events',
    ];
    const proc = startUpload(args, { env: s.env });
    await untilAcknowledged(s.env.BULK_STATE_DIR, 2, proc.child);
    proc.child.kill('SIGTERM');
    const stopped = await proc.exited;
    expect(stopped.code, proc.stderr()).not.toBe(0);
    expect(storedRows(s.db).length).toBeGreaterThan(ROWS - s.deleted.size);
    const resumed = await runCli(['upload', '--resume', '--json'], { env: s.env });
    const result = JSON.parse(resumed.stdout);
    expect(resumed.code, resumed.stderr).toBe(1);
    expect(result.resume_command).toBeNull();
    expectConverged(s, result);
  }, 90_000);
});
