import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { assertValidResult } from '../helpers/result-schema.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp.js';

/**
 * The Input rows of shared/faults.md, through the spawned CLI into a real server: each ends by
 * checking where every row of the file went (stored, failed with its line, or not read).
 */
const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures');
let server: RunningServer;
let dir: string;

// A server per case: the fixtures share rows, and a row stored by one case is a duplicate in the next.
beforeEach(async () => {
  dir = tempDir('bulk-input-faults-');
  server = await startServer({ port: 0, host: '127.0.0.1', database: path.join(dir, 'server.db') });
});
afterEach(async () => server?.close());

/** A fresh folder per case, so failed-rows files and descriptions never mix. */
function stage(fixture: string): string {
  const caseDir = path.join(dir, `${fixture}-${Math.random().toString(36).slice(2, 7)}`);
  mkdirSync(caseDir);
  copyFileSync(path.join(FIXTURES, fixture), path.join(caseDir, fixture));
  return path.join(caseDir, fixture);
}

async function upload(file: string, extra: string[] = []) {
  const res = await runCli(['upload', file, '--resource', 'transactions', '--json', ...extra], {
    env: { BULK_URL: server.url, BULK_STATE_DIR: path.join(dir, 'state') },
  });
  const doc = JSON.parse(res.stdout);
  assertValidResult(doc);
  expect(res.code).toBe(doc.exit_code);
  return doc;
}

function storedDescriptions(like: string[]): string[] {
  const db = new Database(server.database, { readonly: true });
  try {
    const marks = like.map(() => '?').join(',');
    return (
      db
        .prepare(`SELECT description FROM transactions WHERE description IN (${marks}) ORDER BY description`)
        .all(...like) as { description: string }[]
    ).map((r) => r.description);
  } finally {
    db.close();
  }
}

function failedLines(file: string): number[] {
  const failed = file.replace(/\.csv$/, '.failed.csv');
  if (!existsSync(failed)) return [];
  return readFileSync(failed, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => Number(/,(\d+),[^,]*$/.exec(l)?.[1] ?? /,(\d+),"/.exec(l)?.[1]));
}

describe('input faults, end to end', () => {
  it('an unterminated quote at line 4: rows before it stored, line 4 failed, the rest not read; exit 3', async () => {
    const file = stage('unterminated-quote.csv');
    const doc = await upload(file);
    expect(doc.exit_code).toBe(3);
    expect(storedDescriptions(['first', 'second, with comma'])).toEqual(['first', 'second, with comma']);
    expect(failedLines(file)).toEqual([4]);
    expect(doc.not_read).toEqual([{ file, from_line: 5 }]);
    expect(doc.counts).toMatchObject({ stored: 2, failed: 1 });
  });

  it('ragged rows fail with expected/actual counts; the others are stored; exit 1', async () => {
    const file = stage('ragged.csv');
    const doc = await upload(file);
    expect(doc.exit_code).toBe(1);
    expect(doc.counts).toEqual({ read: 4, stored: 2, failed: 2, unprocessed: 0, unconfirmed: 0 });
    expect(doc.errors.map((e: { line: number; reason: string }) => [e.line, e.reason])).toEqual([
      [3, 'expected 5 columns, found 7'],
      [4, 'expected 5 columns, found 2'],
    ]);
  });

  it('BOM, CRLF, mixed endings and no final newline: the same rows stored, the same lines', async () => {
    for (const f of ['bom.csv', 'crlf.csv', 'mixed-endings.csv', 'no-final-newline.csv']) {
      // Upserts, so each variant stores the same three rows again rather than clashing with the last.
      const doc = await upload(stage(f), ['--upsert', '--unique-fields', 'account_id,transaction_date,description']);
      expect(doc.counts, f).toEqual({ read: 3, stored: 3, failed: 0, unprocessed: 0, unconfirmed: 0 });
      expect(doc.jobs[0]).toMatchObject({ first_line: 2, last_line: 4 });
    }
    expect(storedDescriptions(['first', 'second, with comma', 'third "quoted"'])).toHaveLength(3);
  });

  it('invalid UTF-8 in one row: that row fails with its line', async () => {
    const file = stage('invalid-utf8.csv');
    const doc = await upload(file);
    expect(doc.errors).toEqual([expect.objectContaining({ line: 3, reason: 'invalid UTF-8' })]);
    expect(failedLines(file)).toEqual([3]);
  });

  it('UTF-16 without a byte order mark or --encoding, a duplicate header, a directory: a clear error before any job', async () => {
    const before = (await (await fetch(`${server.url}/api/jobs/?limit=500`)).json()) as { jobs: unknown[] };
    const bare = path.join(dir, 'bare16.csv');
    writeFileSync(bare, readFileSync(path.join(FIXTURES, 'utf16.csv')).subarray(2));
    for (const [target, pattern] of [
      [bare, /--encoding utf-16le/],
      [stage('duplicate-header.csv'), /amount/],
      [dir, /directory|cannot tell the format/],
    ] as const) {
      const doc = await upload(target);
      expect(doc.exit_code, String(target)).toBe(3);
      expect(doc.message).toMatch(pattern);
    }
    const after = (await (await fetch(`${server.url}/api/jobs/?limit=500`)).json()) as { jobs: unknown[] };
    expect(after.jobs.length).toBe(before.jobs.length);
  });

  it('empty file and header only: exit 0, nothing sent', async () => {
    for (const f of ['empty.csv', 'header-only.csv']) {
      const doc = await upload(stage(f));
      expect(doc).toMatchObject({ exit_code: 0, counts: { read: 0, stored: 0, failed: 0, unprocessed: 0 }, jobs: [] });
    }
  });

  it('formula cells are stored verbatim and escaped in the failed-rows file; an earlier failed-rows file is never overwritten', async () => {
    const file = stage('transactions.csv');
    const first = await upload(file);
    expect(first.exit_code).toBe(1);
    expect(storedDescriptions(['=SUM(A1:A9) reconciliation', '+1 adjustment'])).toEqual([
      '+1 adjustment',
      '=SUM(A1:A9) reconciliation',
    ]);
    const again = await upload(file);
    expect(again.failed_rows_file).not.toBe(first.failed_rows_file);
    const files = readdirSync(path.dirname(file))
      .filter((f) => f.includes('.failed'))
      .sort();
    expect(files).toEqual(['transactions.failed-2.csv', 'transactions.failed.csv']);
    // The second run re-sent stored rows: now every row is a duplicate, listed by line.
    expect(again.counts.failed).toBe(300);
  });
});
