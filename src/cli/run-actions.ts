/**
 * The run commands: `bulk runs`, and `status`, `errors`, `abort`, `watch` given a run id (or a
 * unique prefix of one) instead of a job id. Each asks the server's runs endpoints (ext) and prints
 * the answer; a server without runs is told apart from a run that does not exist.
 */
import { ApiError } from '../client/api-error.js';
import {
  abortRun,
  getRun,
  listRuns,
  looksLikeRunId,
  resolveRunId,
  runErrorsPage,
  runJobsPage,
  RunIdError,
} from '../client/run-api.js';
import { BulkError } from '../errors/bulk-error.js';
import type { RunDetail, RunErrorView, RunView } from '../protocol/run-shapes.js';
import { groupDigits } from '../render/format.js';
import { wrapForTerminal } from '../render/fit-parts.js';
import { runsTable, runsTsv, type RunRow } from '../render/runs-table.js';
import { connect, type ConnectionFlags } from './connect.js';
import type { Ending } from './exit-path.js';
import { sleep } from '../client/sleep.js';
import { loadCheckpoint } from '../upload/state/checkpoint-store.js';

/** Rows of a run's accepted jobs not settled yet, by its checkpoint on this machine; 0 without one. */
function unconfirmedRowsOfRun(runId: string): number {
  // The id comes from the server: only a plain run id names a folder here.
  if (!/^[0-9A-Za-z][\w-]*$/.test(runId)) return 0;
  try {
    const entries = loadCheckpoint(runId)?.entries ?? [];
    return entries.filter((e) => e.state === 'submitted').reduce((n, e) => n + e.rows, 0);
  } catch {
    return 0;
  }
}

type Flags = ConnectionFlags & { json?: boolean };
type Connection = Awaited<ReturnType<typeof connect>>;

const out = (text: string) => process.stdout.write(`${text}\n`);
/** A line for people: on a terminal broken at spaces (its own wrap would cut words and numbers). */
const say = (text: string) => wrapForTerminal(text, process.stdout.isTTY ? process.stdout.columns : 0).forEach(out);
const printJson = (value: unknown) => out(JSON.stringify(value, null, 2));
const answered = (flags: Flags): Ending => ({ kind: 'completed', message: null, documentWritten: Boolean(flags.json) });

/** How long `bulk abort RUN` waits for the run's running jobs to stop at their next chunk. */
const ABORT_WAIT_MS = 120_000;

async function withRun<T>(typed: string, flags: Flags, body: (conn: Connection, runId: string) => Promise<T>) {
  const conn = await connect(flags);
  try {
    let runId: string;
    try {
      runId = await resolveRunId(conn.client, typed);
    } catch (err) {
      if (err instanceof RunIdError)
        throw new BulkError(
          err.kind === 'ambiguous' ? 'usage' : 'not-found',
          err.message,
          'bulk runs lists the runs this token can see',
        );
      throw err;
    }
    return await body(conn, runId);
  } catch (err) {
    if (err instanceof ApiError && err.kind === 'not-found')
      throw new BulkError('not-found', `no run ${typed}`, 'bulk runs lists the runs this token can see');
    throw err;
  } finally {
    await conn.close();
  }
}

/** `tx.csv:1002`, or `tx.csv:195002-200001` when the server could not place the row on one line. */
export function whereOf(e: Pick<RunErrorView, 'file' | 'line' | 'first_line' | 'last_line' | 'job_id' | 'index'>) {
  if (!e.file) return `job ${e.job_id.slice(0, 8)} item ${e.index}`;
  if (e.line !== null) return `${e.file}:${e.line}`;
  return e.first_line !== null ? `${e.file}:${e.first_line}-${e.last_line}` : e.file;
}

/** `file:line<TAB>field<TAB>error<TAB>value`: the line `bulk errors` prints for a run or a job. */
export function errorLine(e: RunErrorView): string {
  return [whereOf(e), e.field ?? '', e.error, e.value ?? ''].join('\t');
}

