import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { isInvalidRow, transactionRow } from '../../bench/transactions-generator.mjs';
import { checkInvariant } from '../helpers/invariant.js';
import { assertValidResult } from '../helpers/result-schema.js';
import { runCli } from '../helpers/run-cli.js';
import { spawnServer, type ServerProcess } from '../helpers/server-process.js';
import { tempDir } from '../helpers/temp.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures');
const COLUMNS = ['account_id', 'amount', 'transaction_date', 'description', 'category'];

let server: ServerProcess | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

async function setup() {
  const dir = tempDir('bulk-dialects-');
  server = await spawnServer({ dbPath: path.join(dir, 'server.db') });
  const env = { BULK_URL: server.url, BULK_STATE_DIR: path.join(dir, 'state') };
  const failedFiles = () =>
    readdirSync(dir)
      .filter((f) => f.includes('.failed'))
      .map((f) => path.join(dir, f));
  return { dir, env, db: server.dbPath, failedFiles };
}

async function upload(args: string[], env: Record<string, string>) {
  const res = await runCli(['upload', ...args, '--resource', 'transactions', '--json'], { env });
  const result = JSON.parse(res.stdout);
  assertValidResult(result);
  expect(res.code, res.stderr).toBe(result.exit_code);
  return { res, result };
}

function storedAccounts(db: string): number[] {
  const conn = new Database(db, { readonly: true });
  try {
    return (
      conn.prepare('SELECT account_id FROM transactions ORDER BY account_id').all() as { account_id: number }[]
    ).map((r) => r.account_id);
  } finally {
    conn.close();
  }
}

// Each fixture holds the same five rows (the fourth with a bad amount, the third spanning two
// lines), written in its dialect; `line` is where the bad row starts in that file.
const CASES: { file: string; flags: string[]; line: number; failedAs?: string }[] = [
  { file: 'semicolon.csv', flags: [], line: 6 },
  { file: 'tab.tsv', flags: [], line: 6, failedAs: 'tab.failed.tsv' },
  { file: 'pipe.csv', flags: [], line: 6 },
  { file: 'no-header.csv', flags: ['--no-header', '--columns', COLUMNS.join(',')], line: 5 },
  { file: 'preamble.csv', flags: ['--skip-lines', '2'], line: 8 },
  { file: 'single-quoted.csv', flags: ['--quote', "'"], line: 6 },
  { file: 'comment-lines.csv', flags: ['--comment', '#'], line: 8 },
  { file: 'gzipped.csv.gz', flags: [], line: 6, failedAs: 'gzipped.failed.csv' },
];

