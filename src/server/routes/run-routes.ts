// (ext) The routes of runs (the jobs one upload started, by their Bulk-Run header): the list, one
// run with its failures by reason, its jobs, its record errors located in the input, and abort.
// Each sees only the caller's token's runs, as the job routes do; paging is by key, not offset.
import type { ServerResponse } from 'node:http';
import { apiPaths, isRunId, JOB_STATES } from '../../protocol/index.js';
import type {
  LocatedErrorsPage,
  RunAbortResult,
  RunDetail,
  RunErrorView,
  RunList,
  RunState,
  RunView,
} from '../../protocol/run-shapes.js';
import { HttpError, sendJson } from '../http/http-io.js';
import { statusResponse } from '../job-view.js';
import type { ServerContext } from '../server-context.js';
import type { RunReader } from '../store/store.js';
import { lineOf, type ErrorCursor, type RunErrorRecord, type RunRecord } from '../store/run-queries.js';
import { intParam, stopJob, visibleJob } from './job-routes.js';

const REASONS_SHOWN = 20;

function queries(ctx: ServerContext): RunReader {
  // Every bundled store has them; a store without them has no runs to show.
  if (!ctx.store.runs) throw new HttpError(404, 'Runs are not kept by this server');
  return ctx.store.runs;
}

function stateOf(r: RunRecord): RunState {
  if (r.unfinishedJobs > 0) return 'running';
  if (r.abortedJobs > 0) return 'aborted';
  if (r.failedJobs > 0) return 'failed';
  return 'completed';
}

export function runView(r: RunRecord): RunView {
  return {
    run_id: r.runId,
    state: stateOf(r),
    files: r.files,
    resources: r.resources,
    jobs: r.jobs,
    total_items: r.totalItems,
    processed_items: r.processedItems,
    success_count: r.successCount,
    error_count: r.errorCount,
    created: r.created,
    updated: r.updated,
    deleted: r.deleted,
    unfinished_jobs: r.unfinishedJobs,
    failed_jobs: r.failedJobs,
    aborted_jobs: r.abortedJobs,
    first_at: r.firstAt,
    last_at: r.lastAt,
    run_url: apiPaths.run(r.runId),
    jobs_url: apiPaths.runJobs(r.runId),
    errors_url: apiPaths.runErrors(r.runId),
    abort_url: apiPaths.runAbort(r.runId),
  };
}

export function errorView(e: RunErrorRecord): RunErrorView {
  return {
    job_id: e.jobId,
    index: e.index,
    file: e.source?.file ?? null,
    line: lineOf(e.source, e.totalItems, e.index),
    first_line: e.source?.first_line ?? null,
    last_line: e.source?.last_line ?? null,
    field: e.field,
    error: e.error,
    value: e.value,
  };
}

async function visibleRun(ctx: ServerContext, runId: string, owner: string): Promise<RunRecord> {
  const run = isRunId(runId) ? await queries(ctx).getRun(owner, runId) : null;
  if (!run) throw new HttpError(404, 'Run not found');
  return run;
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function decode<T>(query: URLSearchParams, name: string, valid: (v: unknown) => v is T): T | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (valid(value)) return value;
  } catch {
    // Falls through to the one answer for a cursor this server did not make.
  }
  throw new HttpError(400, `${name} is not a cursor this server gave (use the "next" of the page before)`);
}

const isRunCursor = (v: unknown): v is [string, string] =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string';
const isPair = (v: unknown): v is [number, number] =>
  Array.isArray(v) && v.length === 2 && v.every((n) => Number.isSafeInteger(n));
const isSeq = (v: unknown): v is number => Number.isSafeInteger(v);

/** GET /api/runs/?limit=&before=&id_prefix= */
export async function listRuns(ctx: ServerContext, res: ServerResponse, query: URLSearchParams, owner: string) {
  const limit = intParam(query, 'limit', 50, 500, 1);
  const before = decode(query, 'before', isRunCursor);
  const idPrefix = query.get('id_prefix') ?? undefined;
  if (idPrefix !== undefined && !isRunId(idPrefix)) throw new HttpError(400, 'id_prefix must be the start of a run id');
  const runs = await queries(ctx).listRuns(
    owner,
    limit + 1,
    before && { firstAt: before[0], runId: before[1] },
    idPrefix,
  );
  const page = runs.slice(0, limit);
  const last = page.at(-1);
  const body: RunList = {
    runs: page.map(runView),
    next: runs.length > limit && last ? encode([last.firstAt, last.runId]) : null,
  };
  sendJson(res, 200, body);
}