export function describeRun(r: RunDetail | RunView): string[] {
  const n = groupDigits;
  const lines = [
    `${r.run_id}  ${r.state}  ${r.files.join(', ') || '(no file named)'}`,
    `  jobs: ${n(r.jobs)} (${n(r.unfinished_jobs)} unfinished, ${n(r.failed_jobs)} failed, ` +
      `${n(r.aborted_jobs)} aborted)`,
    `  rows: ${n(r.total_items)} sent, ${n(r.processed_items)} processed: ` +
      `${n(r.success_count)} stored, ${n(r.error_count)} failed`,
    `  from ${r.first_at} to ${r.last_at}`,
  ];
  const reasons = 'reasons' in r ? r.reasons : [];
  if (reasons.length > 0) lines.push('  failures by reason:');
  for (const g of reasons) {
    const first = g.first ? ` (first ${whereOf(g.first)}${g.first.value ? `, value ${g.first.value}` : ''})` : '';
    lines.push(`    ${n(g.count)} × ${g.field ? `${g.field}: ` : ''}${g.error}${first}`);
  }
  if (r.error_count > 0) lines.push(`  every failed row: bulk errors ${r.run_id}`);
  return lines;
}

export async function showRuns(flags: Flags & { limit: number }): Promise<Ending> {
  const conn = await connect(flags);
  try {
    let list;
    try {
      list = await listRuns(conn.client, { limit: flags.limit });
    } catch (err) {
      if (err instanceof RunIdError) throw new BulkError('rejected', err.message, 'bulk jobs lists its jobs');
      throw err;
    }
    // Rows the server took whose fate is not known yet: the jobs this machine's checkpoint of the run
    // still waits on (0 for a run started elsewhere).
    const rows: RunRow[] = list.runs.map((run) => ({ run, unconfirmed: unconfirmedRowsOfRun(run.run_id) }));
    if (flags.json) printJson({ runs: rows.map((r) => ({ ...r.run, unconfirmed: r.unconfirmed })), next: list.next });
    else if (rows.length === 0) process.stderr.write('no runs\n');
    else if (process.stdout.isTTY) runsTable(rows, process.stdout.columns || undefined).forEach(out);
    else runsTsv(rows).forEach(out);
    return answered(flags);
  } finally {
    await conn.close();
  }
}

export async function showRunStatus(typed: string, flags: Flags): Promise<Ending> {
  return withRun(typed, flags, async ({ client }, runId) => {
    const run = await getRun(client, runId);
    if (flags.json) printJson(run);
    else describeRun(run).forEach(say);
    return answered(flags);
  });
}

export async function showRunErrors(typed: string, flags: Flags & { pageSize: number }): Promise<Ending> {
  return withRun(typed, flags, async ({ client }, runId) => {
    const all: RunErrorView[] = [];
    let total = 0;
    let after: string | undefined;
    // Bounded by the run's errors: each page moves the cursor on, and the last has no next.
    for (;;) {
      const page = await runErrorsPage(client, runId, flags.pageSize, after);
      total = page.total ?? total;
      if (flags.json) all.push(...page.errors);
      else page.errors.forEach((e) => out(errorLine(e)));
      if (!page.next || page.errors.length === 0) break;
      after = page.next;
    }
    if (flags.json) printJson({ run_id: runId, total, errors: all });
    return answered(flags);
  });
}

/** Every job id of the run, in batch order. */
export async function runJobIds(conn: Connection, runId: string): Promise<string[]> {
  const ids: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await runJobsPage(conn.client, runId, after);
    ids.push(...page.jobs.map((j) => j.job_id));
    if (!page.next || page.jobs.length === 0) return ids;
    after = page.next;
  }
}

export async function abortRunAction(typed: string, flags: Flags): Promise<Ending> {
  return withRun(typed, flags, async ({ client }, runId) => {
    const result = await abortRun(client, runId);
    // The server stops a running job at its next chunk: wait for that, so what is printed is final.
    let run = await getRun(client, runId);
    const until = Date.now() + ABORT_WAIT_MS;
    while (run.unfinished_jobs > 0 && Date.now() < until) {
      await sleep(250);
      run = await getRun(client, runId);
    }
    if (flags.json) printJson({ ...run, aborted: result?.aborted ?? [] });
    else {
      process.stderr.write(
        result
          ? `asked ${result.aborted.length} unfinished ${result.aborted.length === 1 ? 'job' : 'jobs'} ` +
              `of run ${runId} to stop\n`
          : `run ${runId} had already finished: nothing to abort\n`,
      );
      describeRun(run).forEach(say);
    }
    return answered(flags);
  });
}

/** `bulk watch` arguments with each run id replaced by its jobs (job ids pass through as typed). */
export async function expandRuns(typed: string[], flags: Flags): Promise<string[]> {
  if (!typed.some(looksLikeRunId)) return typed;
  const ids: string[] = [];
  for (const t of typed) {
    if (!looksLikeRunId(t)) ids.push(t);
    else ids.push(...(await withRun(t, flags, (conn, runId) => runJobIds(conn, runId))));
  }
  return ids;
}
