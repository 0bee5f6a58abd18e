/**
 * Every API route of the server, matched by patterns derived from protocol/paths.ts (the client
 * builds its URLs from the same table): its name (also its label in metrics), its method, whether
 * it needs a token, and its handler.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiPaths } from '../../protocol/index.js';
import { HttpError } from '../http/http-io.js';
import type { ServerContext } from '../server-context.js';
import { startJob } from './bulk-routes.js';
import { matchKeys } from './match-route.js';
import {
  abortJob,
  getAggregates,
  getErrors,
  getStatus,
  listJobs,
  streamEvents,
  UUID_RE,
  visibleJob,
} from './job-routes.js';
import { streamAllEvents } from './jobs-stream.js';
import { getOverview } from './overview-route.js';
import {
  abortRun,
  getRun,
  listJobErrorsAfter,
  listJobsPage,
  listRunErrors,
  listRunJobs,
  listRuns,
} from './run-routes.js';
import { getHealth } from './health-route.js';
import { getMetrics } from './metrics-route.js';
import { getResource, listResources } from './resource-routes.js';

export interface RouteCall {
  ctx: ServerContext;
  req: IncomingMessage;
  res: ServerResponse;
  /** The path's parameters, decoded. */
  params: string[];
  query: URLSearchParams;
  /** The token's name ('' without tokens); '' on routes that need none. */
  owner: string;
  /** Names the job the request is about (a well-formed id), for its access-log line. */
  setJobId(id: string): void;
}

export interface Route {
  name: string;
  /** Null: the handler answers every method itself. */
  method: 'GET' | 'POST' | null;
  /** Health answers load balancers without a token; everything else follows the token rule. */
  public?: boolean;
  pattern: RegExp;
  /** What a malformed escape in a parameter answers (404 with this message). */
  notFound?: (raw: string) => string;
  handle(call: RouteCall): Promise<void> | void;
}

const PARAM = 'PARAMSLOT';

/** `/api/jobs/PARAMSLOT/status/` → /^\/api\/jobs\/([^/]+)\/status\/?$/ */
function patternOf(path: string): RegExp {
  const body = path
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replaceAll(PARAM, '([^/]+)')
    .replace(/\/$/, '');
  return new RegExp(`^${body}/?$`);
}

async function jobRoute(
  call: RouteCall,
  run: (job: Awaited<ReturnType<typeof visibleJob>>) => Promise<void> | void,
): Promise<void> {
  const id = call.params[0] as string;
  if (UUID_RE.test(id)) call.setJobId(id);
  return run(await visibleJob(call.ctx, id, call.owner));
}

const jobNotFound = () => 'Job not found';
const runNotFound = () => 'Run not found';

