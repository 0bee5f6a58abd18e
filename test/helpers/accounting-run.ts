// One `bulk upload --json` run against the fake job server, and the check that its accounting, exit
// code and --json document agree with what the fake actually stored. Shared by the generative suite
// (small in npm test, large in test:faults) and by the named regression tests.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import {
  ERROR_SHAPES,
  LIES,
  startFakeJobServer,
  startOtherOrigin,
  unknowable,
  URL_FIELDS,
  type JobScript,
  type JobTruth,
  type KeysSaid,
} from './fake-job-server.js';
import { runCli } from './run-cli.js';
import { tempDir } from './temp.js';

export interface Scenario {
  rows: number;
  batchSize: number;
  concurrency: number;
  /** Job k (in the order the fake creates them) follows scripts[k % length]. */
  scripts: JobScript[];
  /** The fake takes CSV bodies (ext) too, so the CLI sends the file's own lines. */
  csv?: boolean;
  /** How the fake says it replays keys (default: advertised before any start). */
  keys?: KeysSaid;
}

export interface JsonDoc {
  status: string;
  exit_code: number;
  message: string | null;
  counts: { read: number; stored: number; failed: number; unprocessed: number; unconfirmed: number };
  jobs: Array<{
    id: string;
    first_line: number;
    last_line: number;
    state: string;
    total: number;
    stored: number;
    failed: number;
    unprocessed: number;
    unconfirmed: number;
    server_state: string | null;
    verdict: 'settled' | 'unconfirmed';
    job_errors: string[];
  }>;
  failed_rows_file: string | null;
  errors: Array<{ line: number; reason: string }>;
  not_read: Array<{ file: string; from_line: number }>;
}

export interface AccountingRun {
  scenario: Scenario;
  code: number | null;
  stderr: string;
  doc: JsonDoc | null;
  jobs: JobTruth[];
  stored: Set<string>;
  /** Descriptions listed in the failed-rows file. */
  failedListed: string[];
  otherHits: { method: string; path: string; authorization: string | undefined }[];
  /** The content type of every start request's body. */
  bodyTypes: string[];
  /** The first row's description of every start the fake reset. */
  startResets: string[];
}

export const TOKEN = 'sekrit-token-for-the-one-origin';

const description = (line: number) => `row-at-line-${line}`;

/** `human`: without --json, for what a person reads on stderr (the run then has no document). */
export async function runScenario(
  scenario: Scenario,
  opts: { human?: boolean; args?: string[] } = {},
): Promise<AccountingRun> {
  const other = await startOtherOrigin();
  const fake = await startFakeJobServer(scenario.scripts, other.url, { csvBodies: scenario.csv, keys: scenario.keys });
  try {
    const dir = tempDir('bulk-accounting-');
    const input = path.join(dir, 'transactions.csv');
    const lines = ['account_id,amount,transaction_date,description,category'];
    for (let i = 0; i < scenario.rows; i++) lines.push(`${1000 + i},${i}.50,2024-03-01,${description(i + 2)},test`);
    writeFileSync(input, `${lines.join('\n')}\n`);
    const failedDir = path.join(dir, 'failed');
    mkdirSync(failedDir);
    const res = await runCli(
      [
        'upload',
        input,
        '--url',
        fake.url,
        ...(opts.human ? [] : ['--json']),
        '--batch-size',
        String(scenario.batchSize),
        '--concurrency',
        String(scenario.concurrency),
        '--failed-rows-dir',
        failedDir,
        // Small enough for the fake's oversized answers, far above its honest ones.
        '--max-answer-size',
        '64KiB',
        // A dripping answer must end the run within a few of these.
        ...(scenario.scripts.some((s) => s.statusBody === 'drip') ? ['--timeout', '2'] : []),
        ...(opts.args ?? []),
      ],
      { env: { BULK_STATE_DIR: path.join(dir, 'state'), BULK_TOKEN: TOKEN }, cwd: dir },
    );
    let doc: JsonDoc | null = null;
    try {
      doc = JSON.parse(res.stdout) as JsonDoc;
    } catch {
      doc = null;
    }
    const file = doc?.failed_rows_file ? path.resolve(dir, doc.failed_rows_file) : null;
    const failedListed =
      file && existsSync(file)
        ? (parse(readFileSync(file, 'utf8'), { columns: true }) as Array<Record<string, string>>).map(
            (r) => r.description as string,
          )
        : [];
    return {
      scenario,
      code: res.code,
      stderr: res.stderr,
      doc,
      jobs: fake.jobs,
      stored: fake.storedDescriptions(),
      failedListed,
      otherHits: other.hits,
      bodyTypes: fake.bodyTypes,
      startResets: fake.startResets,
    };
  } finally {
    await fake.close();
    await other.close();
  }
}

