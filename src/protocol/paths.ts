/** Paths of the job API. The client uses these only where a server gave no URL of its own. */
export const apiPaths = {
  bulk: (resource: string) => `/api/${encodeURIComponent(resource)}/bulk/`,
  /** (ext) What a delete job with a body would do now, doing nothing. */
  bulkMatch: (resource: string) => `/api/${encodeURIComponent(resource)}/bulk/match/`,
  status: (jobId: string) => `/api/jobs/${encodeURIComponent(jobId)}/status/`,
  aggregates: (jobId: string) => `/api/jobs/${encodeURIComponent(jobId)}/aggregates/`,
  errors: (jobId: string) => `/api/jobs/${encodeURIComponent(jobId)}/errors/`,
  events: (jobId: string) => `/api/jobs/${encodeURIComponent(jobId)}/events/`,
  abort: (jobId: string) => `/api/jobs/${encodeURIComponent(jobId)}/abort/`,
  jobs: () => '/api/jobs/',
  /** (ext) The caller's runs (a run: the jobs one upload started, by their Bulk-Run header), newest first. */
  runs: () => '/api/runs/',
  /** (ext) One run: its files, totals, state and failures by reason. */
  run: (runId: string) => `/api/runs/${encodeURIComponent(runId)}/`,
  /** (ext) The jobs of one run, paged. */
  runJobs: (runId: string) => `/api/runs/${encodeURIComponent(runId)}/jobs/`,
  /** (ext) The record errors of one run, with file, line and value, paged. */
  runErrors: (runId: string) => `/api/runs/${encodeURIComponent(runId)}/errors/`,
  /** (ext) Aborts every unfinished job of a run in one call. */
  runAbort: (runId: string) => `/api/runs/${encodeURIComponent(runId)}/abort/`,
  /** (ext) The jobs page's header: jobs by state, rows in the last hour, rows per 5 s over the last minutes. */
  overview: () => '/api/overview/',
  jobsEvents: () => '/api/jobs/events/',
  health: () => '/api/health/',
  /** (ext) Prometheus metrics of one `bulk serve` node. */
  metrics: () => '/metrics',
  /** (ext) Every resource's fields, types, required fields and unique keys. */
  resources: () => '/api/resources/',
  /** (ext) One resource's description. */
  resource: (name: string) => `/api/resources/${encodeURIComponent(name)}/`,
} as const;

export const IDEMPOTENCY_HEADER = 'idempotency-key';

/**
 * (ext) On an event stream's answer: how often, in milliseconds, the server sends a heartbeat
 * comment. A client that hears nothing for about two intervals may take the peer for dead.
 */
export const HEARTBEAT_HEADER = 'x-heartbeat-ms';
