// A fake job server for tests: a real HTTP server on loopback whose answers follow a script per job
// (counts, error shapes, indexes, URLs, states, delays, connection resets), honest or lying on
// purpose, and which keeps the truth of which rows it stored. A second loopback server stands for
// "another origin" and records whether anyone contacted it, and with which Authorization header.
import http from 'node:http';
import { parseCsvRecords } from '../../src/server/records/csv-records.js';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';

/** Ways a job's final answer contradicts itself or the batch. Each one is visible in the status. */
export type Lie =
  | 'success-over-total'
  | 'count-mismatch'
  | 'total-wrong'
  | 'index-out-of-range'
  | 'index-duplicate'
  | 'index-not-integer'
  | 'more-errors-than-count'
  | 'unknown-state';
export const LIES: readonly Lie[] = [
  'success-over-total',
  'count-mismatch',
  'total-wrong',
  'index-out-of-range',
  'index-duplicate',
  'index-not-integer',
  'more-errors-than-count',
  'unknown-state',
];

/** The final state word an 'unknown-state' job gives: a misspelling of its real one, or a word from nowhere. */
export function unknownStateWord(script: JobScript): string {
  return script.final === 'Job Complete' ? 'Job Completed' : 'Weird';
}

export type UrlField = 'status_url' | 'aggregates_url' | 'events_url' | 'errors_url' | 'abort_url';
export const URL_FIELDS: readonly UrlField[] = [
  'status_url',
  'aggregates_url',
  'events_url',
  'errors_url',
  'abort_url',
];

/** How status.errors shows the failed rows: all as objects, plain strings, null, only the first half, or one job-level entry. */
export type ErrorShape = 'objects' | 'strings' | 'null' | 'first-half' | 'index-null';
export const ERROR_SHAPES: readonly ErrorShape[] = ['objects', 'strings', 'null', 'first-half', 'index-null'];

export interface JobScript {
  final: 'Job Complete' | 'Failed' | 'Aborted';
  /** Failed or Aborted: the share of rows processed (a prefix) before the end. */
  processedShare: number;
  /** Row i fails when (i + failOffset) % failEvery === 0; 0: no row fails. */
  failEvery: number;
  failOffset: number;
  errors: ErrorShape;
  /** Whether the job has an errors endpoint (ext), and how many errors a page holds at most. */
  errorsUrl: boolean;
  pageCap: number;
  events: boolean;
  lie: Lie | null;
  /** A URL of the job given on the other origin. */
  foreign: UrlField | null;
  /** Status answers 'In Progress' this many times before the final state. */
  pollsBeforeFinal: number;
  delayMs: number;
  /** The first status request's connection is reset. */
  resetStatusOnce: boolean;
  /** The first start request's connection is reset, before or after the job was created. */
  resetStart: 'none' | 'before' | 'after';
  /** Status and events answer this HTTP status (a redirect, a 4xx) instead of the job's status: its fate cannot be learned. */
  statusHttp?: number | null;
  /** The errors endpoint answers this HTTP status instead of its pages. */
  errorsHttp?: number | null;
  /** The aggregates endpoint answers this HTTP status instead of the aggregates. */
  aggregatesHttp?: number | null;
  /** The status answer (and its event) is over the client's answer size limit, or drips a byte at a time. */
  statusBody?: 'normal' | 'oversized' | 'drip';
  /** Each errors page is over the client's answer size limit. */
  errorsOversized?: boolean;
  /** The job answers the previous job's id (two batches, one id); its status is still the first job's. */
  reuseId?: boolean;
  /** The events stream sends the final state and then a later 'In Progress' in one write. */
  eventAfterFinal?: boolean;
}

/** Bytes of padding that put an answer over the limit the accounting runs give (--max-answer-size 64KiB). */
export const OVERSIZE_PAD = 80 * 1024;

/** Whether the client cannot learn this job's fate (its status cannot be read): every row must be unconfirmed. */
export function unknowable(script: JobScript): boolean {
  const neverFinal = script.pollsBeforeFinal >= NEVER;
  return neverFinal || (script.statusHttp ?? null) !== null || (script.statusBody ?? 'normal') !== 'normal';
}