/** Record errors the status itself names (objects with an index), per the script's shape. */
function namedInStatus(job: JobTruth): number {
  const k = job.failed.size;
  switch (job.script.errors) {
    case 'objects':
      return Math.min(k, 100);
    case 'first-half':
      return Math.ceil(k / 2);
    default:
      return 0;
  }
}

/**
 * Whether the client must refuse this job's answer: a lie (every lie is in plain sight), or a URL
 * on the other origin that the client needs for this job (so it cannot avoid following it).
 */
export function mustRefuse(job: JobTruth): boolean {
  const s = job.script;
  if (s.lie) return true;
  switch (s.foreign) {
    case 'events_url':
      return true;
    case 'status_url':
      return !s.events;
    case 'aggregates_url':
      return s.final === 'Job Complete';
    case 'errors_url':
      return job.failed.size > namedInStatus(job);
    default:
      return false;
  }
}

/**
 * Whether bulk may leave this job unconfirmed: its status cannot be read, or its id was answered for
 * another batch too (the first batch of a reused id is settled only if it finished before the reuse).
 */
export function mayNotConfirm(job: JobTruth, all: readonly JobTruth[]): boolean {
  return unknowable(job.script) || job.reusedIdOf !== null || all.some((j) => j.reusedIdOf === job.id);
}

