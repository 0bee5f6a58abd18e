// A job whose server node died stalls until another node takes it over: the client says so once,
// instead of showing a bar that simply stops, and the run still ends with every row accounted for.
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { generateTransactions } from '../../bench/transactions-generator.mjs';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { checkInvariant } from '../helpers/invariant.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp.js';

let server: RunningServer | null = null;
let proxy: FaultProxy | null = null;
afterEach(async () => {
  await proxy?.close();
  await server?.close();
  proxy = server = null;
});

it('a status saying the job awaits takeover is shown once per job, and the run ends as usual', async () => {
  const dir = tempDir('bulk-takeover-');
  const input = path.join(dir, 'transactions.csv');
  await generateTransactions({ rows: 300, seed: 7, invalidShare: 0, format: 'csv', out: input });
  server = await startServer({ port: 0, host: '127.0.0.1', database: path.join(dir, 'server.db') });
  proxy = await startFaultProxy(server.url);
  const seen = new Set<unknown>();
  // The first status of each job reads as a job whose node stopped mid-way; later ones are the server's own.
  proxy.arm(
    {
      kind: 'rewrite',
      body: (a) => {
        if (seen.has(a.job_id)) return a;
        seen.add(a.job_id);
        return {
          ...a,
          state: 'In Progress',
          status: 'processing',
          awaiting_takeover: true,
          processed_items: 0,
          success_count: 0,
          error_count: 0,
          errors: null,
          completed_at: null,
        };
      },
    },
    { count: 10_000, match: (req) => req.method === 'GET' && /\/status\/$/.test(req.url ?? '') },
  );
  const res = await runCli(['upload', input, '--batch-size', '100', '--no-events'], {
    env: { BULK_URL: proxy.url, BULK_STATE_DIR: path.join(dir, 'state') },
  });
  expect(res.code, res.stderr).toBe(0);
  const notices = res.stderr.split('\n').filter((l) => l.includes('waiting for another node to take it over'));
  expect(notices).toHaveLength(3);
  expect(notices.map((l) => /transactions\.csv:(\d+-\d+)/.exec(l)?.[1]).sort()).toEqual([
    '102-201',
    '2-101',
    '202-301',
  ]);
  checkInvariant({ rows: 300, seed: 7, invalidShare: 0, dbPath: server.database, failedRowsFiles: [] });
});
