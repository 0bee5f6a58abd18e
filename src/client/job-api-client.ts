// The job API of the protocol (start, status, aggregates, errors, abort, list, health) as typed
// calls. Requests go through the HTTP transport; server events through the events follower.
import {
  apiPaths,
  IDEMPOTENCY_HEADER,
  RUN_HEADER,
  type AggregatesResponse,
  type ErrorsPage,
  type HealthResponse,
  type JobsList,
  type MatchResponse,
  type ResourceDescription,
  type ResourceList,
  type StartResponse,
  type StatusResponse,
} from '../protocol/index.js';
import { ApiError, errorMessageOf } from './api-error.js';
import { followEvents } from './events-follower.js';
import { HttpTransport, type TransportOptions } from './http-transport.js';
import { jobRefFromStart, type JobRef } from './job-ref.js';
import { parseStatus } from './parse-status.js';
import { memberNumberLiterals, rememberLiterals } from '../protocol/number-literals.js';
import { formatSourceHeader, SOURCE_HEADER } from '../protocol/job-source.js';

export type JobApiClientOptions = TransportOptions;

/** A delete job's key: the records whose values of these fields match a row go. */
export interface DeleteByKey {
  uniqueFields: string[];
}

/** What a start request got: a job to follow, or (a server that handled the batch at once) its results. */
export type StartAnswer =
  | {
      kind: 'job';
      start: StartResponse;
      ref: JobRef;
      replayed: boolean;
      /** The answer echoed the Idempotency-Key (ext): this server honours keys, so a resend cannot store twice. */
      keyHonoured: boolean;
    }
  | { kind: 'results'; status: number; body: unknown };

/** The job API over HTTP, with retries. Knows the protocol, not the upload. */
/** Every HTTP status from 300 to 599. */
const EVERY_STATUS = Array.from({ length: 300 }, (_, i) => 300 + i);

export class JobApiClient {
  private readonly transport: HttpTransport;
  /** The run every job started from here belongs to (ext Bulk-Run header); null sends none. */
  private runId: string | null = null;
  /** The server echoed an Idempotency-Key (ext): a start whose answer was lost may be sent again. */
  private keysHonoured = false;

  constructor(opts: JobApiClientOptions) {
    this.transport = new HttpTransport(opts);
  }

  get baseUrl(): string {
    return this.transport.baseUrl;
  }

  /** Labels every job this client starts with its run, so the server can group them (a guide-only one ignores it). */
  setRun(runId: string | null): void {
    this.runId = runId;
  }

  /** The server has shown it honours Idempotency-Key (an earlier run's answer did): starts may be retried. */
  trustKeys(): void {
    this.keysHonoured = true;
  }

  /** How long a failing operation keeps being retried (--deadline); a job the server cannot write for is one. */
  get deadlineMs(): number {
    return this.transport.deadlineMs;
  }

  /** Reporters and signals are wired after the client exists (it may be made before the run starts). */
  setHooks(hooks: Pick<JobApiClientOptions, 'onHttp' | 'onRetry' | 'signal'>): void {
    this.transport.setHooks(hooks);
  }