/** The invariant: throws naming every way the run's accounting disagrees with the fake's truth. */
export function checkAccounting(run: AccountingRun): void {
  const problems: string[] = [];
  const { doc, scenario } = run;
  if (!doc) throw new Error(`no --json document (exit ${run.code}); stderr:\n${run.stderr.slice(0, 2000)}`);
  const c = doc.counts;
  if (doc.exit_code !== run.code) problems.push(`--json says exit ${doc.exit_code}, the process exited ${run.code}`);
  const bodyType = scenario.csv ? 'text/csv' : 'application/json';
  const otherTypes = run.bodyTypes.filter((t) => t !== bodyType);
  if (otherTypes.length) problems.push(`bodies sent as ${otherTypes.join(', ')}, not only ${bodyType}`);
  if (c.read !== c.stored + c.failed + c.unprocessed + c.unconfirmed)
    problems.push(
      `read ${c.read} ≠ stored ${c.stored} + failed ${c.failed} + unprocessed ${c.unprocessed} + unconfirmed ${c.unconfirmed}`,
    );
  const notRead = doc.not_read.reduce((n, r) => n + Math.max(0, scenario.rows - (r.from_line - 2)), 0);
  if (c.read + notRead !== scenario.rows)
    problems.push(`read ${c.read} + not read ${notRead} ≠ ${scenario.rows} rows in the file`);
  if (run.otherHits.length > 0) problems.push(`the other origin was contacted: ${JSON.stringify(run.otherHits)}`);
  // A reused id names two jobs: the one whose first row is the document job's first line.
  const truthOf = (job: JsonDoc['jobs'][number]) =>
    run.jobs.find((t) => t.id === job.id && t.descriptions[0] === description(job.first_line));
  // Starts whose answer was lost and not sent again (the fake had not said it replays keys): no job
  // id, every row unconfirmed. The job the server may have made of one is bulk's to leave unknown.
  const lostStarts = new Set(doc.jobs.filter((j) => j.id === '').map((j) => description(j.first_line)));
  const lost = (truth: JobTruth) => lostStarts.has(truth.descriptions[0] as string);
  // A job whose id the server answered again for a lost start's batch: its answer was never seen,
  // so the reuse cannot be seen either, and the job is settled by the other batch's status.
  const unseenReuse = (truth: JobTruth) =>
    truth.reusedIdOf !== null && run.jobs.some((t) => t.id === truth.reusedIdOf && t.reusedIdOf === null && lost(t));
  const blind = new Set(run.jobs.filter(unseenReuse).flatMap((t) => t.descriptions));
  let storedSum = 0;
  let failedSum = 0;
  let unconfirmedSum = 0;
  for (const job of doc.jobs) {
    storedSum += job.stored;
    failedSum += job.failed;
    unconfirmedSum += job.unconfirmed;
    if (job.id === '') {
      if (!run.startResets.includes(description(job.first_line)))
        problems.push(`lines from ${job.first_line}: no job id, but the fake reset no start of theirs`);
      if (job.verdict !== 'unconfirmed' || job.stored + job.failed + job.unprocessed !== 0)
        problems.push(`lines from ${job.first_line}: a lost start must leave every row unconfirmed`);
      continue;
    }
    const truth = truthOf(job);
    if (!truth) {
      problems.push(`job ${job.id} in the document is not a job the server made`);
      continue;
    }
    const n = truth.descriptions.length;
    if (job.stored + job.failed + job.unprocessed + job.unconfirmed !== n)
      problems.push(
        `job ${job.id}: ${job.stored} + ${job.failed} + ${job.unprocessed} + ${job.unconfirmed} ≠ its ${n} rows`,
      );
    // Its counts are another batch's job's, which bulk had no way to see: only the sum is checked.
    if (unseenReuse(truth)) continue;
    // Unprocessed only where the server cannot have stored the rows: never more than it left unprocessed.
    if (job.unprocessed > n - truth.processed)
      problems.push(`job ${job.id}: ${job.unprocessed} unprocessed, the server processed ${truth.processed} of ${n}`);
    // Failed only where the server said so.
    if (job.failed > truth.failed.size)
      problems.push(`job ${job.id}: ${job.failed} failed, the server failed only ${truth.failed.size}`);
    if (job.verdict === 'unconfirmed') {
      // Nothing of an unconfirmed job is counted; only an answer bulk could not read or trust makes one.
      if (job.stored !== 0 || job.failed !== 0 || job.unconfirmed !== n)
        problems.push(`job ${job.id} is unconfirmed but counts ${job.stored} stored, ${job.failed} failed`);
      if (!mustRefuse(truth) && !mayNotConfirm(truth, run.jobs))
        problems.push(`job ${job.id} (script ${JSON.stringify(truth.script)}) answered honestly but is unconfirmed`);
    } else if (mustRefuse(truth) || unknowable(truth.script) || truth.reusedIdOf) {
      problems.push(
        `job ${job.id} (${JSON.stringify(truth.script)}) cannot be settled, the document settles it: ${job.stored} stored`,
      );
    } else {
      if (job.stored !== truth.stored.size)
        problems.push(`job ${job.id}: ${job.stored} stored, the server stored ${truth.stored.size}`);
      if (job.failed !== truth.failed.size)
        problems.push(`job ${job.id}: ${job.failed} failed, the server failed ${truth.failed.size}`);
      if (job.unprocessed !== n - truth.processed)
        problems.push(`job ${job.id}: ${job.unprocessed} unprocessed, the server left ${n - truth.processed}`);
    }
  }
  const listed = new Set(doc.jobs.map((j) => `${j.id} ${description(j.first_line)}`));
  for (const truth of run.jobs) {
    // A job missing from the document must be one whose answer the client refused before settling it.
    if (!listed.has(`${truth.id} ${truth.descriptions[0]}`) && !mustRefuse(truth) && !lost(truth))
      problems.push(`job ${truth.id} (script ${JSON.stringify(truth.script)}) is missing from the document`);
  }
  if (storedSum !== c.stored) problems.push(`jobs say ${storedSum} stored, the counts ${c.stored}`);
  if (unconfirmedSum !== c.unconfirmed)
    problems.push(`jobs say ${unconfirmedSum} unconfirmed, the counts ${c.unconfirmed}`);
  if (failedSum !== c.failed) problems.push(`jobs say ${failedSum} failed, the counts ${c.failed}`);
  const failedTruth = new Set(run.jobs.flatMap((j) => [...j.failed].map((i) => j.descriptions[i] as string)));
  for (const d of run.failedListed)
    if (!failedTruth.has(d) && !blind.has(d))
      problems.push(
        `${d} is in the failed-rows file but the server did not fail it${run.stored.has(d) ? ' (it stored it)' : ''}`,
      );
  if (new Set(run.failedListed).size !== run.failedListed.length)
    problems.push('a row is in the failed-rows file twice');
  if (run.failedListed.length > c.failed)
    problems.push(`${run.failedListed.length} rows in the failed-rows file, ${c.failed} counted failed`);
  for (const truth of run.jobs) {
    // Where the server offers every error on its own origin, every failed row is named.
    const s = truth.script;
    const hidden = s.errorsHttp || s.errorsOversized || !s.errorsUrl || s.foreign === 'errors_url';
    if (mustRefuse(truth) || mayNotConfirm(truth, run.jobs) || hidden || lost(truth) || unseenReuse(truth)) continue;
    for (const i of truth.failed)
      if (!run.failedListed.includes(truth.descriptions[i] as string))
        problems.push(
          `${truth.descriptions[i]} failed on the server (errors endpoint offered) but is not in the failed-rows file`,
        );
  }
  const refused =
    lostStarts.size > 0 || run.jobs.some((j) => mustRefuse(j) || unknowable(j.script) || j.reusedIdOf !== null);
  const leftOver = run.jobs.some((j) => j.processed < j.descriptions.length);
  const anyFailed = run.jobs.some((j) => j.failed.size > 0);
  const expected = refused || leftOver ? 3 : anyFailed ? 1 : 0;
  if (run.code !== expected)
    problems.push(
      `exit ${run.code}, expected ${expected} (${refused ? 'a refused answer' : leftOver ? 'rows left unprocessed' : anyFailed ? 'rows failed' : 'every row stored'})`,
    );
  const status = { 0: 'completed', 1: 'completed_with_errors', 3: 'stopped' }[expected];
  if (doc.status !== status) problems.push(`--json status ${doc.status}, expected ${status}`);
  if (problems.length)
    throw new Error(
      `accounting disagrees with the server's truth:\n  ${problems.join('\n  ')}\nscenario: ${JSON.stringify(scenario)}`,
    );
}

