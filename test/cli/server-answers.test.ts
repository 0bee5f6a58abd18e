// Issue 12's examples of server answers that lost rows from the accounting, each against a real
// `bulk serve` behind a proxy that rewrites its answers, each ending with the nothing-lost invariant.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateTransactions } from '../../bench/transactions-generator.mjs';
import { parseTokens } from '../../src/server/auth/tokens.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { startOtherOrigin, type OtherOrigin } from '../helpers/fake-job-server.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { checkInvariant } from '../helpers/invariant.js';
import { assertValidResult } from '../helpers/result-schema.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp.js';

const ROWS = 600;
const SEED = 12;
const SHARE = 0.04;
const TOKEN = 'the-one-origin-token';

let server: RunningServer | null = null;
let proxy: FaultProxy | null = null;
let other: OtherOrigin | null = null;
afterEach(async () => {
  await proxy?.close();
  await server?.close();
  await other?.close();
  proxy = server = other = null;
});

async function setup() {
  const dir = tempDir('bulk-answers-');
  const input = path.join(dir, 'transactions.csv');
  const { invalid } = await generateTransactions({
    rows: ROWS,
    seed: SEED,
    invalidShare: SHARE,
    format: 'csv',
    out: input,
  });
  server = await startServer({
    port: 0,
    host: '127.0.0.1',
    database: path.join(dir, 'server.db'),
    tokens: parseTokens(TOKEN, 'test'),
  });
  proxy = await startFaultProxy(server.url);
  other = await startOtherOrigin();
  const env = { BULK_URL: proxy.url, BULK_STATE_DIR: path.join(dir, 'state'), BULK_TOKEN: TOKEN };
  const failedFiles = () =>
    readdirSync(dir)
      .filter((f) => f.includes('.failed'))
      .map((f) => path.join(dir, f));
  return { dir, input, env, db: server.database, failedFiles, invalid };
}

async function upload(args: string[], env: Record<string, string>) {
  const res = await runCli(['upload', ...args, '--batch-size', '200', '--concurrency', '2', '--json'], { env });
  const result = JSON.parse(res.stdout);
  assertValidResult(result);
  expect(res.code, res.stderr).toBe(result.exit_code);
  const c = result.counts;
  expect(c.read, 'read = stored + failed + unprocessed + unconfirmed').toBe(
    c.stored + c.failed + c.unprocessed + c.unconfirmed,
  );
  return { res, result };
}

const isStatus = (req: { method?: string; url?: string }) => req.method === 'GET' && /\/status\/$/.test(req.url ?? '');
const isStart = (req: { method?: string; url?: string }) => req.method === 'POST' && /\/bulk\/$/.test(req.url ?? '');
const isFinal = (a: Record<string, unknown>) => ['Job Complete', 'Failed', 'Aborted'].includes(String(a.state));

/** Rewrites the final status of the first job that has record errors, and only that job's. */
function oneJobsFinalStatus(change: (a: Record<string, unknown>) => void) {
  let target: unknown = null;
  return (a: Record<string, unknown>) => {
    if (!isFinal(a) || !(Number(a.error_count) > 0)) return a;
    target ??= a.job_id;
    if (a.job_id === target) change(a);
    return a;
  };
}

