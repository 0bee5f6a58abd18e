import { Agent, EnvHttpProxyAgent, request, type Dispatcher } from 'undici';
import { createParser } from 'eventsource-parser';
import {
  apiPaths,
  isFinal,
  type AggregatesResponse,
  type ErrorsPage,
  type HealthResponse,
  type JobsList,
  type StartResponse,
  type StatusResponse,
} from '../protocol/index.js';
import { ApiError, errorMessageOf } from './api-error.js';
import { DEFAULT_RETRY, isRetryableNetworkError, isRetryableStatus, nextDelay, parseRetryAfter, type RetryOptions } from './retry-policy.js';
import { jobRefFromStart, type JobRef } from './job-ref.js';

export interface JobApiClientOptions {
  baseUrl: string;
  /** Sent as `Authorization: Bearer …`; never logged. */
  token?: string;
  /** Per-request time to wait for response headers and between body chunks. @default 30000 */
  timeoutMs?: number;
  retry?: RetryOptions;
  onHttp?: (info: { method: string; url: string; status: number | null; ms: number }) => void;
  onRetry?: (info: { what: string; attempt: number; delayMs: number; reason: string }) => void;
  /** Aborts waits and requests (Ctrl-C). */
  signal?: AbortSignal;
}

interface SendOptions {
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** A label for retry messages. */
  what: string;
  /** Whether a network failure may be retried (job starts only with an idempotency key). */
  retry: boolean;
  /** Statuses that are an answer for this call rather than a failure to retry or throw. */
  answers?: number[];
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

function pickDispatcher(): Dispatcher {
  const env = process.env;
  const proxied = env.HTTP_PROXY || env.http_proxy || env.HTTPS_PROXY || env.https_proxy;
  // Keep-alive matters: a run makes thousands of small requests to one origin.
  return proxied ? new EnvHttpProxyAgent() : new Agent({ keepAliveTimeout: 10_000, connections: 8 });
}

/** The job API over HTTP, with retries. Knows the protocol, not the upload. */
export class JobApiClient {
  readonly baseUrl: string;
  private readonly dispatcher: Dispatcher;
  private readonly timeoutMs: number;
  private readonly retry: RetryOptions;

  constructor(private opts: JobApiClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.dispatcher = pickDispatcher();
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.retry = opts.retry ?? DEFAULT_RETRY;
  }

  /** Reporters and signals are wired after the client exists (it may be made before the run starts). */
  setHooks(hooks: Pick<JobApiClientOptions, 'onHttp' | 'onRetry' | 'signal'>): void {
    this.opts = { ...this.opts, ...hooks };
  }

  resolve(pathOrUrl: string): string {
    return new URL(pathOrUrl, `${this.baseUrl}/`).toString();
  }

  async close(): Promise<void> {
    await this.dispatcher.close().catch(() => undefined);
  }

