// The HTTP transport of the job API: every request the client makes passes here, with its headers,
// timeouts, retries and the mapping of failures to ApiError kinds, and only to the origin it was
// given (URLs a server hands out are followed on that origin, never elsewhere, so the token stays
// there). Knows HTTP, not the protocol.
import { Agent, EnvHttpProxyAgent, request, type Dispatcher } from 'undici';
import { ApiError, errorMessageOf } from './api-error.js';
import {
  classifyStatus,
  describeNetworkError,
  detailOf,
  LinkTimeoutError,
  meaningOf,
  neverSent,
  parseJsonBody,
} from './http-failures.js';
import {
  DEFAULT_RETRY,
  isRetryableNetworkError,
  isRetryableStatus,
  nextDelay,
  parseRetryAfter,
  type RetryOptions,
} from './retry-policy.js';
import { LinkPace } from './link-pace.js';
import { BodyBoundError, DEFAULT_MAX_ANSWER_BYTES, readBoundedBody } from './bounded-body.js';
import { msSince, sleep } from './sleep.js';

export interface TransportOptions {
  baseUrl: string;
  /** Sent as `Authorization: Bearer …`; never logged. */
  token?: string;
  /**
   * How long a request may see no bytes either way: waiting for the answer once its body is
   * written (plus the link's time to carry the bodies in flight), and between answer chunks.
   * @default 30000
   */
  timeoutMs?: number;
  /** The largest answer body (or server event line) read, in bytes. @default 64 MiB */
  maxAnswerBytes?: number;
  retry?: RetryOptions;
  /** After each request: `sentBytes` is its body's size (0 without one). */
  onHttp?: (info: { method: string; url: string; status: number | null; ms: number; sentBytes?: number }) => void;
  onRetry?: (info: { what: string; attempt: number; delayMs: number; reason: string; givesUpInMs?: number }) => void;
  /** Aborts waits and requests (Ctrl-C). */
  signal?: AbortSignal;
}

export interface SendOptions {
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** A label for retry messages. */
  what: string;
  /**
   * Whether a network failure may be retried. `unsent-only`: only one on connecting, when the
   * request never left (a start the server may not replay: another try could make a second job).
   */
  retry: boolean | 'unsent-only';
  /** Statuses that are an answer for this call rather than a failure to retry or throw. */
  answers?: number[];
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  /** The body as received, for what JSON.parse loses (a number's trailing zeros). */
  text?: string;
}

function pickDispatcher(): Dispatcher {
  const env = process.env;
  const proxied = env.HTTP_PROXY || env.http_proxy || env.HTTPS_PROXY || env.https_proxy;
  // Keep-alive matters: a run makes thousands of small requests to one origin.
  return proxied ? new EnvHttpProxyAgent() : new Agent({ keepAliveTimeout: 10_000, connections: 8 });
}

export class HttpTransport {
  readonly baseUrl: string;
  /** Scheme, host and port of the base URL: the one origin requests (and the token) may go to. */
  private readonly origin: string;
  private readonly dispatcher: Dispatcher;
  /** `unsent-only` requests each on a new connection: a kept-alive one the server is closing would lose it. */
  private fresh: Dispatcher | null = null;
  readonly timeoutMs: number;
  readonly maxAnswerBytes: number;
  private readonly retry: RetryOptions;
  private readonly pace = new LinkPace();

  constructor(private opts: TransportOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.origin = new URL(this.baseUrl).origin;
    this.dispatcher = pickDispatcher();
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.maxAnswerBytes = opts.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
    this.retry = opts.retry ?? DEFAULT_RETRY;
  }

  /** Reporters and signals are wired after the client exists (it may be made before the run starts). */
  setHooks(hooks: Pick<TransportOptions, 'onHttp' | 'onRetry' | 'signal'>): void {
    this.opts = { ...this.opts, ...hooks };
  }

  get signal(): AbortSignal | undefined {
    return this.opts.signal;
  }