describe("a server that speaks only the guide's shapes: failures it does not attribute are failed, never stored", () => {
  it.each([
    ['plain strings', (errors: Array<{ index: number; error: string }>) => errors.map((e) => `row failed: ${e.error}`)],
    ['null', () => null],
  ])('status errors as %s, error_count as the server counted: exit 1, nothing vanishes', async (_shape, rewrite) => {
    const { input, env, db, failedFiles, invalid } = await setup();
    proxy!.guideOnly(true);
    proxy!.arm(
      {
        kind: 'rewrite',
        body: (a) =>
          isFinal(a) && Array.isArray(a.errors)
            ? { ...a, errors: rewrite(a.errors as Array<{ index: number; error: string }>) }
            : a,
      },
      { count: 10_000, match: isStatus },
    );
    const { result } = await upload([input], env);
    // On main: "600 read, 576 stored, 0 failed, 0 unprocessed" and "every row stored (exit 0)".
    expect(result.counts).toEqual({
      read: ROWS,
      stored: ROWS - invalid,
      failed: invalid,
      unprocessed: 0,
      unconfirmed: 0,
    });
    expect(result.status).toBe('completed_with_errors');
    expect(result.exit_code).toBe(1);
    const notes = result.errors.filter((e: { reason: string }) => /the server did not say which rows/.test(e.reason));
    expect(notes.length).toBeGreaterThan(0);
    expect(notes[0].reason).toMatch(/job \S+ \(lines \d+-\d+ of .*transactions\.csv\).*bulk errors \S+/);
    checkInvariant({
      rows: ROWS,
      seed: SEED,
      invalidShare: SHARE,
      dbPath: db,
      failedRowsFiles: failedFiles(),
      unnamedFailures: invalid,
      result,
    });
  });
});

describe('a status that contradicts its batch is a protocol violation: exit 3, its rows unconfirmed, a resume converges', () => {
  it.each([
    [
      'success_count over total_items',
      (a: Record<string, unknown>) => void (a.success_count = Number(a.total_items) + 1),
      /success_count \d+ is more than the 200 rows/,
    ],
    [
      'counts that do not add up',
      (a: Record<string, unknown>) => void (a.error_count = Number(a.error_count) + 5),
      /≠ 200 rows processed/,
    ],
    [
      'an error index outside the batch',
      (a: Record<string, unknown>) => void ((a.errors as Array<{ index: number }>)[0]!.index = 200 + 7),
      /index 207, outside the 200 rows/,
    ],
    [
      'an error index listed twice',
      (a: Record<string, unknown>) => void (a.errors = [...(a.errors as unknown[]), (a.errors as unknown[])[0]]),
      /listed as failed twice/,
    ],
  ])('%s', async (_name, change, reason) => {
    const { input, env, db, failedFiles } = await setup();
    proxy!.guideOnly(true);
    proxy!.arm({ kind: 'rewrite', body: oneJobsFinalStatus(change) }, { count: 10_000, match: isStatus });
    const first = await upload([input], env);
    expect(first.result.exit_code).toBe(3);
    expect(first.result.status).toBe('stopped');
    expect(first.result.message).toMatch(/cannot be reconciled/);
    expect(first.result.message).toMatch(reason);
    expect(first.result.counts.unconfirmed).toBeGreaterThanOrEqual(200);
    expect(first.result.counts.stored).toBeLessThanOrEqual(ROWS - 200);
    expect(first.result.resume_command).toMatch(/--resume/);
    proxy!.guideOnly(false);
    const { result } = await upload(['--resume', first.result.run_id], env);
    checkInvariant({ rows: ROWS, seed: SEED, invalidShare: SHARE, dbPath: db, failedRowsFiles: failedFiles(), result });
  });
});

describe('URLs on another origin are never followed and the token never goes there', () => {
  it.each([
    ['status_url', 'status', ['--no-events']],
    ['aggregates_url', 'aggregates', []],
    ['events_url', 'events', []],
  ])(
    '%s on another port: exit 3, the other server never contacted, a resume converges',
    async (field, action, flags) => {
      const { input, env, db, failedFiles } = await setup();
      let moved = false;
      proxy!.arm(
        {
          kind: 'rewrite',
          body: (a) => {
            if (moved || typeof a.job_id !== 'string') return a;
            moved = true;
            return { ...a, [field]: `${other!.url}/api/jobs/${a.job_id}/${action}/` };
          },
        },
        { count: 1, match: isStart },
      );
      const first = await upload([input, ...flags], env);
      expect(first.result.exit_code).toBe(3);
      expect(first.result.message).toMatch(
        /another origin \(http:\/\/127\.0\.0\.1:\d+\); bulk follows URLs only on http:\/\/127\.0\.0\.1:\d+/,
      );
      expect(other!.hits, 'the other origin was contacted').toEqual([]);
      const { result } = await upload(['--resume', first.result.run_id], env);
      expect(other!.hits).toEqual([]);
      checkInvariant({
        rows: ROWS,
        seed: SEED,
        invalidShare: SHARE,
        dbPath: db,
        failedRowsFiles: failedFiles(),
        result,
      });
    },
  );
});