/** Null mostly: a fault in one script of six or so. */
function rare<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });
}

export const scriptArb: fc.Arbitrary<JobScript> = fc.record({
  final: fc.constantFrom<JobScript['final']>('Job Complete', 'Job Complete', 'Failed', 'Aborted'),
  processedShare: fc.constantFrom(0, 0.25, 0.5, 0.8),
  failEvery: fc.integer({ min: 0, max: 4 }),
  failOffset: fc.integer({ min: 0, max: 3 }),
  errors: fc.constantFrom(...ERROR_SHAPES),
  errorsUrl: fc.boolean(),
  pageCap: fc.integer({ min: 1, max: 3 }),
  events: fc.boolean(),
  lie: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(...LIES) }),
  foreign: fc.oneof(
    { weight: 3, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constantFrom(...URL_FIELDS) },
  ),
  pollsBeforeFinal: fc.integer({ min: 0, max: 1 }),
  delayMs: fc.constantFrom(0, 0, 5, 20),
  resetStatusOnce: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  resetStart: fc.constantFrom<JobScript['resetStart']>('none', 'none', 'none', 'before', 'after'),
  statusHttp: rare(fc.constantFrom(301, 302, 307, 308, 400, 403, 404, 410, 422)),
  errorsHttp: rare(fc.constantFrom(302, 400, 404, 410)),
  aggregatesHttp: rare(fc.constantFrom(302, 400, 404)),
  statusBody: fc.oneof(
    { weight: 8, arbitrary: fc.constant<'normal'>('normal') },
    { weight: 1, arbitrary: fc.constantFrom<'oversized' | 'drip'>('oversized', 'drip') },
  ),
  errorsOversized: fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  reuseId: fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  eventAfterFinal: fc.boolean(),
});

export const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  rows: fc.integer({ min: 1, max: 24 }),
  batchSize: fc.integer({ min: 1, max: 10 }),
  concurrency: fc.integer({ min: 1, max: 3 }),
  scripts: fc.array(scriptArb, { minLength: 1, maxLength: 3 }),
  csv: fc.boolean(),
  keys: fc.constantFrom<KeysSaid>('advertised', 'echoed', 'silent'),
});
