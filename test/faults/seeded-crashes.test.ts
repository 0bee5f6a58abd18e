import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateTransactions, prng } from '../../bench/transactions-generator.mjs';
import { checkInvariant } from '../helpers/invariant.js';
import { BIN, runCli } from '../helpers/run-cli.js';
import { spawnServer } from '../helpers/server-process.js';
import { tempDir } from '../helpers/temp.js';
import { waitUntil } from '../helpers/wait-until.js';

/**
 * The long tier (npm run test:faults): seeded schedules of kill -9, of the client and of the
 * server, at random moments, each followed by restart and resume, each ending with the
 * nothing-lost checker. FAULT_SEEDS=n runs n schedules; FAULT_SEED=s replays one.
 */
const seeds = process.env.FAULT_SEED
  ? [Number(process.env.FAULT_SEED)]
  : Array.from({ length: Number(process.env.FAULT_SEEDS ?? 12) }, (_, i) => 1000 + i);
const ROWS = 8000;
const SHARE = 0.02;

function acked(stateDir: string): number {
  try {
    const run = readdirSync(stateDir)[0];
    if (!run) return 0;
    // Complete neighbours fold into one entry that lists its jobs.
    return (
      JSON.parse(readFileSync(path.join(stateDir, run, 'checkpoint.json'), 'utf8')) as {
        entries: { jobs?: unknown[] }[];
      }
    ).entries.reduce((n, e) => n + (e.jobs?.length ?? 1), 0);
  } catch {
    return 0;
  }
}

/** Whether the run had already ended when it was killed: then its seed tested nothing. */
function runFinished(stateDir: string): boolean {
  try {
    const run = readdirSync(stateDir)[0];
    return run
      ? (JSON.parse(readFileSync(path.join(stateDir, run, 'checkpoint.json'), 'utf8')) as { finished: boolean })
          .finished
      : false;
  } catch {
    return false;
  }
}

let killedMidRun = 0;
afterAll(() => {
  // A schedule whose kill came after the end proves nothing; most must land mid-run.
  if (seeds.length >= 4) expect(killedMidRun).toBeGreaterThanOrEqual(Math.ceil(seeds.length * 0.75));
});

describe('seeded crash schedules', () => {
  it.each(seeds)(
    'seed %i: every row once, failed once, after kills of client and server',
    async (seed) => {
      const rand = prng(seed);
      const dir = tempDir(`bulk-fault-${seed}-`);
      const input = path.join(dir, 'transactions.csv');
      await generateTransactions({ rows: ROWS, seed, invalidShare: SHARE, format: 'csv', out: input });
      const db = path.join(dir, 'server.db');
      // Small fixed chunks keep each job busy long enough for the kills to land mid-run.
      let server = await spawnServer(['--db', db, '--quiet', '--chunk-rows', '50']);
      const env = {
        BULK_STATE_DIR: path.join(dir, 'state'),
        BULK_URL: server.url,
        PATH: process.env.PATH ?? '',
        HOME: '/tmp',
      };
      const batch = 200 + Math.floor(rand() * 600);
      const clientKillAt = 1 + Math.floor(rand() * 8);
      const killServerToo = rand() < 0.5;
      try {
        const child = spawn(
          process.execPath,
          [
            BIN,
            'upload',
            input,
            '--batch-size',
            String(batch),
            '--concurrency',
            String(1 + Math.floor(rand() * 4)),
            ...(rand() < 0.5 ? ['--no-events'] : []),
          ],
          { env, stdio: 'ignore' },
        );
        const exited = new Promise((r) => child.on('exit', r));
        await waitUntil(
          () => `${clientKillAt} acknowledged jobs (seen ${acked(env.BULK_STATE_DIR)})`,
          () => acked(env.BULK_STATE_DIR) >= clientKillAt || child.exitCode !== null || child.signalCode !== null,
          { intervalMs: 2 },
        );
        if (killServerToo) {
          await server.kill9();
          server = await spawnServer([
            '--db',
            db,
            '--quiet',
            '--chunk-rows',
            '50',
            '--port',
            new URL(server.url).port,
          ]).catch(() => spawnServer(['--db', db, '--quiet', '--chunk-rows', '50']));
        }
        child.kill('SIGKILL');
        await exited;
        if (!runFinished(env.BULK_STATE_DIR)) killedMidRun++;
        else console.warn(`seed ${seed}: the run had ended before the kill`);
        const resumed = await runCli(['upload', '--resume', '--json', '--url', server.url, '--deadline', '30'], {
          env,
        });
        const result = JSON.parse(resumed.stdout);
        const failedFiles = readdirSync(dir)
          .filter((f) => f.includes('.failed'))
          .map((f) => path.join(dir, f));
        checkInvariant({ rows: ROWS, seed, invalidShare: SHARE, dbPath: db, failedRowsFiles: failedFiles, result });
        expect(resumed.code).toBe(result.exit_code);
      } catch (err) {
        throw new Error(
          `seed ${seed} (batch ${batch}, client killed after ${clientKillAt} acks, server killed: ${killServerToo}) failed; replay with FAULT_SEED=${seed} npm run test:faults\n${(err as Error).message}`,
        );
      } finally {
        await server.stop();
      }
    },
    120_000,
  );
});