describe('files as people have them, against a real bulk serve', () => {
  it.each(CASES)(
    '$file $flags: four rows stored, the bad one failed at line $line',
    async ({ file, flags, line, failedAs }) => {
      const { dir, env, db, failedFiles } = await setup();
      const input = path.join(dir, file);
      copyFileSync(path.join(FIXTURES, file), input);
      const { result } = await upload([input, ...flags], env);
      expect(result.counts).toMatchObject({ read: 5, stored: 4, failed: 1, unprocessed: 0 });
      expect(storedAccounts(db)).toEqual([1001, 1002, 1003, 1005]);
      expect(result.errors).toEqual([expect.objectContaining({ line, field: 'amount' })]);
      const [failed] = failedFiles();
      if (failedAs) expect(path.basename(failed as string)).toBe(failedAs);
      // The failed-rows file is valid input with the same flags: it reads back as the one bad row
      // (a --no-header file's failed rows carry a header, so they read back without those flags).
      const again = await upload([failed as string, ...(flags[0] === '--no-header' ? [] : flags)], env);
      expect(again.result.counts).toMatchObject({ read: 1, stored: 0, failed: 1 });
      expect(again.result.errors[0]).toMatchObject({ field: 'amount', reason: expect.stringMatching(/decimal/) });
    },
  );

  it('NULL-valued: --null-value sends null, so an optional field is empty and a required one fails at its line', async () => {
    const { dir, env, db, failedFiles } = await setup();
    const input = path.join(dir, 'null-valued.csv');
    copyFileSync(path.join(FIXTURES, 'null-valued.csv'), input);
    const { result } = await upload([input, '--null-value', 'NULL'], env);
    expect(result.counts).toMatchObject({ read: 3, stored: 2, failed: 1 });
    expect(result.errors).toEqual([expect.objectContaining({ line: 3, field: 'amount', reason: 'is required' })]);
    const conn = new Database(db, { readonly: true });
    expect(
      conn.prepare('SELECT account_id, description, category FROM transactions ORDER BY account_id').all(),
    ).toEqual([
      { account_id: 1001, description: 'first', category: null },
      { account_id: 1003, description: null, category: null },
    ]);
    conn.close();
    // Written back as the file wrote it: NULL, not an empty cell.
    expect(readFileSync(failedFiles()[0] as string, 'utf8')).toContain('1002,NULL,2024-01-02');
  });

  it("an unterminated ' quote after a comment line: rows before it stored, its first line failed, the rest not read; exit 3", async () => {
    const { dir, env, db, failedFiles } = await setup();
    const input = path.join(dir, 'open-quote.csv');
    // Line 4 is a comment; the quote opens on line 6 (the record starts there) and never closes.
    writeFileSync(
      input,
      "account_id;amount;transaction_date;description;category\n1001;1.00;2024-01-01;'a;b';food\n1002;2.00;2024-01-02;'multi\nline';food\n# note\n1003;3.00;2024-01-03;'never closed;food\n1004;4.00;2024-01-04;lost;food\n",
    );
    const { result } = await upload([input, '--quote', "'", '--comment', '#'], env);
    expect(result.exit_code).toBe(3);
    expect(storedAccounts(db)).toEqual([1001, 1002]);
    expect(result.not_read).toEqual([{ file: input, from_line: 7 }]);
    expect(result.counts).toMatchObject({ stored: 2, failed: 1 });
    expect(result.errors[0]).toMatchObject({
      line: 6,
      reason: expect.stringMatching(/unterminated quoted field \(starts at line 6\)/),
    });
    expect(readFileSync(failedFiles()[0] as string, 'utf8')).toMatch(/;6;/);
  });

  it('--dry-run checks each row against the description: the bad amount fails at its line, nothing is stored', async () => {
    const { dir, env, db, failedFiles } = await setup();
    const input = path.join(dir, 'semicolon.csv');
    copyFileSync(path.join(FIXTURES, 'semicolon.csv'), input);
    const { result } = await upload([input, '--dry-run'], env);
    expect(result.status).toBe('dry_run');
    expect(result.counts).toMatchObject({ read: 5, stored: 0, failed: 1 });
    expect(result.errors).toEqual([
      expect.objectContaining({ line: 6, field: 'amount', reason: 'must be a decimal number' }),
    ]);
    expect(storedAccounts(db)).toEqual([]);
    expect(readFileSync(failedFiles()[0] as string, 'utf8')).toContain(
      '1004;12.3.4;2024-01-04;bad amount;food;6;amount: must be a decimal number',
    );
  });

  it('a row that does not parse is named by its mapped field too', async () => {
    const { dir, env } = await setup();
    const input = path.join(dir, 'memo.csv');
    writeFileSync(
      input,
      Buffer.concat([
        Buffer.from('account_id,amount,transaction_date,memo\n1001,1.00,2024-01-01,ok\n1002,2.00,2024-01-02,caf'),
        Buffer.from([0xe9]),
        Buffer.from('\n'),
      ]),
    );
    const { result } = await upload([input, '--map', 'memo=description'], env);
    expect(result.counts).toMatchObject({ read: 2, stored: 1, failed: 1 });
    expect(result.errors).toEqual([
      expect.objectContaining({ line: 3, field: 'description', reason: 'invalid UTF-8' }),
    ]);
  });

  it('a header that does not fit is refused before any job: exit 2, one message with the likely cause', async () => {
    const { dir, env } = await setup();
    const semicolon = path.join(dir, 'semicolon.csv');
    copyFileSync(path.join(FIXTURES, 'semicolon.csv'), semicolon);
    const forced = await upload([semicolon, '--delimiter', ','], env);
    expect(forced.result.exit_code).toBe(2);
    expect(forced.result.message).toContain("the header has one column containing ';' — try --delimiter ';'");
    const misnamed = path.join(dir, 'misnamed.csv');
    copyFileSync(path.join(FIXTURES, 'misnamed.csv'), misnamed);
    const named = await upload([misnamed], env);
    expect(named.result.exit_code).toBe(2);
    expect(named.result.message).toMatch(
      /"acct", "amt" are not fields of transactions; required fields account_id, amount are missing — did you mean account_id for acct, amount for amt\?/,
    );
    const jobs = await runCli(['jobs', '--json'], { env });
    expect(JSON.parse(jobs.stdout).jobs ?? JSON.parse(jobs.stdout)).toHaveLength(0);
    // stdin is checked as it is read, still before any job, and leaves no run to resume.
    const piped = await runCli(['upload', '-', '--format', 'csv', '--resource', 'transactions'], {
      env,
      input: 'acct;amount;transaction_date\n1;2.00;2024-01-01\n',
    });
    expect(piped.code).toBe(2);
    expect(piped.stderr).toMatch(
      /stdin: the header does not fit resource transactions: column "acct" is not a field.*did you mean account_id for acct\?/,
    );
    expect((await runCli(['upload', '--resume'], { env })).stderr).toMatch(/there is no run to resume/);
    // With the mapping the same file goes in, and its failed rows keep the file's own names.
    const mapped = await upload([misnamed, '--map', 'acct=account_id,amt=amount'], env);
    expect(mapped.result.counts).toMatchObject({ read: 1, stored: 1, failed: 0 });
  });
});