/** pollsBeforeFinal at least this: the job never finishes (the run's --stall-timeout ends it). */
export const NEVER = 1_000_000;

export const HONEST: JobScript = {
  final: 'Job Complete',
  processedShare: 1,
  failEvery: 0,
  failOffset: 0,
  errors: 'objects',
  errorsUrl: true,
  pageCap: 1000,
  events: false,
  lie: null,
  foreign: null,
  pollsBeforeFinal: 0,
  delayMs: 0,
  resetStatusOnce: false,
  resetStart: 'none',
};

/** What the fake did with one job: the truth the client's accounting is checked against. */
export interface JobTruth {
  id: string;
  seq: number;
  script: JobScript;
  /** Each record's `description`, in the job's order: the rows' identity. */
  descriptions: string[];
  processed: number;
  stored: Set<number>;
  failed: Set<number>;
  polls: number;
  statusResets: number;
  /** Set when the fake answered this job with another job's id. */
  reusedIdOf: string | null;
}

export interface FakeJobServer {
  url: string;
  jobs: JobTruth[];
  /** The content type of every start request's body, in order. */
  bodyTypes: string[];
  /** Descriptions of every row the fake stored. */
  storedDescriptions(): Set<string>;
  /** The first row's description of every start request whose connection the fake reset. */
  startResets: string[];
  close(): Promise<void>;
}

export interface OtherOrigin {
  url: string;
  hits: { method: string; path: string; authorization: string | undefined }[];
  close(): Promise<void>;
}

async function listen(server: http.Server): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A redirect (to a path the server does not route) or another status with the protocol's error body. */
function redirectOr(res: http.ServerResponse, status: number, location: string): void {
  if (status >= 300 && status < 400) {
    res.writeHead(status, { location, 'content-type': 'text/html' });
    res.end('<html>moved</html>');
    return;
  }
  send(res, status, { error: status === 410 ? 'Gone' : 'Bad request' });
}

/** A body that drips one byte every 200 ms, and never ends (the client must give up). */
function drip(res: http.ServerResponse, text: string): void {
  res.writeHead(200, { 'content-type': text.startsWith('data:') ? 'text/event-stream' : 'application/json' });
  let i = 0;
  const timer = setInterval(() => {
    if (res.destroyed || i >= text.length) return;
    res.write(text[i++] as string);
  }, 200);
  res.on('close', () => clearInterval(timer));
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Another origin: answers anything with a job that stored every row, and records who asked. */
export async function startOtherOrigin(): Promise<OtherOrigin> {
  const hits: OtherOrigin['hits'] = [];
  const server = http.createServer((req, res) => {
    hits.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization });
    req.resume();
    const all = {
      job_id: 'x',
      state: 'Job Complete',
      status: 'completed',
      total_items: 1_000_000,
      processed_items: 1_000_000,
      success_count: 1_000_000,
      error_count: 0,
      errors: null,
    };
    if (req.url?.includes('/events/')) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`data: ${JSON.stringify(all)}\n\n`);
      return;
    }
    send(
      res,
      200,
      req.url?.includes('/aggregates/')
        ? { job_id: 'x', aggregate_results: { transaction_count: 1_000_000 } }
        : req.url?.includes('/errors/')
          ? { job_id: 'x', total: 0, offset: 0, limit: 1000, errors: [] }
          : all,
    );
  });
  const { url, close } = await listen(server);
  return { url, hits, close };
}

const PATHS: Record<UrlField, string> = {
  status_url: 'status',
  aggregates_url: 'aggregates',
  events_url: 'events',
  errors_url: 'errors',
  abort_url: 'abort',
};

