import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateTransactions } from '../../bench/transactions-generator.mjs';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { BIN } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp.js';
import { waitUntil } from '../helpers/wait-until.js';

let server: RunningServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

function start(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stderr: '', code: undefined as number | null | undefined };
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out.stderr += d));
  child.stdout.resume();
  child.on('exit', (code) => (out.code = code));
  return { child, out };
}

async function csv(rows: number): Promise<{ dir: string; input: string }> {
  const dir = tempDir('bulk-waiting-');
  const input = path.join(dir, 'transactions.csv');
  await generateTransactions({ rows, seed: 5, invalidShare: 0, format: 'csv', out: input });
  return { dir, input };
}

describe('waiting is visible, and stopping is quick', () => {
  it('Ctrl-C while the server is unreachable and nothing was accepted exits at once, not after the 10 s grace, with the resume command', async () => {
    const { dir, input } = await csv(300);
    const port = await closedPort();
    const { child, out } = start(['upload', input, '--url', `http://127.0.0.1:${port}`, '-v'], {
      BULK_STATE_DIR: path.join(dir, 'state'),
    });
    await waitUntil(
      () => `a retry line; stderr: ${out.stderr}`,
      () => out.stderr.includes('retry 2 of'),
      { timeoutMs: 20_000 },
    );
    child.kill('SIGINT');
    // The grace period for jobs in flight is 10 s; nothing is in flight, so well before it.
    await waitUntil(
      () => `the client to exit; stderr: ${out.stderr}`,
      () => out.code !== undefined,
      { timeoutMs: 4000 },
    );
    expect(out.code).toBe(130);
    expect(out.stderr).toMatch(/resume with: bulk upload --resume \S+/);
    expect(out.stderr).toMatch(/rows: 300 read, 0 stored, 0 failed, 300 unprocessed/);
  }, 30_000);

  it('a second Ctrl-C exits at once and still prints the one-line resume command', async () => {
    const { dir, input } = await csv(6000);
    server = await startServer({
      port: 0,
      host: '127.0.0.1',
      database: path.join(dir, 'server.db'),
      chunkSize: 100,
      beforeChunk: () => new Promise((r) => setTimeout(r, 50)),
    });
    const { child, out } = start(['upload', input, '--batch-size', '500', '--concurrency', '2', '-v'], {
      BULK_URL: server.url,
      BULK_STATE_DIR: path.join(dir, 'state'),
    });
    await waitUntil(
      () => `a batch submitted; stderr: ${out.stderr}`,
      () => out.stderr.includes('-> job'),
      { timeoutMs: 20_000 },
    );
    child.kill('SIGINT');
    await waitUntil(
      () => `the client to hear SIGINT; stderr: ${out.stderr}`,
      () => out.stderr.includes('SIGINT: stopping'),
    );
    child.kill('SIGINT');
    await waitUntil(
      () => `the client to exit; stderr: ${out.stderr}`,
      () => out.code !== undefined,
    );
    expect(out.code).toBe(130);
    const runId = /run (\S+):/.exec(out.stderr)?.[1];
    // The exit path's one line: what happened, then the next step, which is the resume command.
    expect(out.stderr.trimEnd().split('\n').at(-1)).toBe(
      `bulk: SIGINT again: stopped at once; resume with: bulk upload --resume ${runId}`,
    );
  }, 30_000);
});
