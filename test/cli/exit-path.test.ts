import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTransactions } from '../../bench/transactions-generator.mjs';
import { begin, end, endingOfError } from '../../src/cli/exit-path.js';
import { BulkError } from '../../src/errors/bulk-error.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { checkInvariant } from '../helpers/invariant.js';
import { assertValidErrorResult, assertValidResult } from '../helpers/result-schema.js';
import { BIN, runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp.js';

const ROWS = 20_000;
const SEED = 9;
const SHARE = 0.01;

let server: RunningServer;
let dir: string;
beforeAll(async () => {
  dir = tempDir('bulk-exit-');
  server = await startServer({ port: 0, host: '127.0.0.1', database: path.join(dir, 'server.db') });
});
afterAll(async () => {
  await server?.close();
});

/** Runs the CLI with one of its output streams read for a single byte and then closed, as `| head -c1` does. */
function runWithClosedStream(
  args: string[],
  env: Record<string, string>,
  closed: 'stdout' | 'stderr',
): Promise<{ code: number | null; other: string; firstByte: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const shut = child[closed];
    const open = closed === 'stdout' ? child.stderr : child.stdout;
    let other = '';
    let firstByte = '';
    open.setEncoding('utf8').on('data', (d: string) => (other += d));
    shut.once('data', (d: Buffer) => {
      firstByte = d.subarray(0, 1).toString();
      shut.destroy();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, other, firstByte }));
  });
}

describe('output streams that fail', () => {
  it.each(['stderr', 'stdout'] as const)(
    '%s closed after its first byte: the upload goes on to the end and exits with its true code',
    async (closed) => {
      const work = tempDir('bulk-epipe-');
      const input = path.join(work, 'transactions.csv');
      await generateTransactions({
        rows: ROWS,
        seed: SEED + (closed === 'stdout' ? 1 : 0),
        invalidShare: SHARE,
        format: 'csv',
        out: input,
      });
      const db = path.join(work, 'own.db');
      // stderr closed: plain progress lines, many writes. stdout closed: the --json document and -v lines.
      const args =
        closed === 'stderr'
          ? ['upload', input, '--batch-size', '250', '-v', '--db', db]
          : ['upload', input, '--batch-size', '250', '--json', '-v', '--db', db];
      const res = await runWithClosedStream(args, { BULK_STATE_DIR: path.join(work, 'state') }, closed);
      expect(res.firstByte).not.toBe('');
      expect(res.code, res.other.slice(-2000)).toBe(1);
      const failed = readdirSync(work)
        .filter((f) => f.includes('.failed'))
        .map((f) => path.join(work, f));
      checkInvariant({
        rows: ROWS,
        seed: SEED + (closed === 'stdout' ? 1 : 0),
        invalidShare: SHARE,
        dbPath: db,
        failedRowsFiles: failed,
      });
    },
  );
});

describe('usage errors end through the exit path too', () => {
  it.each([
    [['upload', '--bogus', '--json'], 'upload'],
    [['resume', '--batch-size', '5', '--json'], 'resume'],
    [['status', '--json'], 'status'],
    [['jobs', '--limit', 'x', '--json'], 'jobs'],
    [['serve', '--port', '99999', '--json'], 'serve'],
    [['nonsense', '--json'], 'nonsense'],
  ])(
    'bulk %j: exit 2, one document on stdout, one `bulk: ` line with the next step on stderr',
    async (args, command) => {
      const res = await runCli(args);
      expect(res.code).toBe(2);
      const doc = JSON.parse(res.stdout);
      if (command === 'upload' || command === 'resume') {
        assertValidResult(doc);
        expect(doc).toMatchObject({ exit_code: 2, status: 'failed', error_kind: 'usage', run_id: null });
      } else {
        assertValidErrorResult(doc);
        expect(doc).toMatchObject({ exit_code: 2, error_kind: 'usage', command });
      }
      const lines = res.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^bulk: .*; see bulk .*--help$/);
      expect(res.stderr).not.toMatch(/^error:/m);
    },
  );

  it('an unknown --resource is a configuration error (exit 2) and prints no --resume command that could never work', async () => {
    const input = path.join(dir, 'nosuch.csv');
    await generateTransactions({ rows: 600, seed: 1, invalidShare: 0, format: 'csv', out: input });
    const env = { BULK_URL: server.url, BULK_STATE_DIR: path.join(dir, 'state') };
    const json = await runCli(['upload', input, '--json'], { env });
    const doc = JSON.parse(json.stdout);
    assertValidResult(doc);
    expect(doc).toMatchObject({ exit_code: 2, status: 'failed', error_kind: 'unknown-resource', resume_command: null });
    expect(json.code).toBe(2);
    const plain = await runCli(['upload', input], { env });
    expect(plain.code).toBe(2);
    expect(plain.stderr).not.toContain('--resume');
    expect(plain.stderr).toMatch(/--resource/);
  });
});