/** The record errors the fake reports for a job (its errors endpoint; the status shows them per its shape), lies included. */
export function recordErrorList(job: JobTruth): Array<{ index: unknown; field?: string; error: string }> {
  const honest = [...job.failed]
    .sort((a, b) => a - b)
    .map((index) => ({ index, field: 'amount', error: `row ${index} is not valid` }));
  const n = job.descriptions.length;
  switch (job.script.lie) {
    case 'index-out-of-range':
      return [{ index: n + 2, error: 'no such row' }, ...honest];
    case 'index-duplicate':
      return honest.length > 0
        ? [honest[0] as { index: number; error: string }, ...honest]
        : [
            { index: 0, error: 'a' },
            { index: 0, error: 'b' },
          ];
    case 'index-not-integer':
      return [{ index: '0', error: 'index as text' }, ...honest];
    case 'more-errors-than-count': {
      const extra = [...Array(n).keys()].find((i) => !job.failed.has(i)) ?? n;
      return [...honest, { index: extra, error: 'one more than counted' }];
    }
    default:
      return honest;
  }
}

/** The final status the fake gives for a job, per its script. */
export function finalStatus(job: JobTruth, base: string, other: string): Record<string, unknown> {
  const { script } = job;
  const n = job.descriptions.length;
  let total = n;
  let success = job.stored.size;
  let errorCount = job.failed.size;
  if (script.lie === 'success-over-total') success = n + 1;
  if (script.lie === 'count-mismatch') errorCount += 1;
  if (script.lie === 'total-wrong') total = n + 1;
  const list = recordErrorList(job);
  const failedIdx = [...job.failed].sort((x, y) => x - y);
  let errors: unknown[] | null;
  // A lie about indexes shows every record error as an object, so it is always in plain sight.
  const shape = script.lie && list.length !== failedIdx.length ? 'objects' : script.errors;
  switch (shape) {
    case 'objects':
      errors = list.slice(0, 100);
      break;
    case 'strings':
      errors = failedIdx.map((i) => `a row failed (${i % 3 === 0 ? 'bad amount' : 'bad date'})`);
      break;
    case 'null':
      errors = null;
      break;
    case 'first-half':
      errors = list.slice(0, Math.ceil(list.length / 2));
      break;
    case 'index-null':
      errors = failedIdx.length > 0 ? [{ index: null, error: `${failedIdx.length} rows failed` }] : [];
      break;
  }
  if (script.final === 'Failed') errors = [...(errors ?? []), 'Database connection lost'];
  return {
    job_id: job.id,
    job_type: 'insert',
    state: script.lie === 'unknown-state' ? unknownStateWord(script) : script.final,
    status: script.final === 'Job Complete' ? 'completed' : script.final === 'Failed' ? 'failed' : 'aborted',
    message: 'done',
    total_items: total,
    processed_items: job.processed,
    success_count: success,
    error_count: errorCount,
    percentage: 100,
    errors,
    ...jobUrls(job, base, other),
  };
}

function jobUrls(job: JobTruth, base: string, other: string): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const field of URL_FIELDS) {
    if (field === 'errors_url' && !job.script.errorsUrl && job.script.foreign !== 'errors_url') continue;
    if (field === 'events_url' && !job.script.events && job.script.foreign !== 'events_url') continue;
    const origin = job.script.foreign === field ? other : base;
    urls[field] = `${origin}/api/jobs/${job.id}/${PATHS[field]}/`;
  }
  return urls;
}

/** Fails row i of a job per its script; the rest of the processed prefix is stored. */
function playJob(seq: number, id: string, script: JobScript, records: Array<Record<string, unknown>>): JobTruth {
  const n = records.length;
  const processed = script.final === 'Job Complete' ? n : Math.min(n, Math.floor(script.processedShare * n));
  const stored = new Set<number>();
  const failed = new Set<number>();
  for (let i = 0; i < processed; i++) {
    if (script.failEvery > 0 && (i + script.failOffset) % script.failEvery === 0) failed.add(i);
    else stored.add(i);
  }
  return {
    id,
    seq,
    script,
    descriptions: records.map((r) => String(r.description)),
    processed,
    stored,
    failed,
    polls: 0,
    statusResets: 0,
    reusedIdOf: null,
  };
}

/** The transactions resource as a server that takes CSV bodies (ext) describes it. */
const CSV_DESCRIPTION = {
  name: 'transactions',
  fields: ['account_id', 'amount', 'transaction_date', 'description', 'category'].map((name) => ({
    name,
    type: 'text',
    required: false,
  })),
  unique_keys: [['account_id', 'transaction_date', 'description']],
  body_types: ['application/json', 'text/csv'],
};

