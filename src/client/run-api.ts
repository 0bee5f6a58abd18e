/**
 * The runs endpoints (ext) as the command line uses them: list, one run, its jobs, its located
 * errors, abort; and the run a typed id (or a unique prefix of one) names. A server without runs
 * answers 404 to all of them: the callers then say runs need a server that keeps them.
 */
import type {
  LocatedErrorsPage,
  RunAbortResult,
  RunDetail,
  RunJobsPage,
  RunList,
  RunView,
} from '../protocol/run-shapes.js';
import { apiPaths } from '../protocol/paths.js';
import { ApiError } from './api-error.js';
import type { JobApiClient } from './job-api-client.js';

type Client = Pick<JobApiClient, 'request'>;

/** A run id as bulk makes them (`20261206T202532Z-350a68`) or any other id a job id cannot be. */
export function looksLikeRunId(typed: string): boolean {
  return /[^0-9a-f-]/i.test(typed.trim());
}

const withQuery = (path: string, query: Record<string, string | number | undefined>) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
  const text = q.toString();
  return text ? `${path}?${text}` : path;
};

/** Why a typed run id names no single run. */
export class RunIdError extends Error {
  constructor(
    message: string,
    readonly kind: 'ambiguous' | 'not-found' | 'unsupported',
  ) {
    super(message);
  }
}

export async function listRuns(client: Client, query: { limit?: number; before?: string; idPrefix?: string }) {
  const res = await client.request(
    'GET',
    withQuery(apiPaths.runs(), { limit: query.limit, before: query.before, id_prefix: query.idPrefix }),
    'list runs',
    [404],
  );
  if (res.status === 404)
    throw new RunIdError('this server keeps no runs (it is not bulk serve 0.2 or later)', 'unsupported');
  return res.body as RunList;
}

/** The one run `typed` starts (a whole id or a unique prefix). */
export async function resolveRunId(client: Client, typed: string): Promise<string> {
  const id = typed.trim();
  const { runs } = await listRuns(client, { idPrefix: id, limit: 3 });
  const exact = runs.find((r) => r.run_id === id);
  if (exact) return exact.run_id;
  if (runs.length > 1)
    throw new RunIdError(
      `${id} is the start of several runs (${runs.map((r) => r.run_id).join(', ')}, …): give more of the id`,
      'ambiguous',
    );
  if (!runs[0]) throw new RunIdError(`no run starting with ${id}`, 'not-found');
  return runs[0].run_id;
}

export async function getRun(client: Client, runId: string): Promise<RunDetail> {
  const res = await client.request('GET', apiPaths.run(runId), `run ${runId}`);
  return res.body as RunDetail;
}

export async function runJobsPage(client: Client, runId: string, after?: string): Promise<RunJobsPage> {
  const res = await client.request(
    'GET',
    withQuery(apiPaths.runJobs(runId), { limit: 500, after }),
    `jobs of run ${runId}`,
  );
  return res.body as RunJobsPage;
}

export async function runErrorsPage(
  client: Client,
  runId: string,
  limit: number,
  after?: string,
): Promise<LocatedErrorsPage & { total?: number }> {
  const res = await client.request(
    'GET',
    withQuery(apiPaths.runErrors(runId), { limit, after }),
    `errors of run ${runId}`,
  );
  return res.body as LocatedErrorsPage & { total?: number };
}

/** A job's errors in the keyset form, located (ext); null from a server that answers only the offset form. */
export async function jobErrorsPage(
  client: Client,
  jobId: string,
  limit: number,
  after: string,
): Promise<(LocatedErrorsPage & { total?: number }) | null> {
  const res = await client.request(
    'GET',
    `${apiPaths.errors(jobId)}?limit=${limit}&after=${encodeURIComponent(after)}`,
    `errors of job ${jobId}`,
    [400, 404, 405],
  );
  if (res.status !== 200) return null;
  const body = res.body as Partial<LocatedErrorsPage> | null;
  return body && Array.isArray(body.errors) && 'next' in body ? (body as LocatedErrorsPage) : null;
}

/** Asks every unfinished job of the run to stop; null when none was left (409). */
export async function abortRun(client: Client, runId: string): Promise<RunAbortResult | null> {
  const res = await client.request('POST', apiPaths.runAbort(runId), `abort run ${runId}`, [409]);
  if (res.status === 409) return null;
  if (!res.body || typeof res.body !== 'object')
    throw new ApiError('protocol', 'abort of a run: no answer body', res.status);
  return res.body as RunAbortResult;
}

export type { RunView };
