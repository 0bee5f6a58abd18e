import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticate, presentedToken } from './auth/tokens.js';
import { HttpError, sendJson } from './http/http-io.js';
import { startJob } from './routes/bulk-routes.js';
import { abortJob, getAggregates, getErrors, getStatus, listJobs, streamEvents, visibleJob } from './routes/job-routes.js';
import type { ServerContext } from './server-context.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const JOB_ROUTE = /^\/api\/jobs\/([^/]+)\/(status|aggregates|errors|events|abort)\/?$/;
const BULK_ROUTE = /^\/api\/([^/]+)\/bulk\/?$/;

/** The request handler: routing, one access-log line per request, and errors that never leak internals. */
export function createApp(ctx: ServerContext): Handler {
  return (req, res) => {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    let jobId: string | undefined;
    res.on('finish', () => {
      ctx.log(JSON.stringify({ time: new Date().toISOString(), method: req.method, path: url.pathname, status: res.statusCode, ms: Math.round((performance.now() - started) * 10) / 10, ...(jobId ? { job_id: jobId } : {}) }));
    });
    route(ctx, req, res, url, (id) => (jobId = id)).catch((err: unknown) => {
      if (err instanceof HttpError) {
        sendJson(res, err.status, { error: err.message, ...err.extra }, err.headers);
        if (err.headers.connection === 'close') req.socket.end();
        return;
      }
      const errorId = randomUUID();
      ctx.log(JSON.stringify({ level: 'error', error_id: errorId, method: req.method, path: url.pathname, error: (err as Error)?.message, stack: (err as Error)?.stack }));
      const busy = /SQLITE_BUSY|SQLITE_FULL|disk I\/O|database is locked|ENOSPC/i.test(String((err as Error)?.message));
      // Busy or full storage is a 503 to retry, never a 500 after a partial write (the write rolled back).
      if (busy) sendJson(res, 503, { error: 'storage busy or full; retry later', error_id: errorId }, { 'retry-after': '5' });
      else sendJson(res, 500, { error: 'internal error', error_id: errorId });
    });
  };
}

async function route(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, url: URL, setJobId: (id: string) => void): Promise<void> {
  const path = url.pathname;
  const method = req.method ?? 'GET';
  if (path === '/api/health/' || path === '/api/health') {
    if (method !== 'GET') throw new HttpError(405, 'Method not allowed', {}, { allow: 'GET' });
    sendJson(res, 200, { status: 'ok', version: ctx.version, store: ctx.store.kind, queue_depth: await ctx.store.queueDepth() });
    return;
  }
  const owner = ownerOf(ctx, req);
  if (path === '/api/jobs/' || path === '/api/jobs') {
    if (method !== 'GET') throw new HttpError(405, 'Method not allowed', {}, { allow: 'GET' });
    await listJobs(ctx, res, url.searchParams, owner);
    return;
  }
  const jobMatch = JOB_ROUTE.exec(path);
  if (jobMatch) {
    const [, id, action] = jobMatch as unknown as [string, string, string];
    setJobId(id);
    const wanted = action === 'abort' ? 'POST' : 'GET';
    if (method !== wanted) throw new HttpError(405, 'Method not allowed', {}, { allow: wanted });
    const job = await visibleJob(ctx, decodeURIComponent(id), owner);
    if (action === 'status') return getStatus(ctx, res, job);
    if (action === 'aggregates') return getAggregates(res, job);
    if (action === 'errors') return getErrors(ctx, res, job, url.searchParams);
    if (action === 'events') return streamEvents(ctx, req, res, job);
    return abortJob(ctx, res, job);
  }
  const bulkMatch = BULK_ROUTE.exec(path);
  if (bulkMatch) {
    const id = await startJob(ctx, req, res, decodeURIComponent(bulkMatch[1] as string), url.searchParams, owner);
    setJobId(id);
    return;
  }
  throw new HttpError(404, `Not found: ${path}`);
}

/** Who is asking: '' without tokens; with tokens, the token's name, or 401 (the same for missing, wrong and near-miss). */
function ownerOf(ctx: ServerContext, req: IncomingMessage): string {
  if (ctx.tokens.length === 0) return '';
  const owner = authenticate(ctx.tokens, presentedToken(req.headers.authorization));
  if (owner === null) {
    req.resume();
    throw new HttpError(401, 'Authentication credentials were not provided or are not valid', {}, { 'www-authenticate': 'Bearer' });
  }
  return owner;
}
