import { mkdtempSync, readFileSync, existsSync, copyFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { runCli } from '../helpers/run-cli.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures');

let server: RunningServer;
let work: string;
let stateDir: string;

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'bulk-e2e-'));
  stateDir = path.join(work, 'state');
  server = await startServer({ port: 0, host: '127.0.0.1', database: path.join(work, 'server.db') });
});
afterAll(async () => {
  await server?.close();
});

function copyFixture(name: string): string {
  const dest = path.join(work, `${Math.random().toString(36).slice(2, 8)}-${name}`);
  copyFileSync(path.join(FIXTURES, name), dest);
  return dest;
}

const env = () => ({ BULK_URL: server.url, BULK_STATE_DIR: stateDir });

function storedDescriptions(): Set<string> {
  const db = new Database(server.database, { readonly: true });
  try {
    return new Set(
      (db.prepare('SELECT description FROM transactions').all() as { description: string }[]).map((r) => r.description),
    );
  } finally {
    db.close();
  }
}

describe('bulk upload, spawned without a TTY', () => {
  it('uploads the fixture CSV: exit 1, per-job lines with line numbers, failed rows file, no ANSI', async () => {
    const input = copyFixture('transactions.csv');
    const res = await runCli(['upload', input, '--batch-size', '50', '--resource', 'transactions'], { env: env() });
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr.includes('\u001b')).toBe(false);
    expect(res.stderr).toMatch(/batch 3 /);
    // Rejected rows are grouped by field and reason, each group with the file and its first lines.
    expect(res.stderr).toMatch(new RegExp(` \\d+ x \\w+: .+\\n\\S+ {7}\\S*${path.basename(input)}:\\d+`));
    const failedFile = input.replace(/\.csv$/, '.failed.csv');
    expect(existsSync(failedFile)).toBe(true);
    expect(res.stderr.trimEnd().split('\n').at(-1)).toContain(failedFile);
    const failed = readFileSync(failedFile, 'utf8');
    expect(failed.split('\n')[0]).toMatch(/_source_line,_error$/);
  });

  it('--json prints exactly one document whose counts add up', async () => {
    const input = copyFixture('transactions.ndjson');
    const res = await runCli(['upload', input, '--json', '--batch-size', '40', '--resource', 'transactions'], {
      env: env(),
    });
    const doc = JSON.parse(res.stdout) as {
      exit_code: number;
      counts: { read: number; stored: number; failed: number; unprocessed: number };
      jobs: unknown[];
    };
    expect(res.code).toBe(doc.exit_code);
    expect(doc.counts.stored + doc.counts.failed + doc.counts.unprocessed).toBe(doc.counts.read);
    expect(doc.counts.failed).toBeGreaterThan(0);
    expect(doc.jobs.length).toBe(Math.ceil((doc.counts.read - 0) / 40));
  });

  it('exits 4 with a JSON document when the server is not there', async () => {
    const input = copyFixture('transactions.csv');
    const res = await runCli(['upload', input, '--json', '--deadline', '1'], {
      env: { BULK_URL: 'http://127.0.0.1:9', BULK_STATE_DIR: stateDir },
    });
    expect(res.code).toBe(4);
    const doc = JSON.parse(res.stdout) as { exit_code: number; resume_command: string | null };
    expect(doc.exit_code).toBe(4);
    expect(doc.resume_command).toMatch(/^bulk upload --resume /);
  });

  it('exits 2 on a usage error, 3 on a missing file', async () => {
    expect((await runCli(['upload', '--batch-size', 'zero', 'x.csv'], { env: env() })).code).toBe(2);
    expect((await runCli(['upload', '-'], { env: env() })).code).toBe(2);
    const missing = await runCli(['upload', path.join(work, 'nope.csv')], { env: env() });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('nope.csv');
  });

  it('exit 0 when every row is stored, and each row is stored once', async () => {
    const file = path.join(work, 'clean.csv');
    const rows = ['account_id,amount,transaction_date,description,category'];
    for (let i = 0; i < 120; i++)
      rows.push(`${i},${i}.50,2024-01-${String((i % 28) + 1).padStart(2, '0')},clean-${i},food`);
    writeFileSync(file, `${rows.join('\n')}\n`);
    const res = await runCli(['upload', file, '--resource', 'transactions', '--batch-size', '25'], { env: env() });
    expect(res.code, res.stderr).toBe(0);
    const stored = storedDescriptions();
    for (let i = 0; i < 120; i++) expect(stored.has(`clean-${i}`)).toBe(true);
  });

  it('an embedded database that cannot be opened is a usage error (2) naming the path, with --json too', async () => {
    const notADir = path.join(work, 'a-file');
    writeFileSync(notADir, 'x');
    const input = path.join(FIXTURES, 'transactions.csv');
    const res = await runCli(['upload', input, '--db', path.join(notADir, 'jobs.db'), '--json'], {
      env: { BULK_URL: '', BULK_STATE_DIR: path.join(work, 'state-embedded') },
    });
    expect(res.code, res.stderr).toBe(2);
    const doc = JSON.parse(res.stdout);
    expect(doc).toMatchObject({ exit_code: 2, status: 'failed' });
    expect(doc.message).toContain(
      `the embedded server could not start: cannot open the database ${path.join(notADir, 'jobs.db')}`,
    );
  });

  it('--concurrency 16 runs sixteen jobs at once without Node warning of a listener leak', async () => {
    const file = path.join(work, 'wide.csv');
    const rows = ['account_id,amount,transaction_date,description,category'];
    for (let i = 0; i < 320; i++)
      rows.push(`${i},${i}.25,2024-03-${String((i % 28) + 1).padStart(2, '0')},wide-${i},food`);
    writeFileSync(file, `${rows.join('\n')}\n`);
    const res = await runCli(
      ['upload', file, '--resource', 'transactions', '--batch-size', '10', '--concurrency', '16'],
      { env: env() },
    );
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).not.toMatch(/MaxListenersExceeded|Warning:/);
    const stored = storedDescriptions();
    for (let i = 0; i < 320; i++) expect(stored.has(`wide-${i}`)).toBe(true);
  });
});