describe('one job id answered for different batches is a protocol violation, enforced where a start becomes a job', () => {
  it("every start answered with the first job's id: exit 3, those batches unconfirmed, a resume converges", async () => {
    const { input, env, db, failedFiles } = await setup();
    let first: string | null = null;
    let lying = true;
    // Every start answer names the run's first job: its id and its URLs.
    const sameId = (a: Record<string, unknown>) => {
      if (!lying || typeof a.job_id !== 'string') return a;
      first ??= a.job_id;
      return JSON.parse(JSON.stringify(a).replaceAll(a.job_id, first)) as Record<string, unknown>;
    };
    proxy!.arm({ kind: 'rewrite', body: sameId }, { count: 10_000, match: isStart });
    const firstRun = await upload([input, '--concurrency', '1'], env);
    expect(firstRun.result.exit_code).toBe(3);
    expect(firstRun.result.message).toMatch(
      /answered job id \S+ for lines \d+-\d+ of .*transactions\.csv, but that id is already the job of lines 2-201/,
    );
    const settled = firstRun.result.jobs.filter((j: { verdict: string }) => j.verdict === 'settled');
    expect(new Set(settled.map((j: { id: string }) => j.id)).size).toBe(settled.length);
    expect(firstRun.result.counts.unconfirmed).toBeGreaterThanOrEqual(200);
    expect(firstRun.result.counts.stored).toBeLessThanOrEqual(200);
    lying = false;
    const { result } = await upload(['--resume', firstRun.result.run_id], env);
    expect(result.exit_code).toBe(1);
    checkInvariant({ rows: ROWS, seed: SEED, invalidShare: SHARE, dbPath: db, failedRowsFiles: failedFiles(), result });
  });
});

describe('a status URL that redirects after the 202: unconfirmed, asked again on resume, resent only under a key the server honours', () => {
  it('307 for every status: nothing failed; a resume resends under the key bulk serve honours; the run converges, each row once', async () => {
    const { input, env, db, failedFiles } = await setup();
    let redirecting = true;
    proxy!.arm(
      { kind: 'json-status', status: 307, body: { error: 'moved' } },
      {
        count: 100_000,
        match: (req) => redirecting && req.method === 'GET' && /\/(status|events)\/$/.test(req.url ?? ''),
      },
    );
    const first = await upload([input], env);
    // main: every row of the job in the failed-rows file ("status of job …: moved"), exit 1, no resume.
    expect(first.result.exit_code).toBe(3);
    expect(first.result.error_kind).toBe('unconfirmed');
    expect(first.result.counts.failed).toBe(0);
    expect(first.result.counts.unconfirmed).toBeGreaterThanOrEqual(200);
    expect(first.result.failed_rows_file).toBeNull();
    // Asked again and still unknowable: bulk serve echoed the Idempotency-Key, so the batch goes again under it.
    const again = await upload(['--resume', first.result.run_id], env);
    expect(again.res.stderr).toMatch(/sent again: this server honours Idempotency-Key/);
    expect(again.result.counts.failed).toBe(0);
    redirecting = false;
    const { result } = await upload(['--resume', first.result.run_id], env);
    checkInvariant({ rows: ROWS, seed: SEED, invalidShare: SHARE, dbPath: db, failedRowsFiles: failedFiles(), result });
  });
});