describe('end()', () => {
  function capture() {
    let text = '';
    const stream = new Writable({ write: (chunk, _enc, cb) => ((text += String(chunk)), cb()) });
    return { stream, text: () => text };
  }

  it('a bug is one line without a stack trace, unless BULK_DEBUG=1', () => {
    begin(['node', 'bulk', 'status', 'x']);
    const before = process.env.BULK_DEBUG;
    try {
      delete process.env.BULK_DEBUG;
      const err = capture();
      expect(end(endingOfError(new TypeError('boom')), { stdout: capture().stream, stderr: err.stream })).toBe(70);
      expect(err.text()).toBe('bulk: internal error: boom; set BULK_DEBUG=1 for the stack trace, and report it\n');
      process.env.BULK_DEBUG = '1';
      const debug = capture();
      end(endingOfError(new TypeError('boom')), { stdout: capture().stream, stderr: debug.stream });
      expect(debug.text()).toMatch(/^bulk: internal error: boom; .*\nTypeError: boom\n\s+at /);
    } finally {
      if (before === undefined) delete process.env.BULK_DEBUG;
      else process.env.BULK_DEBUG = before;
    }
  });

  it('on a terminal the line breaks at spaces to its width, never mid-word; off a terminal it is one line', () => {
    begin(['node', 'bulk', 'status', 'x']);
    const message =
      'the server at http://127.0.0.1:9 did not answer; is the server running? then resume with: bulk upload --resume 20261202-075512-a1b2';
    const tty = capture();
    Object.assign(tty.stream, { isTTY: true, columns: 60 });
    end(endingOfError(new BulkError('unreachable', message)), { stdout: capture().stream, stderr: tty.stream });
    const lines = tty.text().trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(60);
    const joined = lines.map((l) => l.trim()).join(' ');
    expect(joined.startsWith(`bulk: ${message}`)).toBe(true);
    const pipe = capture();
    end(endingOfError(new BulkError('unreachable', message)), { stdout: capture().stream, stderr: pipe.stream });
    expect(pipe.text()).toBe(`${joined}\n`);
  });

  it('a domain error takes its code from the table by its kind, and its own next step', () => {
    begin(['node', 'bulk', 'upload', 'a.csv', '--json']);
    const out = capture();
    const err = capture();
    expect(
      end(endingOfError(new BulkError('locked', 'run R is in use by process 42', 'wait for process 42 to end')), {
        stdout: out.stream,
        stderr: err.stream,
      }),
    ).toBe(75);
    expect(err.text()).toBe('bulk: run R is in use by process 42; wait for process 42 to end\n');
    const doc = JSON.parse(out.text());
    assertValidResult(doc);
    expect(doc).toMatchObject({
      exit_code: 75,
      status: 'stopped',
      error_kind: 'locked',
      next_step: 'wait for process 42 to end',
    });
  });
});