export const ROUTES: readonly Route[] = [
  {
    name: 'health',
    method: 'GET',
    public: true,
    pattern: patternOf(apiPaths.health()),
    handle: (c) => getHealth(c.ctx, c.res),
  },
  // Its own rule (metrics-route.ts): an operator's token, never a tenant's.
  {
    name: 'metrics',
    method: 'GET',
    public: true,
    pattern: patternOf(apiPaths.metrics()),
    handle: (c) => getMetrics(c.ctx, c.req, c.res),
  },
  // Before the job routes: "events" is not a job id (ids are UUIDs), and this path has no action.
  {
    name: 'jobs_events',
    method: 'GET',
    pattern: patternOf(apiPaths.jobsEvents()),
    handle: (c) => streamAllEvents(c.ctx, c.req, c.res, c.owner),
  },
  {
    name: 'jobs',
    method: 'GET',
    pattern: patternOf(apiPaths.jobs()),
    // The keyset page (with `next`) where the store keeps runs; an id prefix is the old lookup.
    handle: (c) =>
      c.ctx.store.runs && !c.query.has('id_prefix')
        ? listJobsPage(c.ctx, c.res, c.query, c.owner)
        : listJobs(c.ctx, c.res, c.query, c.owner),
  },
  {
    name: 'runs',
    method: 'GET',
    pattern: patternOf(apiPaths.runs()),
    handle: (c) => listRuns(c.ctx, c.res, c.query, c.owner),
  },
  {
    name: 'overview',
    method: 'GET',
    pattern: patternOf(apiPaths.overview()),
    handle: (c) => getOverview(c.ctx, c.res, c.owner),
  },
  {
    name: 'run',
    method: 'GET',
    pattern: patternOf(apiPaths.run(PARAM)),
    notFound: runNotFound,
    handle: (c) => getRun(c.ctx, c.res, c.params[0] as string, c.owner),
  },
  {
    name: 'run_jobs',
    method: 'GET',
    pattern: patternOf(apiPaths.runJobs(PARAM)),
    notFound: runNotFound,
    handle: (c) => listRunJobs(c.ctx, c.res, c.params[0] as string, c.query, c.owner),
  },
  {
    name: 'run_errors',
    method: 'GET',
    pattern: patternOf(apiPaths.runErrors(PARAM)),
    notFound: runNotFound,
    handle: (c) => listRunErrors(c.ctx, c.res, c.params[0] as string, c.query, c.owner),
  },
  {
    name: 'run_abort',
    method: 'POST',
    pattern: patternOf(apiPaths.runAbort(PARAM)),
    notFound: runNotFound,
    handle: (c) => abortRun(c.ctx, c.res, c.params[0] as string, c.owner),
  },
  {
    name: 'status',
    method: 'GET',
    pattern: patternOf(apiPaths.status(PARAM)),
    notFound: jobNotFound,
    handle: (c) => jobRoute(c, (job) => getStatus(c.ctx, c.res, job)),
  },
  {
    name: 'aggregates',
    method: 'GET',
    pattern: patternOf(apiPaths.aggregates(PARAM)),
    notFound: jobNotFound,
    handle: (c) => jobRoute(c, (job) => getAggregates(c.res, job)),
  },
  {
    name: 'errors',
    method: 'GET',
    pattern: patternOf(apiPaths.errors(PARAM)),
    notFound: jobNotFound,
    handle: (c) =>
      c.query.has('after') && c.ctx.store.runs
        ? listJobErrorsAfter(c.ctx, c.res, c.params[0] as string, c.query, c.owner)
        : jobRoute(c, (job) => getErrors(c.ctx, c.res, job, c.query)),
  },
  {
    name: 'events',
    method: 'GET',
    pattern: patternOf(apiPaths.events(PARAM)),
    notFound: jobNotFound,
    handle: (c) => jobRoute(c, (job) => streamEvents(c.ctx, c.req, c.res, job)),
  },
  {
    name: 'abort',
    method: 'POST',
    pattern: patternOf(apiPaths.abort(PARAM)),
    notFound: jobNotFound,
    handle: (c) => jobRoute(c, (job) => abortJob(c.ctx, c.res, job)),
  },
  {
    name: 'bulk_match',
    method: 'POST',
    pattern: patternOf(apiPaths.bulkMatch(PARAM)),
    notFound: (raw) => `Unknown resource: ${raw}`,
    handle: (c) => matchKeys(c.ctx, c.req, c.res, c.params[0] as string, c.query),
  },
  {
    name: 'bulk',
    method: null,
    pattern: patternOf(apiPaths.bulk(PARAM)),
    notFound: (raw) => `Unknown resource: ${raw}`,
    handle: async (c) => c.setJobId(await startJob(c.ctx, c.req, c.res, c.params[0] as string, c.query, c.owner)),
  },
  // After bulk: /api/resources/bulk/ is the bulk route of a resource named "resources".
  {
    name: 'resources',
    method: 'GET',
    pattern: patternOf(apiPaths.resources()),
    handle: (c) => listResources(c.ctx, c.res),
  },
  {
    name: 'resource',
    method: 'GET',
    pattern: patternOf(apiPaths.resource(PARAM)),
    notFound: (raw) => `Unknown resource: ${raw}`,
    handle: (c) => getResource(c.ctx, c.res, c.params[0] as string),
  },
];

/** The route a path names, and its parameters as written (decoded by {@link decodeParams} once the caller may ask). */
export function matchRoute(path: string): { route: Route; raw: string[] } | null {
  for (const route of ROUTES) {
    const m = route.pattern.exec(path);
    if (m) return { route, raw: m.slice(1) };
  }
  return null;
}

/** A malformed escape names nothing, so it is that route's 404. */
export function decodeParams(route: Route, raw: string[], path: string): string[] {
  return raw.map((text) => {
    try {
      return decodeURIComponent(text);
    } catch {
      throw new HttpError(404, route.notFound?.(text) ?? `Not found: ${path}`);
    }
  });
}