/** A generated file in a dialect: rows of the bench generator, so the invariant checker applies. */
function dialectFile(
  rows: number,
  seed: number,
  share: number,
  o: { delimiter: string; header: string[]; preamble: string[]; commentEvery?: number },
) {
  const lines = [...o.preamble, o.header.join(o.delimiter)];
  const lineOf: number[] = [];
  for (let i = 0; i < rows; i++) {
    if (o.commentEvery && i > 0 && i % o.commentEvery === 0) lines.push(`# rows from ${i}`);
    const row = transactionRow(i, seed, share) as unknown as Record<string, string>;
    lines.push(COLUMNS.map((c) => row[c] as string).join(o.delimiter));
    lineOf.push(lines.length);
  }
  return { text: `${lines.join('\n')}\n`, lineOf: (i: number) => lineOf[i] as number };
}

describe('generated files in other dialects: nothing lost, nothing doubled', () => {
  const ROWS = 3000;
  const SEED = 11;
  const SHARE = 0.01;

  it('semicolons, gzip-compressed and renamed columns; stopped by --max-errors, then resumed', async () => {
    const { dir, env, db, failedFiles } = await setup();
    const { text, lineOf } = dialectFile(ROWS, SEED, SHARE, {
      delimiter: ';',
      header: ['acct', 'amt', 'transaction_date', 'description', 'category'],
      preamble: [],
    });
    const input = path.join(dir, 'export.csv.gz');
    writeFileSync(input, gzipSync(text));
    const map = ['--map', 'acct=account_id,amt=amount'];
    const first = await upload([input, ...map, '--batch-size', '250', '--max-errors', '5'], env);
    expect(first.result.exit_code).toBe(3);
    const runId = first.result.run_id as string;
    const resumed = await runCli(['upload', '--resume', runId, '--json'], { env });
    const result = JSON.parse(resumed.stdout);
    assertValidResult(result);
    const invalid = Array.from({ length: ROWS }, (_, i) => i).filter((i) => isInvalidRow(i, SEED, SHARE));
    expect(result.counts).toMatchObject({ read: ROWS, failed: invalid.length, unprocessed: 0 });
    checkInvariant({
      rows: ROWS,
      seed: SEED,
      invalidShare: SHARE,
      dbPath: db,
      failedRowsFiles: failedFiles(),
      lineOf,
      result,
      failedRowsCsv: { delimiter: ';' },
    });
    const failedHeader = readFileSync(failedFiles()[0] as string, 'utf8').split('\n', 1)[0];
    expect(failedHeader).toBe('acct;amt;transaction_date;description;category;_source_line;_error');
  });

  it('tabs after a two-line preamble, with comment lines between rows', async () => {
    const { dir, env, db, failedFiles } = await setup();
    const { text, lineOf } = dialectFile(ROWS, SEED, SHARE, {
      delimiter: '\t',
      header: COLUMNS,
      preamble: ['Bank export', 'generated 2024-03-01'],
      commentEvery: 400,
    });
    const input = path.join(dir, 'export.tsv');
    writeFileSync(input, text);
    const { result } = await upload([input, '--skip-lines', '2', '--comment', '#', '--batch-size', '500'], env);
    checkInvariant({
      rows: ROWS,
      seed: SEED,
      invalidShare: SHARE,
      dbPath: db,
      failedRowsFiles: failedFiles(),
      lineOf,
      result,
      failedRowsCsv: { delimiter: '\t', from_line: 3, comment: '#' },
    });
    expect(
      parse(readFileSync(failedFiles()[0] as string, 'utf8'), { delimiter: '\t', from_line: 3, columns: true })[0],
    ).toHaveProperty('_error');
  });
});