  resolve(pathOrUrl: string): string {
    return this.transport.resolve(pathOrUrl);
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  async startJob(args: {
    resource: string;
    body: string | Buffer;
    /** The body's type: the guide's JSON array unless the server listed another (`body_types`). */
    contentType?: string;
    idempotencyKey?: string;
    upsert?: { uniqueFields: string[]; updateFields?: string[] };
    /** Delete the records with these keys instead (DELETE); the body holds key records. */
    delete?: DeleteByKey;
    /** Where the rows came from (ext header): shown by the server's jobs page. */
    source?: { file: string; firstLine: number; lastLine: number };
  }): Promise<StartAnswer> {
    let path = apiPaths.bulk(args.resource);
    const keyed = args.delete ?? args.upsert;
    if (keyed) {
      const query = new URLSearchParams({ unique_fields: keyed.uniqueFields.join(',') });
      if (args.upsert?.updateFields?.length && !args.delete)
        query.set('update_fields', args.upsert.updateFields.join(','));
      path += `?${query.toString()}`;
    }
    const headers: Record<string, string> = { 'content-type': args.contentType ?? 'application/json' };
    if (args.idempotencyKey) headers[IDEMPOTENCY_HEADER] = args.idempotencyKey;
    if (this.runId) headers[RUN_HEADER] = this.runId;
    if (args.source)
      headers[SOURCE_HEADER] = formatSourceHeader(args.source.file, args.source.firstLine, args.source.lastLine);
    const url = this.transport.resolve(path);
    // A start whose answer was lost is sent again only where that cannot store its rows twice: the
    // server replays keys, or the rows go by a unique key; else only a start that never left.
    const retry = !args.idempotencyKey ? false : this.keysHonoured || keyed ? true : 'unsent-only';
    const res = await this.transport
      .send(args.delete ? 'DELETE' : args.upsert ? 'PATCH' : 'POST', url, {
        body: args.body,
        headers,
        what: `start job (${args.resource})`,
        retry,
      })
      .catch((err: unknown) => {
        if (err instanceof ApiError && retry === 'unsent-only' && (err.detail === 'reset' || err.detail === 'timeout'))
          throw new ApiError(
            err.kind,
            `${err.message}; not sent again: the server may have made a job of it, ` +
              `and it has not said it replays Idempotency-Key, so a second start could store the rows twice`,
            err.status,
            err.body,
            err.detail,
          );
        // A 404 to a start is the resource, whatever the body (an HTML page, or the protocol's error).
        if (!(err instanceof ApiError) || err.kind !== 'not-found') throw err;
        const own = errorMessageOf(err.body, '');
        const says = own ? ` (it says: ${own})` : '';
        const where = new URL(url);
        const message = `the server has no resource ${args.resource} at ${where.origin}${where.pathname}${says}`;
        throw new ApiError('not-found', message, err.status, err.body, 'unknown-resource');
      });
    const start = res.body as StartResponse;
    // A server may handle a small batch at once and answer its results instead of a job.
    if (!start || typeof start !== 'object' || typeof start.job_id !== 'string')
      return { kind: 'results', status: res.status, body: res.body };
    const replayed = String(res.headers['idempotency-replayed'] ?? '') === 'true';
    const keyHonoured = Boolean(args.idempotencyKey) && res.headers[IDEMPOTENCY_HEADER] === args.idempotencyKey;
    if (keyHonoured) this.keysHonoured = true;
    return { kind: 'job', start, ref: jobRefFromStart(start, (p) => this.transport.resolve(p)), replayed, keyHonoured };
  }

  async getStatus(ref: JobRef): Promise<StatusResponse> {
    const res = await this.transport.send('GET', ref.statusUrl, { what: `status of job ${ref.jobId}`, retry: true });
    return parseStatus(res.body, ref.jobId, res.status);
  }

  async getAggregates(ref: JobRef): Promise<AggregatesResponse> {
    const res = await this.transport.send('GET', ref.aggregatesUrl, {
      what: `aggregates of job ${ref.jobId}`,
      retry: true,
    });
    const body = res.body as AggregatesResponse;
    if (res.text && body.aggregate_results && typeof body.aggregate_results === 'object')
      rememberLiterals(body.aggregate_results, memberNumberLiterals(res.text, 'aggregate_results'));
    return body;
  }

  /** One page of record errors; null when the server has no errors endpoint. */
  async getErrorsPage(ref: JobRef, offset: number, limit: number): Promise<ErrorsPage | null> {
    if (!ref.errorsUrl) return null;
    const url = new URL(ref.errorsUrl);
    url.searchParams.set('offset', String(offset));
    url.searchParams.set('limit', String(limit));
    const res = await this.transport.send('GET', url.toString(), { what: `errors of job ${ref.jobId}`, retry: true });
    return res.body as ErrorsPage;
  }

  async abort(ref: JobRef): Promise<StatusResponse> {
    const url = ref.abortUrl ?? this.transport.resolve(apiPaths.abort(ref.jobId));
    // 409: the job finished before the abort reached it. Its final status is the answer; retrying
    // (409 is otherwise "try again shortly") would wait forever.
    const res = await this.transport.send('POST', url, { what: `abort job ${ref.jobId}`, retry: true, answers: [409] });
    return res.status === 409 ? this.getStatus(ref) : parseStatus(res.body, ref.jobId, res.status);
  }

  /** `idPrefix` (ext): a server without it ignores it and lists its newest jobs. */
  async listJobs(query: { state?: string; limit?: number; idPrefix?: string }): Promise<JobsList> {
    const url = new URL(this.transport.resolve(apiPaths.jobs()));
    if (query.state) url.searchParams.set('state', query.state);
    if (query.idPrefix) url.searchParams.set('id_prefix', query.idPrefix);
    if (query.limit) url.searchParams.set('limit', String(query.limit));
    const res = await this.transport.send('GET', url.toString(), { what: 'list jobs', retry: true });
    return res.body as JobsList;
  }

  /**
   * (ext) The resources the server describes, or null when it does not (a guide-only server's 404,
   * an answer that is not a resource list, or no answer): the caller then skips what needs them.
   * Asked once, without retries: a server that cannot answer is the first job's to report.
   */
  async describeResources(): Promise<ResourceDescription[] | null> {
    try {
      // Every status is an answer, so nothing is retried: a 502 storm is the first job's to ride out.
      const res = await this.transport.send('GET', this.transport.resolve(apiPaths.resources()), {
        what: 'resource descriptions',
        retry: false,
        answers: EVERY_STATUS,
      });
      if (res.status < 200 || res.status > 299) return null;
      const list = (res.body as Partial<ResourceList>)?.resources;
      const valid =
        Array.isArray(list) &&
        list.every(
          (r) =>
            r &&
            typeof r.name === 'string' &&
            Array.isArray(r.fields) &&
            r.fields.every((f) => f && typeof f.name === 'string'),
        );
      return valid ? (list as ResourceDescription[]) : null;
    } catch (err) {
      if (err instanceof ApiError) return null;
      throw err;
    }
  }

  /**
   * (ext) What a delete job with this body would do now, changing nothing, as the server answered it
   * (unchecked); `offered: false` when the server does not offer it (a guide-only server's 404 or
   * 405). Read-only, so retried like a status read.
   */
  async matchDeletes(
    resource: string,
    uniqueFields: string[],
    body: string | Buffer,
  ): Promise<{ offered: false } | { offered: true; answer: Partial<MatchResponse> | null }> {
    const query = new URLSearchParams({ unique_fields: uniqueFields.join(',') }).toString();
    const path = `${apiPaths.bulkMatch(resource)}?${query}`;
    const res = await this.transport.send('POST', this.transport.resolve(path), {
      body,
      headers: { 'content-type': 'application/json' },
      what: `match delete keys (${resource})`,
      retry: true,
      answers: [404, 405, 501],
    });
    return res.status >= 200 && res.status <= 299
      ? { offered: true, answer: res.body as Partial<MatchResponse> | null }
      : { offered: false };
  }

  /**
   * (ext) A read or action of an endpoint this class does not model (runs: run-api.ts); `answers`
   * are returned, not thrown.
   */
  async request(
    method: 'GET' | 'POST',
    path: string,
    what: string,
    answers: number[] = [],
  ): Promise<{ status: number; body: unknown }> {
    const res = await this.transport.send(method, this.transport.resolve(path), { what, retry: true, answers });
    return { status: res.status, body: res.body };
  }

  async health(): Promise<HealthResponse> {
    const res = await this.transport.send('GET', this.transport.resolve(apiPaths.health()), {
      what: 'health',
      retry: true,
    });
    return res.body as HealthResponse;
  }

  /** Follows a job's server events to its final status; null when the stream ends early (see events-follower). */
  followEvents(
    ref: JobRef,
    onStatus: (status: StatusResponse) => void,
    signal?: AbortSignal,
  ): Promise<StatusResponse | null> {
    return followEvents(this.transport, ref, onStatus, signal);
  }
}
