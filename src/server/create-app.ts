import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { authenticate, presentedToken } from './auth/tokens.js';
import { HttpError, sendJson } from './http/http-io.js';
import { startJob } from './routes/bulk-routes.js';
import { abortJob, getAggregates, getErrors, getStatus, listJobs, streamEvents, UUID_RE, visibleJob } from './routes/job-routes.js';
import { streamAllEvents } from './routes/jobs-stream.js';
import { sendAsset, webAsset } from './routes/web-routes.js';
import type { ServerContext } from './server-context.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const JOB_ROUTE = /^\/api\/jobs\/([^/]+)\/(status|aggregates|errors|events|abort)\/?$/;
const BULK_ROUTE = /^\/api\/([^/]+)\/bulk\/?$/;

/** The request handler: routing, one access-log line per request, and errors that never leak internals. */
export function createApp(ctx: ServerContext): Handler {
  return (req, res) => {
    const started = performance.now();
    const path = pathOf(req.url);
    let jobId: string | undefined;
    let logged = false;
    // 'close' also fires for a stream the client left or a socket cut mid-answer; 'finish' alone would miss those.
    res.on('close', () => {
      if (logged) return;
      logged = true;
      // 499: the client went away before any answer (nginx's word for it).
      const status = res.headersSent ? res.statusCode : 499;
      ctx.log(JSON.stringify({ time: new Date().toISOString(), method: req.method, path, status, ms: Math.round((performance.now() - started) * 10) / 10, ...(jobId ? { job_id: jobId } : {}) }));
    });
    route(ctx, req, res, path, (id) => (jobId = UUID_RE.test(id) ? id : undefined)).catch((err: unknown) => {
      if (err instanceof HttpError) {
        sendJson(res, err.status, { error: err.message, ...err.extra }, err.headers);
        if (err.headers.connection === 'close') req.socket.end();
        return;
      }
      const errorId = randomUUID();
      ctx.log(JSON.stringify({ level: 'error', error_id: errorId, method: req.method, path, error: (err as Error)?.message, stack: (err as Error)?.stack }));
      const busy = /SQLITE_BUSY|SQLITE_FULL|disk I\/O|database is locked|ENOSPC/i.test(String((err as Error)?.message));
      // Busy or full storage is a 503 to retry, never a 500 after a partial write (the write rolled back).
      if (busy) sendJson(res, 503, { error: 'storage busy or full; retry later', error_id: errorId }, { 'retry-after': '5' });
      else sendJson(res, 500, { error: 'internal error', error_id: errorId });
    });
  };
}

/**
 * The path of a request target, never throwing: an absolute-form target ("http://host/x") or a
 * malformed one must get an answer, not take the process down.
 */
export function pathOf(target: string | undefined): string {
  const raw = target ?? '/';
  const path = raw.startsWith('/') ? raw : /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(\/[^?#]*)?/i.exec(raw)?.[1] ?? '/';
  return path.split(/[?#]/, 1)[0] as string;
}

/** The query string of a request target, parsed leniently (URLSearchParams never throws). */
function queryOf(target: string | undefined): URLSearchParams {
  const raw = target ?? '';
  const at = raw.indexOf('?');
  return new URLSearchParams(at >= 0 ? raw.slice(at + 1).split('#', 1)[0] : '');
}

/** A path segment, decoded; a malformed escape names nothing, so it is that route's 404. */
function segment(text: string, notFound: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new HttpError(404, notFound);
  }
}

async function route(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, path: string, setJobId: (id: string) => void): Promise<void> {
  const method = req.method ?? 'GET';
  if (path === '/api/health/' || path === '/api/health') {
    if (method !== 'GET') throw new HttpError(405, 'Method not allowed', {}, { allow: 'GET' });
    sendJson(res, 200, { status: 'ok', version: ctx.version, store: ctx.store.kind, queue_depth: await ctx.store.queueDepth() });
    return;
  }
  // The jobs page and its assets need no token: the data they fetch does. Only for an origin-form
  // target (what browsers send): a garbled absolute-form one reads as "/" and must stay a 404.
  const asset = req.url?.startsWith('/') ? webAsset(path) : null;
  if (asset === 'not-found') throw new HttpError(404, `Not found: ${path}`);
  if (asset) return sendAsset(res, method, asset);
  const owner = ownerOf(ctx, req);
  const query = queryOf(req.url);
  // Before the job routes: "events" is not a job id (ids are UUIDs), and this path has no action.
  if (path === '/api/jobs/events/' || path === '/api/jobs/events') {
    if (method !== 'GET') throw new HttpError(405, 'Method not allowed', {}, { allow: 'GET' });
    return streamAllEvents(ctx, req, res, owner);
  }
  if (path === '/api/jobs/' || path === '/api/jobs') {
    if (method !== 'GET') throw new HttpError(405, 'Method not allowed', {}, { allow: 'GET' });
    await listJobs(ctx, res, query, owner);
    return;
  }
  const jobMatch = JOB_ROUTE.exec(path);
  if (jobMatch) {
    const [, rawId, action] = jobMatch as unknown as [string, string, string];
    const id = segment(rawId, 'Job not found');
    setJobId(id);
    const wanted = action === 'abort' ? 'POST' : 'GET';
    if (method !== wanted) throw new HttpError(405, 'Method not allowed', {}, { allow: wanted });
    const job = await visibleJob(ctx, id, owner);
    if (action === 'status') return getStatus(ctx, res, job);
    if (action === 'aggregates') return getAggregates(res, job);
    if (action === 'errors') return getErrors(ctx, res, job, query);
    if (action === 'events') return streamEvents(ctx, req, res, job);
    return abortJob(ctx, res, job);
  }
  const bulkMatch = BULK_ROUTE.exec(path);
  if (bulkMatch) {
    const id = await startJob(ctx, req, res, segment(bulkMatch[1] as string, `Unknown resource: ${bulkMatch[1] as string}`), query, owner);
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

/**
 * Requests node:http refuses before they reach the handler (unparsable, headers too large, too
 * slow) still get a JSON body with `error`, as every non-2xx answer must.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  // Past the start of an answer on this socket, a second status line would corrupt it: just close.
  const answering = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (!socket.writable || err.code === 'ECONNRESET' || answering) {
    socket.destroy();
    return;
  }
  const [status, reason] =
    err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout'] : [400, 'Bad Request'];
  const body = JSON.stringify({ error: status === 400 ? 'Bad request: not valid HTTP' : reason });
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}