  async startJob(args: {
    resource: string;
    body: string | Buffer;
    idempotencyKey?: string;
    upsert?: { uniqueFields: string[]; updateFields?: string[] };
  }): Promise<{ start: StartResponse; ref: JobRef; replayed: boolean }> {
    let path = apiPaths.bulk(args.resource);
    if (args.upsert) {
      const query = new URLSearchParams({ unique_fields: args.upsert.uniqueFields.join(',') });
      if (args.upsert.updateFields?.length) query.set('update_fields', args.upsert.updateFields.join(','));
      path += `?${query.toString()}`;
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (args.idempotencyKey) headers['idempotency-key'] = args.idempotencyKey;
    const res = await this.send(args.upsert ? 'PATCH' : 'POST', this.resolve(path), {
      body: args.body,
      headers,
      what: `start job (${args.resource})`,
      retry: Boolean(args.idempotencyKey),
    });
    const start = res.body as StartResponse;
    if (!start || typeof start.job_id !== 'string') {
      throw new ApiError('protocol', 'server accepted the batch but its answer has no job_id', res.status, res.body);
    }
    const replayed = String(res.headers['idempotency-replayed'] ?? '') === 'true';
    return { start, ref: jobRefFromStart(start, (p) => this.resolve(p)), replayed };
  }

  async getStatus(ref: JobRef): Promise<StatusResponse> {
    const res = await this.send('GET', ref.statusUrl, { what: `status of job ${ref.jobId}`, retry: true });
    const status = res.body as StatusResponse;
    if (!status || typeof status.state !== 'string') {
      throw new ApiError('protocol', `status of job ${ref.jobId} has no state`, res.status, res.body);
    }
    return status;
  }

  async getAggregates(ref: JobRef): Promise<AggregatesResponse> {
    const res = await this.send('GET', ref.aggregatesUrl, { what: `aggregates of job ${ref.jobId}`, retry: true });
    return res.body as AggregatesResponse;
  }

  /** One page of record errors; null when the server has no errors endpoint. */
  async getErrorsPage(ref: JobRef, offset: number, limit: number): Promise<ErrorsPage | null> {
    if (!ref.errorsUrl) return null;
    const url = new URL(ref.errorsUrl);
    url.searchParams.set('offset', String(offset));
    url.searchParams.set('limit', String(limit));
    const res = await this.send('GET', url.toString(), { what: `errors of job ${ref.jobId}`, retry: true });
    return res.body as ErrorsPage;
  }

  async abort(ref: JobRef): Promise<StatusResponse> {
    const url = ref.abortUrl ?? this.resolve(apiPaths.abort(ref.jobId));
    // 409: the job finished before the abort reached it. Its final status is the answer; retrying
    // (409 is otherwise "try again shortly") would wait forever.
    const res = await this.send('POST', url, { what: `abort job ${ref.jobId}`, retry: true, answers: [409] });
    return res.status === 409 ? this.getStatus(ref) : (res.body as StatusResponse);
  }

  async listJobs(query: { state?: string; limit?: number }): Promise<JobsList> {
    const url = new URL(this.resolve(apiPaths.jobs()));
    if (query.state) url.searchParams.set('state', query.state);
    if (query.limit) url.searchParams.set('limit', String(query.limit));
    const res = await this.send('GET', url.toString(), { what: 'list jobs', retry: true });
    return res.body as JobsList;
  }

  async health(): Promise<HealthResponse> {
    const res = await this.send('GET', this.resolve(apiPaths.health()), { what: 'health', retry: true });
    return res.body as HealthResponse;
  }

  /**
   * Follows a job's server events until it reaches a final state. Returns the final status, or
   * null when the stream ended early or failed, so the caller falls back to polling.
   *
   * `signal` ends the stream: the caller's follow signal, not the client's stop signal, so a first
   * Ctrl-C lets a job in flight be heard to its end (the run's grace period) instead of cutting it off.
   */
  async followEvents(ref: JobRef, onStatus: (status: StatusResponse) => void, signal?: AbortSignal): Promise<StatusResponse | null> {
    if (!ref.eventsUrl) return null;
    const started = Date.now();
    let last: StatusResponse | null = null;
    try {
      const res = await request(ref.eventsUrl, {
        method: 'GET',
        dispatcher: this.dispatcher,
        headers: { ...this.authHeaders(), accept: 'text/event-stream' },
        headersTimeout: this.timeoutMs,
        // Servers send heartbeats; silence for this long means the stream is dead.
        bodyTimeout: Math.max(this.timeoutMs, 60_000),
        signal: signal ?? this.opts.signal,
      });
      this.opts.onHttp?.({ method: 'GET', url: ref.eventsUrl, status: res.statusCode, ms: Date.now() - started });
      if (res.statusCode !== 200) {
        await res.body.dump();
        if (res.statusCode === 404) throw new ApiError('not-found', `job ${ref.jobId} is not known to the server`, 404);
        return null;
      }
      const parser = createParser({
        onEvent: (message) => {
          try {
            const status = JSON.parse(message.data) as StatusResponse;
            if (status && typeof status.state === 'string') {
              last = status;
              onStatus(status);
            }
          } catch {
            // A malformed event is skipped; polling settles the truth if the stream ends without a final state.
          }
        },
      });
      // undici's body yields Buffers whatever setEncoding says; a streaming decoder keeps a
      // character split across two chunks whole.
      const decoder = new TextDecoder();
      for await (const chunk of res.body) {
        parser.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk as Uint8Array, { stream: true }));
        if (last && isFinal((last as StatusResponse).state)) {
          res.body.destroy();
          break;
        }
      }
    } catch (err) {
      if (err instanceof ApiError) throw err;
      if ((signal ?? this.opts.signal)?.aborted) throw err;
      return null;
    }
    return last && isFinal((last as StatusResponse).state) ? last : null;
  }

