/**
 * The request handler: routing through the route table, one access line and one metrics sample per request, and errors
 * that never leak internals.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { authenticate, presentedToken } from './auth/tokens.js';
import { HttpError, sendJson } from './http/http-io.js';
import { decodeParams, matchRoute } from './routes/route-table.js';
import { sendAsset, webAsset } from './routes/web-routes.js';
import type { ServerContext } from './server-context.js';
import { TROUBLE_TEXT } from './observe/store-health.js';
import { isStoreTransient } from './store/store-errors.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export function createApp(ctx: ServerContext): Handler {
  return (req, res) => {
    const started = performance.now();
    const path = pathOf(req.url);
    let jobId: string | undefined;
    let routeName = 'other';
    let logged = false;
    // 'close' also fires for a stream the client left or a socket cut mid-answer; 'finish' alone would miss those.
    res.on('close', () => {
      if (logged) return;
      logged = true;
      // 499: the client went away before any answer (nginx's word for it).
      const status = res.headersSent ? res.statusCode : 499;
      const ms = performance.now() - started;
      ctx.metrics.requests.inc({ route: routeName, method: req.method ?? '', status });
      ctx.metrics.requestSeconds.observe({ route: routeName }, ms / 1000);
      if (ctx.accessLog)
        ctx.log.info(
          {
            method: req.method,
            path,
            route: routeName,
            status,
            ms: Math.round(ms * 10) / 10,
            ...(jobId ? { job_id: jobId } : {}),
          },
          'request',
        );
    });
    const seen = { setJobId: (id: string) => (jobId = id), setRoute: (name: string) => (routeName = name) };
    route(ctx, req, res, path, seen).catch((err: unknown) => answerError(ctx, req, res, path, err));
  };
}

/**
 * The one place an error becomes an answer: a protocol error as itself; a store that cannot write
 * as 507 (its disk is full) or 503 (busy, read-only, unreachable), with Retry-After (the write
 * rolled back, so a retry is safe); anything else 500 with an error_id that is also in the log.
 * A store refusal is expected while an outage lasts: store health logs the outage once, and each
 * refusal is only its access line (and a debug line), never an error with a stack.
 */
function answerError(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, path: string, err: unknown): void {
  if (err instanceof HttpError) {
    sendJson(res, err.status, { error: err.message, ...err.extra }, err.headers);
    if (err.headers.connection === 'close') req.socket.end();
    return;
  }
  if (isStoreTransient(err)) {
    ctx.log.debug(
      { method: req.method, path, trouble: err.trouble, err: err.message },
      'request refused: store trouble',
    );
    sendJson(
      res,
      err.trouble === 'disk-full' ? 507 : 503,
      { error: `${TROUBLE_TEXT[err.trouble]}; retry later`, reason: err.trouble },
      { 'retry-after': String(err.retryAfterSeconds) },
    );
    return;
  }
  const errorId = randomUUID();
  ctx.log.error({ error_id: errorId, method: req.method, path, err: err as Error }, 'internal error');
  sendJson(res, 500, { error: 'internal error', error_id: errorId });
}

/**
 * The path of a request target, never throwing: an absolute-form target ("http://host/x") or a
 * malformed one must get an answer, not take the process down.
 */
export function pathOf(target: string | undefined): string {
  const raw = target ?? '/';
  const path = raw.startsWith('/') ? raw : (/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(\/[^?#]*)?/i.exec(raw)?.[1] ?? '/');
  return path.split(/[?#]/, 1)[0] as string;
}

/** The query string of a request target, parsed leniently (URLSearchParams never throws). */
function queryOf(target: string | undefined): URLSearchParams {
  const raw = target ?? '';
  const at = raw.indexOf('?');
  return new URLSearchParams(at >= 0 ? raw.slice(at + 1).split('#', 1)[0] : '');
}

interface Seen {
  setJobId(id: string): void;
  setRoute(name: string): void;
}

async function route(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  seen: Seen,
): Promise<void> {
  const method = req.method ?? 'GET';
  const match = matchRoute(path);
  if (match) seen.setRoute(match.route.name);
  if (match?.route.public) return dispatch(ctx, req, res, path, match, '', seen);
  // The jobs page and its assets need no token: the data they fetch does. Only for an origin-form
  // target (what browsers send): a garbled absolute-form one reads as "/" and must stay a 404.
  const asset = req.url?.startsWith('/') ? webAsset(path) : null;
  if (asset === 'not-found') throw new HttpError(404, `Not found: ${path}`);
  if (asset) {
    seen.setRoute('page');
    return sendAsset(res, method, asset);
  }
  const owner = ownerOf(ctx, req);
  if (!match) throw new HttpError(404, `Not found: ${path}`);
  return dispatch(ctx, req, res, path, match, owner, seen);
}

async function dispatch(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  match: NonNullable<ReturnType<typeof matchRoute>>,
  owner: string,
  seen: Seen,
): Promise<void> {
  const { route, raw } = match;
  const params = decodeParams(route, raw, path);
  if (route.method && req.method !== route.method)
    throw new HttpError(405, 'Method not allowed', {}, { allow: route.method });
  await route.handle({ ctx, req, res, params, query: queryOf(req.url), owner, setJobId: seen.setJobId });
}

/**
 * Who is asking: '' without tokens; with tokens, the token's name, or 401 (the same for missing, wrong and near-miss).
 */
function ownerOf(ctx: ServerContext, req: IncomingMessage): string {
  if (ctx.tokens.length === 0) return '';
  const owner = authenticate(ctx.tokens, presentedToken(req.headers.authorization));
  if (owner === null) {
    req.resume();
    throw new HttpError(
      401,
      'Authentication credentials were not provided or are not valid',
      {},
      { 'www-authenticate': 'Bearer' },
    );
  }
  return owner;
}

/**
 * Requests node:http refuses before they reach the handler (unparsable, headers too large, too
 * slow) still get a JSON body with `error`, as every non-2xx answer must.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Socket, ctx?: ServerContext): void {
  // Past the start of an answer on this socket, a second status line would corrupt it: just close.
  const answering =
    (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (!socket.writable || err.code === 'ECONNRESET' || answering) {
    socket.destroy();
    return;
  }
  const [status, reason] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout']
        : [400, 'Bad Request'];
  const body = JSON.stringify({ error: status === 400 ? 'Bad request: not valid HTTP' : reason });
  // Answered like any request, so counted and logged like one (a slow-header flood shows as 408s).
  ctx?.metrics.requests.inc({ route: 'unparsed', method: '-', status });
  if (ctx?.accessLog) ctx.log.info({ route: 'unparsed', status, reason: err.code }, 'request');
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\n` +
      `content-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      `connection: close\r\n\r\n${body}`,
  );
}