  /** How long a failing operation keeps being retried (--deadline). */
  get deadlineMs(): number {
    return this.retry.deadlineMs;
  }

  resolve(pathOrUrl: string): string {
    try {
      return new URL(pathOrUrl, `${this.baseUrl}/`).toString();
    } catch {
      throw new ApiError(
        'protocol',
        `the server gave a URL that does not parse (${JSON.stringify(String(pathOrUrl).slice(0, 100))})`,
      );
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close().catch(() => undefined);
    await this.fresh?.close().catch(() => undefined);
  }

  /** Opens a long-lived GET (an event stream), once, without retries; the caller reads the body. */
  async openStream(url: string, accept: string, what: string, signal?: AbortSignal): Promise<Dispatcher.ResponseData> {
    this.checkOrigin(url, what);
    const started = Date.now();
    const res = await request(url, {
      method: 'GET',
      dispatcher: this.dispatcher,
      headers: { ...this.authHeaders(), accept },
      headersTimeout: this.timeoutMs,
      // Servers send heartbeats; silence for this long means the stream is dead.
      bodyTimeout: Math.max(this.timeoutMs, 60_000),
      signal: signal ?? this.opts.signal,
    });
    this.opts.onHttp?.({ method: 'GET', url, status: res.statusCode, ms: msSince(started) });
    return res;
  }

  /** A URL off the base URL's origin is a protocol violation: refused before any byte (or token) goes out. */
  private checkOrigin(url: string, what: string): void {
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      throw new ApiError(
        'protocol',
        `${what}: the server gave a URL that does not parse (${JSON.stringify(url.slice(0, 100))})`,
      );
    }
    if (origin !== this.origin) {
      throw new ApiError(
        'protocol',
        `${what}: the server gave a URL on another origin (${origin}); bulk follows URLs only on ${this.origin}`,
        null,
        null,
        'other-origin',
      );
    }
  }

  private authHeaders(): Record<string, string> {
    return this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {};
  }

