// The routes of one job (status, aggregates, errors, abort, its event stream) and the jobs list,
// each seeing only the jobs of the caller's token.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isFinal, JOB_STATES } from '../../protocol/index.js';
import { openEventStream } from '../http/event-stream.js';
import { HttpError, sendJson, sendJsonText } from '../http/http-io.js';
import { nowIso } from '../clock.js';
import { statusResponse } from '../job-view.js';
import { TROUBLE_TEXT } from '../observe/store-health.js';
import type { ServerContext } from '../server-context.js';
import { isStoreTransient } from '../store/store-errors.js';
import { AggregateAccumulator } from '../resources/aggregates.js';
import { ABORTED, type JobRecord } from '../store/store.js';

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The job, if it exists and this caller may see it; any other caller gets the same 404 as a missing job. */
export async function visibleJob(ctx: ServerContext, id: string, owner: string): Promise<JobRecord> {
  if (!UUID_RE.test(id)) throw new HttpError(404, 'Job not found');
  const job = await ctx.store.getJob(id);
  if (!job || job.owner !== owner) throw new HttpError(404, 'Job not found');
  return job;
}

export async function statusOf(ctx: ServerContext, job: JobRecord) {
  const firstErrors = isFinal(job.state) ? (await ctx.store.recordErrors(job.id, 0, 100)).errors : [];
  const status = statusResponse(job, { firstErrors, rowsPerSecond: ctx.worker.rowsPerSecond });
  // A job that cannot move because the store cannot write says why, so a client can tell it from a slow one.
  const outage = isFinal(job.state) ? null : ctx.storeHealth.current();
  if (outage) {
    status.store_trouble = outage.trouble;
    status.message =
      `Waiting: ${TROUBLE_TEXT[outage.trouble]}; ` +
      'the job continues from its last committed chunk once it can write';
  }
  return status;
}

export async function getStatus(ctx: ServerContext, res: ServerResponse, job: JobRecord): Promise<void> {
  sendJson(res, 200, await statusOf(ctx, job));
}

export function getAggregates(res: ServerResponse, job: JobRecord): void {
  if (job.aggregates === null) {
    const why =
      job.state === 'Failed' || job.state === 'Aborted'
        ? `Job ${job.state.toLowerCase()}: no aggregates`
        : 'Job not ready for aggregates';
    throw new HttpError(400, why, { state: job.state });
  }
  sendJsonText(res, 200, `{"job_id":${JSON.stringify(job.id)},"aggregate_results":${job.aggregates}}`);
}

export function intParam(query: URLSearchParams, name: string, fallback: number, max: number, min = 0): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  if (!/^\d{1,15}$/.test(raw) || Number(raw) < min)
    throw new HttpError(400, `${name} must be a whole number${min ? ` of at least ${min}` : ''}`);
  return Math.min(Number(raw), max);
}

export async function getErrors(
  ctx: ServerContext,
  res: ServerResponse,
  job: JobRecord,
  query: URLSearchParams,
): Promise<void> {
  const offset = intParam(query, 'offset', 0, Number.MAX_SAFE_INTEGER);
  const limit = intParam(query, 'limit', 1000, 10_000, 1);
  const page = await ctx.store.recordErrors(job.id, offset, limit);
  sendJson(res, 200, { job_id: job.id, total: page.total, offset, limit, errors: page.errors });
}

export async function abortJob(ctx: ServerContext, res: ServerResponse, job: JobRecord): Promise<void> {
  if (isFinal(job.state)) throw new HttpError(409, `Job already finished: ${job.state}`, { state: job.state });
  await stopJob(ctx, job);
  const after = (await ctx.store.getJob(job.id)) ?? job;
  sendJson(res, 202, await statusOf(ctx, after));
}

/** Asks an unfinished job to stop: at once when nothing of it has run, else at its worker's next chunk. */
export async function stopJob(ctx: ServerContext, job: JobRecord): Promise<void> {
  await ctx.store.requestAbort(job.id, nowIso());
  const resource = ctx.resources.get(job.resource);
  if (job.state === 'Open' && job.processedItems === 0 && resource) {
    // Nothing has run yet: end it now rather than when the worker reaches it. The store ends it
    // only if still no chunk has committed (and, on PostgreSQL, no node has claimed it); if a
    // worker got there first, it stops at its next boundary instead.
    const ended = await ctx.store.finishJob(job.id, {
      state: 'Aborted',
      now: nowIso(),
      aggregates: new AggregateAccumulator(resource).resultsJson(),
      jobErrors: [ABORTED],
      unstartedOnly: true,
    });
    if (ended) ctx.worker.forget(job.id);
    ctx.events.changed(job.id);
  }
  ctx.worker.notify();
}

export async function listJobs(
  ctx: ServerContext,
  res: ServerResponse,
  query: URLSearchParams,
  owner: string,
): Promise<void> {
  const state = query.get('state') ?? undefined;
  if (state && !(JOB_STATES as readonly string[]).includes(state))
    throw new HttpError(400, `state must be one of ${JOB_STATES.join(', ')}`);
  const limit = intParam(query, 'limit', 50, 500, 1);
  const idPrefix = query.get('id_prefix') ?? undefined;
  if (idPrefix !== undefined && !/^[0-9a-f-]{1,36}$/i.test(idPrefix))
    throw new HttpError(400, 'id_prefix must be the start of a job id (hex digits and dashes)');
  const jobs = await ctx.store.listJobs({ owner, state, limit, idPrefix: idPrefix?.toLowerCase() });
  const statuses = [];
  for (const job of jobs)
    statuses.push(statusResponse(job, { firstErrors: [], rowsPerSecond: ctx.worker.rowsPerSecond }));
  sendJson(res, 200, { jobs: statuses });
}

/**
 * Server events: the status JSON now, then at every change, until a final state. A comment line
 * every 15 s keeps proxies and the client's body timeout from closing a quiet stream.
 */
export async function streamEvents(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  first: JobRecord,
): Promise<void> {
  const stream = openEventStream(ctx, req, res);
  let sending = false;
  let again = false;
  let lastText = '';
  const send = async (): Promise<void> => {
    if (stream.closed) return;
    if (sending) {
      again = true;
      return;
    }
    sending = true;
    try {
      do {
        again = false;
        const job = await ctx.store.getJob(first.id);
        if (!job) return stream.close();
        const text = JSON.stringify(await statusOf(ctx, job));
        if (text !== lastText) {
          lastText = text;
          stream.send(text);
        }
        if (isFinal(job.state)) return stream.close();
      } while (again && !stream.closed);
    } catch (err) {
      // The store away is expected (store health says it once; the client polls): no error, no stack.
      if (isStoreTransient(err))
        ctx.log.debug({ err: err.message, job_id: first.id }, 'events stream ended: store trouble');
      else ctx.log.error({ err: err as Error, job_id: first.id }, 'events stream failed');
      stream.close();
    } finally {
      sending = false;
    }
  };
  stream.onClose(ctx.events.subscribe(first.id, () => void send()));
  await send();
}