  private authHeaders(): Record<string, string> {
    return this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {};
  }

  private async send(method: string, url: string, opts: SendOptions): Promise<RawResponse> {
    const began = Date.now();
    for (let attempt = 0; ; attempt++) {
      let failure: { reason: string; retryAfterMs: number | null; error: ApiError };
      const t0 = Date.now();
      try {
        const res = await request(url, {
          method: method as Dispatcher.HttpMethod,
          dispatcher: this.dispatcher,
          headers: { ...this.authHeaders(), accept: 'application/json', ...opts.headers },
          body: opts.body,
          headersTimeout: this.timeoutMs,
          bodyTimeout: this.timeoutMs,
          signal: this.opts.signal,
        });
        const text = await res.body.text();
        this.opts.onHttp?.({ method, url, status: res.statusCode, ms: Date.now() - t0 });
        const contentType = String(res.headers['content-type'] ?? '');
        const body = parseJsonBody(text, contentType);
        if (res.statusCode >= 200 && res.statusCode < 300) {
          if (body === undefined) {
            throw new ApiError('protocol', `${opts.what}: server answered ${res.statusCode} without a JSON body`, res.statusCode);
          }
          return { status: res.statusCode, headers: res.headers, body };
        }
        if (opts.answers?.includes(res.statusCode)) return { status: res.statusCode, headers: res.headers, body };
        const message = errorMessageOf(body, `HTTP ${res.statusCode}`);
        const error = classifyStatus(res.statusCode, `${opts.what}: ${message}`, body);
        if (!isRetryableStatus(res.statusCode)) throw error;
        failure = { reason: `HTTP ${res.statusCode}`, retryAfterMs: parseRetryAfter(res.headers['retry-after']), error };
      } catch (err) {
        if (err instanceof ApiError) throw err;
        if (this.opts.signal?.aborted) throw err;
        this.opts.onHttp?.({ method, url, status: null, ms: Date.now() - t0 });
        if (!isRetryableNetworkError(err) || !opts.retry) {
          if (isRetryableNetworkError(err)) {
            throw new ApiError('unreachable', `${opts.what}: ${describeNetworkError(err)}`);
          }
          throw err;
        }
        failure = {
          reason: describeNetworkError(err),
          retryAfterMs: null,
          error: new ApiError('unreachable', `${opts.what}: ${describeNetworkError(err)}`),
        };
      }
      const delay = nextDelay({ attempt, retryAfterMs: failure.retryAfterMs, elapsedMs: Date.now() - began, policy: this.retry });
      if (delay === null) {
        throw failure.error.kind === 'unreachable' || failure.error.status === null || failure.error.status >= 500 || failure.error.status === 429
          ? new ApiError('unreachable', `${failure.error.message} (gave up after ${attempt + 1} attempts)`, failure.error.status)
          : failure.error;
      }
      this.opts.onRetry?.({ what: opts.what, attempt: attempt + 1, delayMs: delay, reason: failure.reason });
      await sleep(delay, this.opts.signal);
    }
  }
}

function parseJsonBody(text: string, contentType: string): unknown {
  if (!text) return undefined;
  // 502/503 pages from proxies are HTML: never feed them to JSON.parse as if they were ours.
  if (contentType && !contentType.includes('json')) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function classifyStatus(status: number, message: string, body: unknown): ApiError {
  if (status === 401 || status === 403) return new ApiError('auth', message, status, body);
  if (status === 404) return new ApiError('not-found', message, status, body);
  if (status === 413) return new ApiError('too-large', message, status, body);
  if (status >= 500 || status === 429 || status === 408 || status === 409) return new ApiError('unreachable', message, status, body);
  return new ApiError('rejected', message, status, body);
}

function describeNetworkError(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  const message = e.cause?.message ?? e.message ?? String(err);
  return code ? `${code} ${message}`.trim() : message;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