/**
 * How the fake says it replays a start sent again under its Idempotency-Key (it always does):
 * `advertised` in its resource description (ext) before any start, `echoed` on each start answer
 * (ext), or `silent`, as a server that may or may not replay would be.
 */
export type KeysSaid = 'advertised' | 'echoed' | 'silent';

/**
 * `csvBodies`: the fake takes `text/csv` bodies as well as the guide's JSON arrays. It describes its
 * resource (ext) when it takes CSV or advertises its keys; else it is the guide's server only (no
 * descriptions, JSON only).
 */
export async function startFakeJobServer(
  scripts: readonly JobScript[],
  other: string,
  opts: { csvBodies?: boolean; keys?: KeysSaid } = {},
): Promise<FakeJobServer> {
  const keys = opts.keys ?? 'advertised';
  const described = opts.csvBodies || keys === 'advertised';
  const description = {
    ...CSV_DESCRIPTION,
    body_types: opts.csvBodies ? CSV_DESCRIPTION.body_types : ['application/json'],
    ...(keys === 'advertised' ? { idempotency_keys: true } : {}),
  };
  const startResets: string[] = [];
  const jobs: JobTruth[] = [];
  const bodyTypes: string[] = [];
  const byId = new Map<string, JobTruth>();
  const byKey = new Map<string, { job: JobTruth | null; resets: number }>();
  let base = '';
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((err: Error) => {
        // A client that gave up mid-answer (a drip, an oversized body) leaves nothing to answer.
        if (res.headersSent || res.destroyed) return void res.destroy();
        send(res, 500, { error: err.message });
      });
    });
  });
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, body: string) => {
    const url = new URL(req.url ?? '/', base);
    const start = /^\/api\/([^/]+)\/bulk\/$/.exec(url.pathname);
    if (described && req.method === 'GET' && url.pathname === '/api/resources/')
      return send(res, 200, { resources: [description] });
    if (start && req.method === 'POST') {
      let records: unknown;
      const type = String(req.headers['content-type'] ?? '');
      bodyTypes.push(type);
      try {
        if (opts.csvBodies && type.startsWith('text/csv')) {
          const csv = parseCsvRecords(body, { maxItems: 1e6, maxKeysPerRecord: 100, maxDepth: 4 });
          records = Array.from({ length: csv.length }, (_, i) => csv.at(i));
        } else records = JSON.parse(body);
      } catch {
        return send(res, 400, { error: 'Malformed JSON' });
      }
      if (!Array.isArray(records) || records.length === 0)
        return send(res, 400, { error: 'Expected array data for bulk operations.' });
      const key = String(req.headers['idempotency-key'] ?? `anon-${jobs.length}`);
      const known = byKey.get(key) ?? { job: null, resets: 0 };
      byKey.set(key, known);
      const replayed = known.job !== null;
      if (!known.job) {
        const seq = jobs.length;
        const script = scripts[seq % scripts.length] as JobScript;
        if (script.resetStart === 'before' && known.resets === 0) {
          known.resets++;
          startResets.push(String((records as Array<Record<string, unknown>>)[0]?.description));
          return req.socket.destroy();
        }
        const previous = jobs[seq - 1];
        const reuse = script.reuseId === true && previous !== undefined;
        known.job = playJob(
          seq,
          reuse ? previous.id : `job-${seq}-${Math.random().toString(16).slice(2, 8)}`,
          script,
          records as Array<Record<string, unknown>>,
        );
        if (reuse) known.job.reusedIdOf = previous.id;
        jobs.push(known.job);
        // A reused id keeps answering for its first job: the second batch can only be unconfirmed.
        if (!reuse) byId.set(known.job.id, known.job);
      }
      const job = known.job as JobTruth;
      if (job.script.resetStart === 'after' && known.resets === 0) {
        known.resets++;
        startResets.push(job.descriptions[0] as string);
        return req.socket.destroy();
      }
      return send(
        res,
        202,
        {
          message: 'accepted',
          job_id: job.id,
          task_id: job.id,
          total_items: job.descriptions.length,
          estimated_duration: '1s',
          next_steps: [],
          tips: [],
          ...jobUrls(job, base, other),
        },
        {
          ...(replayed ? { 'idempotency-replayed': 'true' } : {}),
          ...(keys === 'silent' ? {} : { 'idempotency-key': key }),
        },
      );
    }
    const jobPath = /^\/api\/jobs\/([^/]+)\/(status|aggregates|errors|events|abort)\/$/.exec(url.pathname);
    const job = jobPath ? byId.get(jobPath[1] as string) : undefined;
    if (!jobPath || !job) return send(res, 404, { error: jobPath ? 'Job not found' : 'Not found' });
    const action = jobPath[2];
    if (job.script.delayMs > 0) await new Promise((r) => setTimeout(r, job.script.delayMs));
    const running = {
      ...finalStatus(job, base, other),
      state: 'In Progress',
      status: 'processing',
      processed_items: 0,
      success_count: 0,
      error_count: 0,
      percentage: 0,
      errors: null,
    };
    const { statusHttp, errorsHttp, aggregatesHttp } = job.script;
    if ((action === 'status' || action === 'events') && statusHttp)
      return redirectOr(res, statusHttp, `${base}/elsewhere/${job.id}/`);
    if (action === 'errors' && errorsHttp) return redirectOr(res, errorsHttp, `${base}/elsewhere/${job.id}/errors/`);
    if (action === 'aggregates' && aggregatesHttp)
      return redirectOr(res, aggregatesHttp, `${base}/elsewhere/${job.id}/aggregates/`);
    if (action === 'status' && job.script.statusBody === 'oversized')
      return send(res, 200, { ...running, pad: 'x'.repeat(OVERSIZE_PAD) });
    if (action === 'status' && job.script.statusBody === 'drip') return drip(res, JSON.stringify(running));
    if (action === 'events' && job.script.statusBody && job.script.statusBody !== 'normal') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      return job.script.statusBody === 'oversized'
        ? res.end(`data: ${JSON.stringify({ ...running, pad: 'x'.repeat(OVERSIZE_PAD) })}`)
        : drip(res, `data: ${JSON.stringify(running)}`);
    }
    if (action === 'status') {
      if (job.script.resetStatusOnce && job.statusResets === 0) {
        job.statusResets++;
        return req.socket.destroy();
      }
      job.polls++;
      return send(res, 200, job.polls <= job.script.pollsBeforeFinal ? running : finalStatus(job, base, other));
    }
    if (action === 'events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(`data: ${JSON.stringify(running)}\n\n`);
      const final = `data: ${JSON.stringify(finalStatus(job, base, other))}\n\n`;
      // The same bytes a stream may carry in one read: a final state, then a later event for the job.
      res.end(job.script.eventAfterFinal ? `${final}data: ${JSON.stringify(running)}\n\n` : final);
      return;
    }
    if (action === 'aggregates') {
      if (job.script.final !== 'Job Complete')
        return send(res, 400, { error: 'Job not ready for aggregates', state: job.script.final });
      return send(res, 200, { job_id: job.id, aggregate_results: { transaction_count: job.stored.size } });
    }
    if (action === 'errors') {
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 1000), job.script.pageCap);
      const list = recordErrorList(job);
      if (job.script.errorsOversized)
        return send(res, 200, {
          job_id: job.id,
          total: list.length,
          offset,
          limit,
          errors: list,
          pad: 'x'.repeat(OVERSIZE_PAD),
        });
      return send(res, 200, {
        job_id: job.id,
        total: list.length,
        offset,
        limit,
        errors: list.slice(offset, offset + limit),
      });
    }
    return send(res, 409, { error: 'Job already finished' });
  };
  const { url, close } = await listen(server);
  base = url;
  return {
    url,
    jobs,
    bodyTypes,
    startResets,
    storedDescriptions: () => new Set(jobs.flatMap((j) => [...j.stored].map((i) => j.descriptions[i] as string))),
    close,
  };
}
