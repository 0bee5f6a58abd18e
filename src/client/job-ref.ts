// A job's URLs in one place: those the server gave, else the protocol's paths, resolved against
// the server's base URL.
import { apiPaths, type StartResponse, type StatusResponse } from '../protocol/index.js';

/** Absolute URLs of one job, as the server gave them (or built from the protocol's paths where it gave none). */
export interface JobRef {
  jobId: string;
  statusUrl: string;
  aggregatesUrl: string;
  errorsUrl?: string;
  eventsUrl?: string;
  abortUrl?: string;
}

export function jobRefFromStart(start: StartResponse, resolve: (path: string) => string): JobRef {
  const id = start.job_id;
  return {
    jobId: id,
    statusUrl: resolve(start.status_url ?? apiPaths.status(id)),
    aggregatesUrl: resolve(start.aggregates_url ?? apiPaths.aggregates(id)),
    errorsUrl: start.errors_url ? resolve(start.errors_url) : undefined,
    eventsUrl: start.events_url ? resolve(start.events_url) : undefined,
    abortUrl: start.abort_url ? resolve(start.abort_url) : undefined,
  };
}

/**
 * For commands that only have a job id (bulk status, watch…): the guide's two paths on our base URL.
 * The (ext) URLs are learned from the first status answer, so servers without them still work.
 */
export function jobRefFromId(jobId: string, resolve: (path: string) => string): JobRef {
  return { jobId, statusUrl: resolve(apiPaths.status(jobId)), aggregatesUrl: resolve(apiPaths.aggregates(jobId)) };
}

/** Adds the (ext) URLs a status answer carries to a ref that lacks them. */
export function withStatusUrls(ref: JobRef, status: StatusResponse, resolve: (path: string) => string): JobRef {
  return {
    ...ref,
    errorsUrl: ref.errorsUrl ?? (status.errors_url ? resolve(status.errors_url) : undefined),
    eventsUrl: ref.eventsUrl ?? (status.events_url ? resolve(status.events_url) : undefined),
    abortUrl: ref.abortUrl ?? (status.abort_url ? resolve(status.abort_url) : undefined),
  };
}