  /** One call with its retries: a 2xx JSON answer, an `answers` status, or an ApiError. */
  async send(method: string, url: string, opts: SendOptions): Promise<RawResponse> {
    this.checkOrigin(url, opts.what);
    const began = Date.now();
    // The first failure after which the server may have the request: it decides what giving up means.
    let mayHaveArrived: 'timeout' | 'reset' | null = null;
    for (let attempt = 0; ; attempt++) {
      let failure: { reason: string; retryAfterMs: number | null; error: ApiError };
      const t0 = Date.now();
      const sentBytes = opts.body === undefined ? 0 : Buffer.byteLength(opts.body);
      const paced = this.pace.begin(sentBytes, t0);
      // The wait for the answer's headers is watched here rather than by undici's headersTimeout,
      // which starts when the body is handed to the socket (see link-pace.ts for why that is wrong).
      const watch = new AbortController();
      const watchdog = setInterval(() => {
        if (paced.overdue(Date.now(), this.timeoutMs)) watch.abort(new LinkTimeoutError(this.timeoutMs));
      }, WATCH_MS);
      try {
        let res: Dispatcher.ResponseData;
        try {
          const once = opts.retry === 'unsent-only';
          res = await request(url, {
            method: method as Dispatcher.HttpMethod,
            dispatcher: once ? (this.fresh ??= pickDispatcher()) : this.dispatcher,
            ...(once ? { reset: true } : {}),
            headers: { ...this.authHeaders(), accept: 'application/json', ...opts.headers },
            body: opts.body,
            headersTimeout: 0,
            // The body's pace is watched by readBoundedBody: silence and trickles alike.
            bodyTimeout: 0,
            signal: this.opts.signal ? AbortSignal.any([this.opts.signal, watch.signal]) : watch.signal,
          });
        } finally {
          clearInterval(watchdog);
        }
        paced.end(Date.now(), true);
        let text: string;
        try {
          text = await readBoundedBody(res.body, res.headers, {
            maxBytes: this.maxAnswerBytes,
            timeoutMs: this.timeoutMs,
          });
        } catch (err) {
          if (!(err instanceof BodyBoundError)) throw err;
          this.opts.onHttp?.({ method, url, status: res.statusCode, ms: msSince(t0), sentBytes });
          // Not retried: the same answer would come again, as large or as slow.
          throw new ApiError(
            err.detail === 'over-limit' ? 'protocol' : 'unreachable',
            `${opts.what}: ${err.message}`,
            res.statusCode,
            null,
            err.detail,
          );
        }
        this.opts.onHttp?.({ method, url, status: res.statusCode, ms: msSince(t0), sentBytes });
        const contentType = String(res.headers['content-type'] ?? '');
        const body = parseJsonBody(text, contentType);
        if (res.statusCode >= 200 && res.statusCode < 300) {
          if (body === undefined) {
            throw new ApiError(
              'protocol',
              `${opts.what}: server answered ${res.statusCode} without a JSON body`,
              res.statusCode,
            );
          }
          return { status: res.statusCode, headers: res.headers, body, text };
        }
        if (opts.answers?.includes(res.statusCode)) return { status: res.statusCode, headers: res.headers, body };
        const message = meaningOf(res.statusCode, errorMessageOf(body, `HTTP ${res.statusCode}`));
        const error = classifyStatus(res.statusCode, `${opts.what}: ${message}`, body);
        if (!isRetryableStatus(res.statusCode)) throw error;
        failure = {
          reason: `HTTP ${res.statusCode}`,
          retryAfterMs: parseRetryAfter(res.headers['retry-after']),
          error,
        };
      } catch (thrown) {
        if (thrown instanceof ApiError) throw thrown;
        paced.end(Date.now(), false);
        if (this.opts.signal?.aborted) throw thrown;
        const err: unknown = watch.signal.aborted ? watch.signal.reason : thrown;
        this.opts.onHttp?.({ method, url, status: null, ms: msSince(t0), sentBytes });
        if (!isRetryableNetworkError(err)) throw err;
        const unsent = neverSent(err);
        if (!unsent) mayHaveArrived ??= detailOf(err);
        const detail = mayHaveArrived ?? 'refused';
        const error = new ApiError('unreachable', `${opts.what}: ${describeNetworkError(err)}`, null, null, detail);
        if (!opts.retry || (opts.retry === 'unsent-only' && !unsent)) throw error;
        failure = { reason: describeNetworkError(err), retryAfterMs: null, error };
      }
      const delay = nextDelay({
        attempt,
        retryAfterMs: failure.retryAfterMs,
        elapsedMs: msSince(began),
        policy: this.retry,
      });
      if (delay === null) throw gaveUp(failure.error, attempt + 1, mayHaveArrived);
      this.opts.onRetry?.({
        what: opts.what,
        attempt: attempt + 1,
        delayMs: delay,
        reason: failure.reason,
        givesUpInMs: Math.max(0, this.retry.deadlineMs - msSince(began)),
      });
      await sleep(delay, this.opts.signal);
    }
  }
}

/** How often a request waiting for its answer checks whether it has waited too long. */
const WATCH_MS = 100;

/** The error a call ends with once its retries are spent; a lost answer on any attempt makes it one. */
function gaveUp(last: ApiError, attempts: number, mayHaveArrived: 'timeout' | 'reset' | null): ApiError {
  const { status } = last;
  if (last.kind !== 'unreachable' && status !== null && status < 500 && status !== 429) return last;
  const lost =
    mayHaveArrived && last.detail !== mayHaveArrived ? '; an earlier attempt may have reached the server' : '';
  return new ApiError(
    'unreachable',
    `${last.message} (gave up after ${attempts} attempts${lost})`,
    status,
    null,
    mayHaveArrived ?? last.detail,
  );
}
