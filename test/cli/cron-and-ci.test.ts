import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateTransactions } from '../../bench/transactions-generator.mjs';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { assertValidResult } from '../helpers/result-schema.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp.js';

let server: RunningServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function setup(rows: number, chunkDelayMs?: number) {
  const dir = tempDir('bulk-cron-');
  const input = path.join(dir, 'transactions.csv');
  await generateTransactions({ rows, seed: 5, invalidShare: 0.01, format: 'csv', out: input });
  server = await startServer({
    port: 0,
    host: '127.0.0.1',
    database: path.join(dir, 'server.db'),
    chunkSize: 100,
    beforeChunk: chunkDelayMs ? () => new Promise((r) => setTimeout(r, chunkDelayMs)) : undefined,
  });
  const env = { BULK_URL: server.url, BULK_STATE_DIR: path.join(dir, 'state') };
  return { dir, input, env };
}

describe('cron: a resume with nothing left to do', () => {
  it('of the newest run, or of one named, exits 0 and says nothing to resume: run X finished at …', async () => {
    const { input, env } = await setup(1500);
    const first = await runCli(['upload', input, '--batch-size', '500', '--json'], { env });
    const doc = JSON.parse(first.stdout);
    expect(doc.exit_code).toBe(1);
    const runId = doc.run_id as string;

    const newest = await runCli(['upload', '--resume'], { env });
    expect(newest.code, newest.stderr).toBe(0);
    expect(newest.stderr).toMatch(
      new RegExp(`^bulk: nothing to resume: run ${runId} finished at \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\n$`),
    );

    const named = await runCli(['resume', runId, '--json'], { env });
    expect(named.code, named.stderr).toBe(0);
    const again = JSON.parse(named.stdout);
    assertValidResult(again);
    expect(again).toMatchObject({ status: 'nothing_to_resume', exit_code: 0, run_id: runId, resume_command: null });
    expect(again.message).toContain(`nothing to resume: run ${runId} finished at`);
    // The run's own totals, as its checkpoint keeps them.
    expect(again.counts).toEqual(doc.counts);
  });
});

describe('CI: --json off a terminal', () => {
  it('writes plain progress lines to stderr every --progress-interval; -q silences them', async () => {
    const { input, env } = await setup(3000, 15);
    const args = ['upload', input, '--batch-size', '500', '--concurrency', '2', '--json', '--progress-interval', '0.2'];
    const loud = await runCli(args, { env });
    assertValidResult(JSON.parse(loud.stdout));
    const progress = loud.stderr.split('\n').filter((l) => / progress: \d+/.test(l));
    expect(progress.length, loud.stderr).toBeGreaterThanOrEqual(2);
    expect(loud.stderr).not.toContain('Done');

    const quiet = await runCli([...args, '-q'], { env });
    assertValidResult(JSON.parse(quiet.stdout));
    expect(quiet.stderr).not.toContain('progress:');
  });
});
