import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { IDEMPOTENCY_HEADER, type JobType } from '../../protocol/index.js';
import { bodyTypeOf, parseBulkBody } from '../http/bulk-body.js';
import { HttpError, readBody, sendJsonText } from '../http/http-io.js';
import { nowIso } from '../clock.js';
import { estimateDuration, startResponse } from '../job-view.js';
import type { ServerContext } from '../server-context.js';
import { IdempotencyConflictError } from '../store/store.js';

const JOB_TYPE_OF: Record<string, JobType> = { POST: 'insert', PATCH: 'upsert', DELETE: 'delete' };

function fieldList(value: string | null): string[] | null {
  if (value === null) return null;
  const fields = value.split(',').map((f) => f.trim()).filter(Boolean);
  return fields.length ? fields : null;
}

/** POST (insert), PATCH (upsert), DELETE (delete by key) /api/{resource}/bulk/: start a job. */
export async function startJob(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, resourceName: string, query: URLSearchParams, owner: string): Promise<string> {
  const jobType = JOB_TYPE_OF[req.method ?? ''];
  if (!jobType) throw new HttpError(405, `Method ${req.method} not allowed here (POST, PATCH or DELETE)`, {}, { allow: 'POST, PATCH, DELETE' });
  if (ctx.draining) throw new HttpError(503, 'Server is shutting down; retry shortly', {}, { 'retry-after': '5' });
  const resource = ctx.resources.get(resourceName);
  if (!resource) throw new HttpError(404, `Unknown resource: ${resourceName}`);
  const uniqueFields = fieldList(query.get('unique_fields'));
  const updateFields = fieldList(query.get('update_fields'));
  if (jobType !== 'insert') {
    if (!uniqueFields) throw new HttpError(400, `unique_fields parameter is required for ${jobType} operations`);
    const match = resource.uniqueKeys.find((k) => k.length === uniqueFields.length && k.every((f) => uniqueFields.includes(f)));
    if (!match) {
      const keys = resource.uniqueKeys.map((k) => k.join(',')).join(' or ') || 'none';
      throw new HttpError(400, `unique_fields must be a unique key of ${resourceName}: ${keys}`, { unique_keys: resource.uniqueKeys });
    }
    const names = new Set(resource.fields.map((f) => f.name));
    for (const f of updateFields ?? []) if (!names.has(f)) throw new HttpError(400, `update_fields: ${f} is not a field of ${resourceName}`);
  }

  const key = req.headers[IDEMPOTENCY_HEADER];
  const idemKey = typeof key === 'string' && key.length > 0 ? key : null;
  if (idemKey && idemKey.length > 255) throw new HttpError(400, 'Idempotency-Key is longer than 255 characters');
  const inflight = idemKey ? `${owner}\u0000${idemKey}` : null;
  if (inflight && ctx.inflightKeys.has(inflight)) {
    req.resume();
    throw new HttpError(409, 'A request with this Idempotency-Key is still being handled; retry shortly', {}, { 'retry-after': '1' });
  }
  // Admission per token, before the body is read: a burst from one token is turned away cheaply
  // and never holds up another token's uploads (each has its own share of the queue).
  const mine = await ctx.store.queueDepth(owner);
  if (mine >= ctx.limits.maxQueuedJobsPerToken) {
    req.resume();
    throw new HttpError(429, `Too many of your jobs waiting (${mine}); retry later`, { limit_jobs: ctx.limits.maxQueuedJobsPerToken }, { 'retry-after': '2' });
  }
  if (inflight) ctx.inflightKeys.add(inflight);
  try {
    const body = await readBody(req, ctx.limits.maxBodyBytes);
    // Hashed as the payload kept (always a JSON array): the same records as JSON or as NDJSON are one request.
    const { records, payload } = parseBulkBody(bodyTypeOf(req.headers['content-type']), body);
    const hash = createHash('sha256').update(`${req.method}\n${resourceName}\n${uniqueFields?.join(',') ?? ''}\n${updateFields?.join(',') ?? ''}\n`).update(payload).digest('hex');
    if (idemKey) {
      const earlier = await ctx.store.findIdempotency(owner, idemKey);
      if (earlier) {
        if (earlier.hash !== hash) throw new HttpError(422, 'Idempotency-Key was already used with a different request body');
        const job = await ctx.store.getJob(earlier.jobId);
        if (job) {
          const first = earlier.response ?? JSON.stringify(startResponse(job, estimateDuration(job.totalItems, 0, ctx.worker.rowsPerSecond)));
          sendJsonText(res, 202, first, { 'idempotency-replayed': 'true' });
          return job.id;
        }
      }
    }
    if (!Array.isArray(records)) throw new HttpError(400, 'Expected array data for bulk operations.');
    if (records.length === 0) throw new HttpError(400, 'Empty array provided');
    if (records.length > ctx.limits.maxItems) throw new HttpError(413, `Too many items: ${records.length} (the limit is ${ctx.limits.maxItems} per job)`, { limit_items: ctx.limits.maxItems });
    checkShapes(records, ctx.limits.maxKeysPerRecord, ctx.limits.maxDepth);
    const depth = await ctx.store.queueDepth();
    if (depth >= ctx.limits.maxQueuedJobs) throw new HttpError(429, `Too many jobs waiting (${depth}); retry later`, {}, { 'retry-after': '5' });

    const job = {
      id: randomUUID(),
      resource: resourceName,
      jobType,
      owner,
      totalItems: records.length,
      uniqueFields: jobType === 'insert' ? null : uniqueFields,
      updateFields: jobType === 'upsert' ? updateFields : null,
      createdAt: nowIso(),
    };
    // Built before the commit so a replay of this key can send exactly these bytes.
    const response = JSON.stringify(startResponse(job, estimateDuration(job.totalItems, 0, ctx.worker.rowsPerSecond)));
    try {
      await ctx.store.createJob(job, payload, idemKey ? { key: idemKey, hash, response } : undefined);
    } catch (err) {
      // Another node committed the same key first: the retry replays its job.
      if (err instanceof IdempotencyConflictError) throw new HttpError(409, 'A request with this Idempotency-Key is still being handled; retry shortly', {}, { 'retry-after': '1' });
      throw err;
    }
    ctx.worker.notify(job.id, records);
    // The server-wide stream shows a new job at once, before its first chunk.
    ctx.events.changed(job.id);
    sendJsonText(res, 202, response);
    return job.id;
  } finally {
    if (inflight) ctx.inflightKeys.delete(inflight);
  }
}

/** Each item an object, with a bounded number of keys and no deeply nested values. */
function checkShapes(records: unknown[], maxKeys: number, maxDepth: number): void {
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (!r || typeof r !== 'object' || Array.isArray(r)) throw new HttpError(400, `Item ${i} is not a JSON object`, { index: i });
    let keys = 0;
    for (const key in r) {
      if (++keys > maxKeys) throw new HttpError(400, `Item ${i} has more than ${maxKeys} keys`, { index: i, limit_keys: maxKeys });
      const v = (r as Record<string, unknown>)[key];
      if (v !== null && typeof v === 'object' && depthOf(v, 2, maxDepth) > maxDepth) {
        throw new HttpError(400, `Item ${i}: field ${key} is nested more than ${maxDepth} levels deep`, { index: i, limit_depth: maxDepth });
      }
    }
  }
}

function depthOf(value: unknown, depth: number, max: number): number {
  if (depth > max || value === null || typeof value !== 'object') return depth;
  let deepest = depth;
  for (const v of Object.values(value as object)) {
    if (v !== null && typeof v === 'object') deepest = Math.max(deepest, depthOf(v, depth + 1, max));
    if (deepest > max) break;
  }
  return deepest;
}
