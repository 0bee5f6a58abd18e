// The bulk start route (POST insert, PATCH upsert, DELETE by key on /api/{resource}/bulk/): checks
// the request, admits it per token, honours its Idempotency-Key, stores the job and answers 202.
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { IDEMPOTENCY_HEADER, parseRunHeader, RUN_HEADER, type JobType } from '../../protocol/index.js';
import { bodyTypeOf, parseBulkBody } from '../http/bulk-body.js';
import { HttpError, readBody, sendJsonText } from '../http/http-io.js';
import { nowIso } from '../clock.js';
import { releaseAfter } from '../observe/heap-release.js';
import { estimateDuration, startResponse } from '../job-view.js';
import type { ServerContext } from '../server-context.js';
import { IdempotencyConflictError } from '../store/store.js';
import { isStoreTransient } from '../store/store-errors.js';
import { parseSourceHeader, SOURCE_HEADER } from '../../protocol/job-source.js';
import { laneWorkerId } from '../worker/job-worker.js';
import type { ResourceDef } from '../../resources/resource-types.js';

const JOB_TYPE_OF: Record<string, JobType> = { POST: 'insert', PATCH: 'upsert', DELETE: 'delete' };

function fieldList(value: string | null): string[] | null {
  if (value === null) return null;
  const fields = value
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  return fields.length ? fields : null;
}

/** `unique_fields` of an upsert or delete: required, and one of the resource's unique keys. */
export function requiredKey(resource: ResourceDef, query: URLSearchParams, what: string): string[] {
  const uniqueFields = fieldList(query.get('unique_fields'));
  if (!uniqueFields) throw new HttpError(400, `unique_fields parameter is required for ${what}`);
  const match = resource.uniqueKeys.find(
    (k) => k.length === uniqueFields.length && k.every((f) => uniqueFields.includes(f)),
  );
  if (!match) {
    const keys = resource.uniqueKeys.map((k) => k.join(',')).join(' or ') || 'none';
    throw new HttpError(400, `unique_fields must be a unique key of ${resource.name}: ${keys}`, {
      unique_keys: resource.uniqueKeys,
    });
  }
  return uniqueFields;
}

/** Whether a job runs in the request that brings it: its owner has no unfinished job, a lane is free, it is small. */
async function runsAtOnce(ctx: ServerContext, owner: string, items: number, depth: number): Promise<boolean> {
  return ctx.worker.takesAtOnce(items) && (depth === 0 || (await ctx.store.queueDepth(owner)) === 0);
}