/** GET /api/runs/{id}/ */
export async function getRun(ctx: ServerContext, res: ServerResponse, runId: string, owner: string) {
  const run = await visibleRun(ctx, runId, owner);
  const reasons = await queries(ctx).reasons(owner, run.runId, REASONS_SHOWN);
  const body: RunDetail = {
    ...runView(run),
    reasons: reasons.map((r) => ({
      field: r.field,
      error: r.error,
      count: r.count,
      first: r.first && errorView(r.first),
    })),
  };
  sendJson(res, 200, body);
}

/** GET /api/runs/{id}/jobs/?limit=&after= */
export async function listRunJobs(
  ctx: ServerContext,
  res: ServerResponse,
  runId: string,
  query: URLSearchParams,
  owner: string,
) {
  const run = await visibleRun(ctx, runId, owner);
  const limit = intParam(query, 'limit', 100, 500, 1);
  const after = decode(query, 'after', isSeq);
  const jobs = await queries(ctx).runJobs(owner, run.runId, { limit: limit + 1, afterSeq: after });
  const page = jobs.slice(0, limit);
  const last = page.at(-1);
  sendJson(res, 200, {
    run_id: run.runId,
    jobs: page.map((j) => statusResponse(j, { firstErrors: [], rowsPerSecond: ctx.worker.rowsPerSecond })),
    next: jobs.length > limit && last ? encode(last.seq) : null,
  });
}

async function errorsPage(
  ctx: ServerContext,
  owner: string,
  of: { runId: string } | { jobId: string },
  query: URLSearchParams,
): Promise<LocatedErrorsPage> {
  const limit = intParam(query, 'limit', 1000, 10_000, 1);
  const cursor = decode(query, 'after', isPair);
  const after: ErrorCursor | undefined = cursor && { seq: cursor[0], index: cursor[1] };
  const rows = await queries(ctx).errors(owner, of, { limit: limit + 1, after });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { errors: page.map(errorView), next: rows.length > limit && last ? encode([last.seq, last.index]) : null };
}

/** GET /api/runs/{id}/errors/?limit=&after= */
export async function listRunErrors(
  ctx: ServerContext,
  res: ServerResponse,
  runId: string,
  query: URLSearchParams,
  owner: string,
) {
  const run = await visibleRun(ctx, runId, owner);
  sendJson(res, 200, { run_id: run.runId, total: run.errorCount, ...(await errorsPage(ctx, owner, run, query)) });
}

/** GET /api/jobs/{id}/errors/?after=: the keyset form of a job's errors, located in its input (ext). */
export async function listJobErrorsAfter(
  ctx: ServerContext,
  res: ServerResponse,
  jobId: string,
  query: URLSearchParams,
  owner: string,
) {
  const job = await visibleJob(ctx, jobId, owner);
  const page = await errorsPage(ctx, owner, { jobId: job.id }, query);
  sendJson(res, 200, { job_id: job.id, total: job.errorCount, ...page });
}

/** POST /api/runs/{id}/abort/: every unfinished job of the run, in one call; 409 when none is left. */
export async function abortRun(ctx: ServerContext, res: ServerResponse, runId: string, owner: string) {
  const run = await visibleRun(ctx, runId, owner);
  if (run.unfinishedJobs === 0)
    throw new HttpError(409, `Run already finished: ${stateOf(run)}`, { state: stateOf(run) });
  const aborted: string[] = [];
  let afterSeq: number | undefined;
  // Bounded: each page moves past the jobs it stopped, and a run has finitely many jobs.
  for (;;) {
    const jobs = await queries(ctx).runJobs(owner, run.runId, { limit: 200, afterSeq, unfinishedOnly: true });
    for (const job of jobs) {
      await stopJob(ctx, job);
      aborted.push(job.id);
    }
    if (jobs.length < 200) break;
    afterSeq = jobs.at(-1)?.seq;
  }
  const after = (await queries(ctx).getRun(owner, run.runId)) ?? run;
  const body: RunAbortResult = { run: runView(after), aborted };
  sendJson(res, 202, body);
}

/** GET /api/jobs/?limit=&state=&before=: the jobs list with a keyset `next` (ext), newest first. */
export async function listJobsPage(ctx: ServerContext, res: ServerResponse, query: URLSearchParams, owner: string) {
  const state = query.get('state') ?? undefined;
  if (state && !(JOB_STATES as readonly string[]).includes(state))
    throw new HttpError(400, `state must be one of ${JOB_STATES.join(', ')}`);
  const limit = intParam(query, 'limit', 50, 500, 1);
  const before = decode(query, 'before', isSeq);
  const jobs = await queries(ctx).jobsBefore(owner, { limit: limit + 1, beforeSeq: before, state });
  const page = jobs.slice(0, limit);
  const last = page.at(-1);
  sendJson(res, 200, {
    jobs: page.map((j) => statusResponse(j, { firstErrors: [], rowsPerSecond: ctx.worker.rowsPerSecond })),
    next: jobs.length > limit && last ? encode(last.seq) : null,
  });
}