/** POST (insert), PATCH (upsert), DELETE (delete by key) /api/{resource}/bulk/: start a job. */
export async function startJob(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  resourceName: string,
  query: URLSearchParams,
  owner: string,
): Promise<string> {
  const jobType = JOB_TYPE_OF[req.method ?? ''];
  if (!jobType)
    throw new HttpError(
      405,
      `Method ${req.method} not allowed here (POST, PATCH or DELETE)`,
      {},
      { allow: 'POST, PATCH, DELETE' },
    );
  if (ctx.draining) throw new HttpError(503, 'Server is shutting down; retry shortly', {}, { 'retry-after': '5' });
  const resource = ctx.resources.get(resourceName);
  if (!resource) throw new HttpError(404, `Unknown resource: ${resourceName}`);
  const uniqueFields =
    jobType === 'insert'
      ? fieldList(query.get('unique_fields'))
      : requiredKey(resource, query, `${jobType} operations`);
  const updateFields = fieldList(query.get('update_fields'));
  if (jobType !== 'insert') {
    const names = new Set(resource.fields.map((f) => f.name));
    for (const f of updateFields ?? [])
      if (!names.has(f)) throw new HttpError(400, `update_fields: ${f} is not a field of ${resourceName}`);
  }

  const key = req.headers[IDEMPOTENCY_HEADER];
  const idemKey = typeof key === 'string' && key.length > 0 ? key : null;
  if (idemKey && idemKey.length > 255) throw new HttpError(400, 'Idempotency-Key is longer than 255 characters');
  const inflight = idemKey ? `${owner}\u0000${idemKey}` : null;
  if (inflight && ctx.inflightKeys.has(inflight)) {
    req.resume();
    throw new HttpError(
      409,
      'A request with this Idempotency-Key is still being handled; retry shortly',
      {},
      { 'retry-after': '1' },
    );
  }
  // Admission per token, before the body is read: a burst from one token is turned away cheaply
  // and never holds up another token's uploads (each has its own share of the queue).
  // Requests of this token still being read count too, so a burst arriving at once cannot all pass.
  const admitting = ctx.admitting.get(owner) ?? 0;
  const mine = (await ctx.store.queueDepth(owner)) + admitting;
  if (mine >= ctx.limits.maxQueuedJobsPerToken) {
    req.resume();
    throw new HttpError(
      429,
      `Too many of your jobs waiting (${mine}); retry later`,
      { limit_jobs: ctx.limits.maxQueuedJobsPerToken },
      { 'retry-after': '2' },
    );
  }
  ctx.admitting.set(owner, (ctx.admitting.get(owner) ?? 0) + 1);
  if (inflight) ctx.inflightKeys.add(inflight);
  let bodyChars = 0;
  try {
    const type = bodyTypeOf(req.headers['content-type']);
    const digest = createHash('sha256').update(`${req.method}
${resourceName}
${uniqueFields?.join(',') ?? ''}
${updateFields?.join(',') ?? ''}
`);
    // NDJSON is hashed as the JSON array kept, so the same records as JSON or as NDJSON are one
    // request; JSON and CSV bodies are hashed as bytes while read (no extra copy). A CSV body's
    // hash is over its own bytes: a client sends the same canonical CSV for the same rows.
    const asRead = type !== 'application/x-ndjson';
    const body = await readBody(req, ctx.limits.maxBodyBytes, asRead ? digest : undefined);
    bodyChars = body.length;
    const { records, payload } = parseBulkBody(type, body, ctx.limits);
    if (!asRead) digest.update(payload);
    const hash = digest.digest('hex');
    if (idemKey) {
      const earlier = await ctx.store.findIdempotency(owner, idemKey);
      if (earlier) {
        if (earlier.hash !== hash)
          throw new HttpError(422, 'Idempotency-Key was already used with a different request body');
        const job = await ctx.store.getJob(earlier.jobId);
        if (job) {
          const first =
            earlier.response ??
            JSON.stringify(startResponse(job, estimateDuration(job.totalItems, 0, ctx.worker.rowsPerSecond)));
          sendJsonText(res, 202, first, { 'idempotency-replayed': 'true', [IDEMPOTENCY_HEADER]: idemKey });
          return job.id;
        }
      }
    }
    const depth = await ctx.store.queueDepth();
    if (depth >= ctx.limits.maxQueuedJobs)
      throw new HttpError(429, `Too many jobs waiting (${depth}); retry later`, {}, { 'retry-after': '5' });

    const job = {
      id: randomUUID(),
      resource: resourceName,
      jobType,
      owner,
      totalItems: records.length,
      uniqueFields: jobType === 'insert' ? null : uniqueFields,
      updateFields: jobType === 'upsert' ? updateFields : null,
      createdAt: nowIso(),
      source: parseSourceHeader(req.headers[SOURCE_HEADER]),
      runId: parseRunHeader(req.headers[RUN_HEADER]),
      runner: laneWorkerId(owner),
    };
    // Built before the commit so a replay of this key can send exactly these bytes.
    const response = JSON.stringify(startResponse(job, estimateDuration(job.totalItems, 0, ctx.worker.rowsPerSecond)));
    const idempotency = idemKey ? { key: idemKey, hash, response } : undefined;
    try {
      // Taken at once when the node is free and the owner has nothing waiting (its jobs stay in
      // order): written in this request, the body never stored. Else queued with its body.
      if (await runsAtOnce(ctx, owner, records.length, depth)) {
        try {
          await ctx.worker.runAtOnce(job, records, idempotency);
          ctx.events.changed(job.id);
          sendJsonText(res, 202, response, idemKey ? { [IDEMPOTENCY_HEADER]: idemKey } : {});
          return job.id;
        } catch (err) {
          // Nothing was committed. A database that is away answers as for any job; anything else
          // (a row the database refused past the checks) leaves the job to a lane, to fail there.
          if (err instanceof IdempotencyConflictError || isStoreTransient(err)) throw err;
          ctx.log.warn({ job_id: job.id, err: (err as Error).message }, 'job could not run at once; queued');
        }
      }
      await ctx.store.createJob(job, payload, idempotency);
    } catch (err) {
      // Another node committed the same key first: the retry replays its job.
      if (err instanceof IdempotencyConflictError)
        throw new HttpError(
          409,
          'A request with this Idempotency-Key is still being handled; retry shortly',
          {},
          { 'retry-after': '1' },
        );
      throw err;
    }
    ctx.worker.notify(job.id, records, owner);
    // The server-wide stream shows a new job at once, before its first chunk.
    ctx.events.changed(job.id);
    // Echoing the key tells a client this server honours it: a resend under it cannot store twice.
    sendJsonText(res, 202, response, idemKey ? { [IDEMPOTENCY_HEADER]: idemKey } : {});
    return job.id;
  } finally {
    const left = (ctx.admitting.get(owner) ?? 1) - 1;
    if (left > 0) ctx.admitting.set(owner, left);
    else ctx.admitting.delete(owner);
    if (inflight) ctx.inflightKeys.delete(inflight);
    // A refused large body is garbage now; an accepted one is held until its job ends (the worker releases it then).
    releaseAfter(bodyChars);
  }
}
